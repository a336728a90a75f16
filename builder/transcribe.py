"""Store a scan's machine transcription in the corpus: the library behind `archive transcribe ID`
(and the OCR step of `archive add` for scans).

`transcribe(corpus, id)`: find sources/<id>.<png|jpg|jpeg|tif|tiff|pdf> -> OCR every page
(builder.transcription, progress reported page by page) -> write sources/<id>.transcription.txt
and the `[transcription]` table of sources/<id>.toml (engine, engine_version, language, date,
mean_confidence, revised = false), both atomically; if the second write fails the first is undone.
A transcription an editor has revised (`revised = true`) is never replaced without --force.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tomlkit
import tomlkit.exceptions
import tomlkit.items

from . import facsimile, files, pdftext, transcription
from .errors import ArchiveError, CorpusError, Problem
from .output import atomic_path

SCAN_SUFFIXES = (*facsimile.IMAGE_SUFFIXES, ".pdf")
TESSERACT_LANGUAGES = {"en": "eng", "fr": "fra", "de": "deu", "es": "spa", "it": "ita", "nl": "nld",
                       "pt": "por", "pl": "pol", "ru": "rus", "ar": "ara", "he": "heb", "yi": "yid",
                       "zh": "chi_sim", "zh-hans": "chi_sim", "zh-hant": "chi_tra", "ja": "jpn", "ko": "kor"}


@dataclass(frozen=True)
class Transcribed:
    id: str
    path: Path  # the transcription file
    sidecar: Path
    pages: int
    characters: int
    mean_confidence: float
    engine: str
    language: str
    replaced: bool  # there was a transcription before


def media_type_of(path: Path) -> str:
    return "application/pdf" if path.suffix.lower() == ".pdf" else facsimile.IMAGE_SUFFIXES[path.suffix.lower()]


def tesseract_language(bcp47: str) -> str:
    """Tesseract's name for a BCP 47 tag's language ("en-GB" -> "eng"); "eng" when unknown."""
    tag = bcp47.strip().lower()
    return TESSERACT_LANGUAGES.get(tag) or TESSERACT_LANGUAGES.get(tag.split("-")[0]) or "eng"


def find_scan(sources: Path, sid: str) -> Path | None:
    for suffix in SCAN_SUFFIXES:
        path = sources / f"{sid}{suffix}"
        if path.is_file():
            return path
    return None


def needs_ocr(data: bytes, media_type: str) -> bool:
    """An image always; a PDF only when it has no text layer."""
    return media_type != "application/pdf" or not pdftext.read(data).has_text_layer


def transcribe(corpus_dir: Path, sid: str, language: str | None = None, force: bool = False,
               progress: Callable[[int, int], None] | None = None) -> Transcribed:
    sources = Path(corpus_dir) / "sources"
    original = find_scan(sources, sid)
    sidecar = sources / f"{sid}.toml"
    if original is None:
        others = sorted(p.name for p in sources.glob(f"{sid}.*")) if sources.is_dir() else []
        raise CorpusError([Problem(
            "A320", sources / sid, f"no scan '{sid}' in the corpus" + (f" (found: {', '.join(others)})" if others else ""),
            "give the id of a PNG, JPEG, TIFF or PDF source (its file name without the extension)")])
    try:  # as a build reads it: inside the corpus, a regular file, within the limit (builder.files)
        data = files.read_bytes(original, Path(corpus_dir), files.SOURCE_BYTES)
    except files.Refused as e:
        raise CorpusError([e.problem]) from None
    media_type = media_type_of(original)
    try:
        if not needs_ocr(data, media_type):
            raise CorpusError([Problem("A321", original, "this PDF has a text layer: its text is read from it, "
                                       "no transcription is made", "nothing to do")])
    except pdftext.PdfUnreadable as e:
        raise CorpusError([Problem("A326", original, f"cannot be read: {e}", "replace it with the file as received")]) from e
    doc = _sidecar(sidecar)
    table = doc.get("transcription", {})
    target = sources / f"{sid}{transcription.SUFFIX}"
    if target.exists() and table.get("revised") is True and not force:
        raise CorpusError([Problem("A322", target, "an editor has revised this transcription (revised = true in "
                                   f"{sidecar.name}): a new OCR would replace the revision",
                                   "keep it; or, to replace it all the same, add --force")])
    language = language or table.get("language") or tesseract_language(str(doc.get("language", "")))
    if not transcription.LANGUAGE.match(language):
        raise CorpusError([Problem("A327", None, f"'{language}' is not a Tesseract language name",
                                   "use Tesseract's names: eng, fra, deu, ara, chi_sim, … (tesseract --list-langs)")])
    try:
        result = transcription.transcribe(data, media_type, language, progress)
    except (facsimile.ImageUnreadable, pdftext.PdfUnreadable) as e:
        raise CorpusError([Problem("A326", original, f"cannot be read: {e}", "replace it with the file as received")]) from e
    replaced = target.exists()
    store(target, sidecar, doc, result)
    return Transcribed(sid, target, sidecar, len(result.pages), len(result.file_text), result.mean_confidence,
                       f"{transcription.ENGINE} {result.engine_version}", language, replaced)


def store(target: Path, sidecar: Path, doc: tomlkit.TOMLDocument, result: transcription.Transcription,
          today: dt.date | None = None) -> None:
    """Write the transcription and its provenance table; both or neither."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    table = tomlkit.table()
    table.add(tomlkit.comment("How the transcription beside the original was made (archive transcribe). Set "
                              "revised = true once an editor has corrected it."))
    for key, value in (("engine", transcription.ENGINE), ("engine_version", result.engine_version),
                       ("language", result.language), ("date", today.isoformat()),
                       ("mean_confidence", result.mean_confidence), ("revised", False)):
        table[key] = value
    doc["transcription"] = table
    before = target.read_bytes() if target.exists() else None
    with atomic_path(target) as tmp:
        tmp.write_bytes(result.file_text.encode("utf-8"))
    try:
        with atomic_path(sidecar) as tmp:
            tmp.write_bytes(tomlkit.dumps(doc).encode("utf-8"))
    except BaseException:
        if before is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(before)
        raise


def _sidecar(path: Path) -> tomlkit.TOMLDocument:
    if not path.is_file():
        raise CorpusError([Problem("A323", path, "the scan has no provenance, where the transcription's record goes",
                                   "write its provenance first (archive add writes a skeleton; see "
                                   "docs/corpus-format.md)")])
    try:
        return tomlkit.parse(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, tomlkit.exceptions.ParseError) as e:
        raise CorpusError([Problem("A323", path, f"cannot be read as TOML: {e}", "correct it first")]) from e
    except OSError as e:  # pragma: no cover - permissions
        raise ArchiveError(f"{path}: cannot read: {e}") from e


# -- `archive add` of scans: OCR once, when the scan is added ------------------------------------

def add(corpus_dir: Path, files: list[Path], source_id: str | None = None, title: str | None = None,
        kind: str | None = None, how: str | None = None,
        progress: Callable[[str, int, int], None] | None = None, ocr: bool = True, language: str | None = None):
    """builder.sources_io.add, then the transcription of every scan added, each page's progress
    reported. Tesseract is checked before anything is written; if OCR fails, every source added
    (and its transcription) is removed and archive.toml restored: the corpus is as it was. With
    ocr=False the scans are added untranscribed: the build then asks for `archive transcribe`."""
    from . import sources_io

    root = Path(corpus_dir)
    scans = [f for f in map(Path, files) if _may_need_ocr(f)] if ocr else []
    if scans:
        transcription.engine_version()  # OcrUnavailable (exit 3) before anything is written
    order = root / "archive.toml"
    order_before = order.read_bytes() if order.is_file() else None
    report = sources_io.add(root, files, source_id, title, kind, how, language)  # OCR then reads in its language
    done: list[Transcribed] = []
    try:
        for a in report.added:
            if ocr and a.path.suffix in SCAN_SUFFIXES and needs_ocr(a.path.read_bytes(), media_type_of(a.path)):
                page = (lambda n, total, sid=a.id: progress(sid, n, total)) if progress else None
                done.append(transcribe(root, a.id, None, False, page))
    except BaseException:
        for a in report.added:
            for path in (a.path, a.sidecar, a.path.with_name(a.id + transcription.SUFFIX)):
                path.unlink(missing_ok=True)
        if order_before is not None:
            with atomic_path(order) as tmp:
                tmp.write_bytes(order_before)
        raise
    return report, tuple(done)


def _may_need_ocr(file: Path) -> bool:
    suffix = facsimile.sniff_file(file)
    if suffix is None:
        return False
    try:
        return suffix != ".pdf" or needs_ocr(files.read_bytes(file, limit=files.SOURCE_BYTES), "application/pdf")
    except (files.Refused, OSError, pdftext.PdfUnreadable):
        return False  # sources_io reports it

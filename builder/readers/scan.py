"""A scan (PNG, JPEG, TIFF, or a PDF without a text layer): the reading text is its machine
transcription, stored beside it as sources/<id>.transcription.txt by `archive transcribe` or
`archive add` (builds never run OCR; docs/scans.md). Every page's facsimile is shown unless the
provenance's [facsimile] says otherwise. Also what the corpus loader checks of a PDF or a scan.
"""

from __future__ import annotations

from pathlib import Path

from .. import facsimile as images
from .. import files, pdftext, transcription
from ..document import Document, Transcription
from ..errors import Problem
from . import facsimile

MEDIA_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".tif": "image/tiff"}
ALT = ("Page {page} of {pages} of the scan as received. Its text is given as a transcription "
       "made by machine (OCR), which may differ from the page.")
ALT_REVISED = "Page {page} of {pages} of the scan as received. Its text is given as a transcription."
TRANSCRIPTION_KEYS = {"engine", "engine_version", "language", "date", "mean_confidence", "revised"}


def transcription_path(source) -> Path:
    return source.path.with_name(source.id + transcription.SUFFIX)


def read(data: bytes, source) -> Document:
    file_text = files.read_bytes(transcription_path(source)).decode("utf-8")
    text, starts = transcription.reading_text(file_text)
    record = source.provenance.transcription or Transcription()
    return facsimile.paged(text, starts, data, MEDIA_TYPES[source.path.suffix],
                           facsimile.pages_shown(source, len(starts), "all"),
                           ALT_REVISED if record.revised else ALT, kind="scan", transcription=record)


# ---------------------------------------------------------------- what the corpus loader checks

def problems(source, stored: Path | None, read: files.Reader) -> list[Problem]:
    """A PDF or scan source's problems: unreadable; a scan without its transcription, or with one
    that is not UTF-8 or has not as many pages as the scan; a PDF with a text layer and a
    transcription (which would be ignored). Every read goes through read (builder.files)."""
    path = source.path
    try:
        data = read.source_bytes(path)
    except files.Refused as e:
        return [e.problem]
    media_type = MEDIA_TYPES[path.suffix]
    try:
        if media_type == "application/pdf":
            if pdftext.read(data).has_text_layer:
                return [] if stored is None else [Problem(
                    "C185", stored, "this PDF has a text layer, which is its reading text: the transcription "
                    "beside it would be ignored", "remove the transcription (or the PDF is not what was received)")]
        pages = images.count(data, media_type)
    except (pdftext.PdfUnreadable, images.ImageUnreadable) as e:
        return [Problem("C184", path, f"cannot be read: {e}", "restore the file exactly as received")]
    if stored is None:
        return [Problem("C180", path, "this scan has no transcription (its reading text)",
                        f"run `archive transcribe {source.id}` (OCR, stored in sources/{source.id}"
                        f"{transcription.SUFFIX}), or write the transcription there yourself")]
    try:
        text = read.source_bytes(stored).decode("utf-8")
    except files.Refused as e:
        return [e.problem]
    except UnicodeDecodeError as e:
        return [Problem("C181", stored, f"not valid UTF-8 (byte {e.start})", "save the transcription as UTF-8")]
    found = []
    transcribed = len(transcription.reading_text(text)[1])
    if transcribed != pages:
        found.append(Problem("C182", stored, f"{transcribed} page(s) transcribed, but the scan has {pages}",
                             "separate pages with a line holding only a form feed (\\f); or run "
                             f"`archive transcribe {source.id} --force` again"))
    if source.provenance.recorded and source.provenance.transcription is None:
        found.append(Problem("C186", source.path.with_suffix(".toml"), "the transcription's making is not recorded",
                             "add a [transcription] table (engine, engine_version, language, date, "
                             "mean_confidence, revised): `archive transcribe` writes it; for a transcription "
                             "by hand, engine = \"editor\" and revised = true"))
    shown = source.provenance.facsimile
    if isinstance(shown, tuple) and any(n > pages for n in shown):
        found.append(Problem("C183", source.path.with_suffix(".toml"),
                             f"[facsimile] pages names a page past the last ({pages})",
                             f"name pages 1 to {pages}, or say \"all\" or \"none\""))
    return found


def transcription_record(doc, d: dict) -> Transcription | None:
    """The [transcription] table of a provenance (builder.tomlfile.Doc), or None."""
    table = doc.get(d, "transcription", dict, default=None)
    if table is None:
        return None
    doc.unknown(table, TRANSCRIPTION_KEYS, where="transcription.")
    confidence = table.get("mean_confidence")
    if confidence is not None and (isinstance(confidence, bool) or not isinstance(confidence, (int, float))
                                   or not 0 <= confidence <= 100):
        doc.problem("C187", "transcription.mean_confidence is not a number from 0 to 100",
                    "leave it as `archive transcribe` wrote it, or remove it", key="mean_confidence")
        confidence = None
    revised = table.get("revised", False)
    if not isinstance(revised, bool):
        doc.problem("C187", "transcription.revised is not true or false",
                    "write revised = true once an editor has corrected the transcription", key="revised")
        revised = False
    return Transcription(engine=str(table.get("engine", "")), version=str(table.get("engine_version", "")),
                         language=str(table.get("language", "")), date=str(table.get("date", "")),
                         confidence=float(confidence) if confidence is not None else None, revised=revised)


def facsimile_pages(doc, d: dict) -> str | tuple[int, ...]:
    """[facsimile] pages: "all", "none" or a list of page numbers; "" when not given."""
    table = doc.get(d, "facsimile", dict, default=None)
    if table is None:
        return ""
    doc.unknown(table, {"pages"}, where="facsimile.")
    pages = table.get("pages", "")
    if pages in ("all", "none"):
        return pages
    if isinstance(pages, list) and pages and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1
                                                 for n in pages):
        return tuple(sorted(set(pages)))
    doc.problem("C183", "facsimile.pages is not \"all\", \"none\" or a list of page numbers (1, 2, …)",
                "write e.g. pages = [1, 3], or pages = \"all\"", key="pages")
    return ""


def transcription_sha256(source) -> str | None:
    """A scan's stored transcription (its reading text is read from it): its SHA-256, if there is
    one; "unreadable" if it cannot be read (never a cache hit that hides it: the reader says
    what is wrong)."""
    import hashlib
    import os

    path = transcription_path(source)
    if not os.path.lexists(path):
        return None
    try:
        return hashlib.sha256(files.read_bytes(path)).hexdigest()
    except (files.Refused, OSError):
        return "unreadable"

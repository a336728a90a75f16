"""Load and validate a corpus folder: the cheap first pass.

Reads every metadata file and hashes every source (streaming, one at a time), collects
every problem it finds, and raises one CorpusError listing them all. Source texts are not
kept: the render pass reads them again, one at a time.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import hashlib
import os
import re
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from . import files, links, register, templating, tomlfile, volumes
from . import received as receipt
from . import progress
from .readers import scan
from .transcription import SUFFIX as TRANSCRIPTION_SUFFIX
from .errors import CorpusError, Problem
from .model import (
    BINARY_SUFFIXES,
    NOTE_KINDS,
    VISUAL_MEDIA_TYPES,
    SOURCE_SUFFIXES,
    Archive,
    Editor,
    Note,
    Person,
    Provenance,
    Selector,
    Source,
    SourceDate,
)

ID_FORM = re.compile(r"[a-z][a-z0-9-]*\Z")
SLUG_FORM = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
SLUG_MAX = 64  # the slug names the edition files: well within every file system's limit
EPOCH_MAX = 253402300799  # SOURCE_DATE_EPOCH of 9999-12-31T23:59:59Z
ISO_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?\Z")
PAGE_SIZES = ("a5", "a4", "us-trade")
CERTAINTIES = ("stated", "inferred", "unknown")

ARCHIVE_KEYS = {"title", "subtitle", "slug", "identifier", "language", "date", "publisher", "rights",
                "license", "description", "subjects", "sources", "editors", "pdf", "limits"}
ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+\Z")  # RFC 3986 absolute-URI, no spaces
PROVENANCE_KEYS = {"title", "title_supplied", "title_derived", "kind", "language", "summary", "rights",
                   "authors",
                   "date", "origin", "received", "condition", "email", "transcription", "facsimile"}
NOTE_KEYS = {"id", "kind", "exact", "prefix", "suffix", "start", "end", "body", "created", "modified", "creator",
             "entry"}
LINK_KIND = "register"  # a passage linked to a register entry, with no note (docs/notes.md, "Register links")


def load(root: Path, also: Sequence[Problem] = (), editions: bool = False) -> Archive:
    """Read and check the whole corpus; raise CorpusError listing every problem (and those in also,
    found before: with --out, say). Every file is read through builder.files (docs/security.md).
    editions: the corpus is loaded to make editions of, so it must hold a source (C170)."""
    root = Path(root)
    problems: list[Problem] = [*also, *_epoch_problems()]
    warnings: list[str] = []
    if not os.path.lexists(root / "archive.toml"):
        raise CorpusError(problems + [Problem(
            "C100", root / "archive.toml", "the corpus has no archive.toml",
            "point `archive build` at a corpus folder, or create archive.toml (see docs/corpus-format.md)")])
    read = files.Reader(root, problems)
    raw = read.metadata(root / "archive.toml")
    doc = tomlfile.parse(root / "archive.toml", raw, problems, "C101") if raw is not None else None
    if doc:
        read.limits = files.limits(doc.data.get("limits"), lambda code, msg, fix, key:
                                   doc.problem(code, msg, fix, key=key))
    found = len(problems)
    sources = _load_sources(root / "sources", read, warnings)
    if editions and not sources and len(problems) == found and (root / "sources").is_dir():
        problems.append(Problem("C170", root / "sources", "the corpus has no sources yet: there is nothing to "
                                "make an edition of", f"add one: `archive add FILE --corpus {root}`"))
    problems += receipt.check_links(sources)
    introduction = _read_introduction(root / "introduction.md", read)
    problems += files.tree_problems(root / "templates", root, read.limits.source_bytes)  # read by name later
    archive = _archive(root, doc, sources, introduction, problems, warnings) if doc else None
    problems += templating.check_corpus_templates(root)  # docs/security.md: nothing in a corpus runs
    if archive is not None:  # and no link or image in its editorial matter leaves the edition
        images = links.check_archive(archive, problems, warnings)
        archive = replace(archive, warnings=tuple(warnings), images=images)
    entries = register.load(root / register.FILE, read, problems)
    if entries is not None:
        problems += register.check_references(entries, [(root / "introduction.md", 1, introduction)] + [
            (s.notes_path, n.line, n.body) for s in sources.values() for n in s.notes])
        problems += register.check_links(entries, [(s.notes_path, n) for s in sources.values() for n in s.links])
    if archive is not None and entries:
        archive = replace(archive, register=entries)
    if problems or archive is None:
        raise CorpusError(problems + _unplaced_notes(sources))
    return archive


def _unplaced_notes(sources: dict[str, Source]) -> list[Problem]:
    """On the error path only: notes that cannot be placed, so one run reports every problem."""
    from .anchor import anchor_source, reading_text
    found: list[Problem] = []
    for source in sources.values():
        if source.notes or source.links:
            try:
                text = reading_text(source)
            except (UnicodeDecodeError, OSError, KeyError, files.Refused):
                continue  # the source itself is at fault: reported on its own
            found += anchor_source(source, text)[1] + anchor_source(source, text, links=True)[1]
    return found


def slugify(text: str) -> str:
    """A slug from a title: ASCII letters and digits joined by hyphens, at most SLUG_MAX long.
    Cyrillic and Greek letters are transliterated (TRANSLITERATED); a title in another script with
    no Latin letters or digits gives "archive" (archive.toml's `slug` names the files then)."""
    text = unicodedata.normalize("NFKD", text).lower().replace("ου", "ou").translate(TRANSLITERATED)
    text = re.sub("['\u2019\u02bc]", "", text)  # an apostrophe joins (Horváth's: horvaths)
    text = "".join(c if unicodedata.category(c)[0] in "LNM" else " " for c in text)  # a dash parts words
    text = text.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > SLUG_MAX:
        slug = slug[: SLUG_MAX + 1].rsplit("-", 1)[0] if "-" in slug[:SLUG_MAX + 1] else slug[:SLUG_MAX]
    return slug.strip("-") or "archive"


# Cyrillic (Russian, Ukrainian, Belarusian, Serbian, Macedonian) and Greek lower-case letters, as
# decomposed by NFKD (accents apart), in a plain romanisation for file names, not a scholarly one
TRANSLITERATED = str.maketrans({
    **dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziiklmnoprstufye")),
    "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ь": "", "ю": "yu", "я": "ya",
    "є": "ye", "і": "i", "ї": "yi", "ґ": "g", "ў": "u", "ђ": "dj", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c",
    "џ": "dz", "ѓ": "gj", "ќ": "kj", "ѕ": "dz",
    **dict(zip("αβγδεζηικλμνξοπρσςτυφω", "avgdeziiklmnxoprsstyfo")),
    "θ": "th", "χ": "ch", "ψ": "ps",
})


def _epoch_problems() -> list[Problem]:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch or (re.fullmatch(r"[0-9]+", epoch) and int(epoch) <= EPOCH_MAX):
        return []
    shown = epoch if len(epoch) <= 40 else epoch[:40] + "…"
    return [Problem("V601", None, f"'{shown}' is not a date the editions can carry: it should be a whole "
                    "number of seconds since 1970-01-01 UTC, up to the end of the year 9999",
                    "set it to e.g. $(date +%s) or $(git log -1 --format=%ct), or unset it to use "
                    "archive.toml's date", where="SOURCE_DATE_EPOCH")]


def edition_date(value: dt.date | dt.datetime | None) -> dt.datetime:
    """The date a build stamps wherever it needs one: SOURCE_DATE_EPOCH, else archive.toml's."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if re.fullmatch(r"[0-9]+", epoch) and int(epoch) <= EPOCH_MAX:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc) if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    return dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)


def _archive(root: Path, doc: tomlfile.Doc, sources: dict[str, Source], introduction: str,
             problems: list[Problem], warnings: list[str]) -> Archive | None:
    d = doc.data
    doc.unknown(d, ARCHIVE_KEYS)
    title = doc.get(d, "title", required=True, default="")
    slug = doc.get(d, "slug", default="") or slugify(title)
    if not SLUG_FORM.match(slug):
        doc.problem("C113", f"slug '{slug}' is not of the form [a-z0-9][a-z0-9-]*",
                    "use lower-case letters, digits and hyphens", key="slug")
    elif len(slug) > SLUG_MAX:
        doc.problem("C113", f"slug is {len(slug)} characters long, more than {SLUG_MAX}",
                    f"shorten it to {SLUG_MAX} characters or fewer (it names the edition files)", key="slug")
    date = doc.get(d, "date", (dt.date, dt.datetime), required=True)
    if isinstance(date, (dt.date, dt.datetime)) and date.year < 1970:
        doc.problem("C115", f"date {date.isoformat()} is before 1970, earlier than an edition can be dated",
                    "give the date of this edition (not of the sources)", key="date")
    language = doc.get(d, "language", required=True, default="en")
    if language and not _language_tag(language):
        doc.problem("C167", f"language '{language}' is not a well-formed BCP 47 language tag",
                    "write a tag such as 'en', 'en-GB', 'ar' or 'zh-Hant' (RFC 5646)", key="language")
    editors = []
    for i, e in enumerate(doc.get(d, "editors", list, required=True, default=[])):
        if not isinstance(e, dict) or not isinstance(e.get("name"), str):
            doc.problem("C111", f"editors[{i}] needs a name", "write `[[editors]]` then `name = \"…\"`",
                        key="editors")
            continue
        editors.append(Editor(e["name"], str(e.get("role", "editor"))))
    pdf = doc.get(d, "pdf", dict, default={})
    doc.unknown(pdf, {"page_size", "volume_pages"}, where="pdf.")
    page_size = doc.get(pdf, "page_size", default="a5", where="pdf.")
    if page_size not in PAGE_SIZES:
        doc.problem("C114", f"page_size '{page_size}' is not one of {', '.join(PAGE_SIZES)}",
                    f"use one of {', '.join(PAGE_SIZES)}", key="page_size")
    volume_pages = volumes.read_volume_pages(doc, pdf)  # C196-C199 (builder/volumes.py)
    order = _order(doc, d, sources)
    license = doc.get(d, "license", default="")
    if license and not ABSOLUTE_URI.match(license):
        doc.problem("C155", f"license '{license}' is not an absolute URI",
                    "give the licence of the editorial matter as a URI, e.g. "
                    "\"https://creativecommons.org/licenses/by/4.0/\"", key="license")
    archive = Archive(
        root=root, title=title, subtitle=doc.get(d, "subtitle", default=""), slug=slug,
        identifier=doc.get(d, "identifier", required=True, default=""),
        language=language,
        date=edition_date(date), publisher=doc.get(d, "publisher", required=True, default=""),
        rights=doc.get(d, "rights", required=True, default=""),
        description=doc.get(d, "description", required=True, default=""),
        subjects=_strings(doc, d, "subjects"), editors=tuple(editors),
        sources=tuple(sources[i] for i in order if i in sources), introduction=introduction,
        page_size=page_size, license=license, warnings=tuple(warnings), volume_pages=volume_pages)
    volumes.check_count(doc, archive)
    return archive


def _order(doc: tomlfile.Doc, d: dict, sources: dict[str, Source]) -> list[str]:
    order = doc.get(d, "sources", list, default=None)
    if order is None:
        return sorted(sources)
    seen: set[str] = set()
    for i, sid in enumerate(order):
        if not isinstance(sid, str) or sid not in sources:
            doc.problem("C120", f"sources[{i}] names '{sid}', but there is no sources/{sid}.txt, .md or .html",
                        "correct the id, or add the source file", key="sources")
        elif sid in seen:
            doc.problem("C121", f"sources lists '{sid}' twice", "list each source once", key="sources")
        seen.add(sid) if isinstance(sid, str) else None
    for sid in sorted(set(sources) - seen):
        doc.problem("C122", f"source '{sid}' is not in the sources list",
                    f"add \"{sid}\" to `sources` where it belongs in the order", key="sources")
    return list(dict.fromkeys(s for s in order if isinstance(s, str)))


def _read_introduction(path: Path, read: files.Reader) -> str:
    if not os.path.lexists(path):
        read.problems.append(Problem("C102", path, "the corpus has no introduction.md",
                                     "write the editorial introduction in introduction.md (Markdown)"))
        return ""
    raw = read.metadata(path)
    try:
        text = raw.decode("utf-8") if raw is not None else ""
    except UnicodeDecodeError as e:
        read.problems.append(Problem("C131", path, f"not valid UTF-8 (byte {e.start})", "save it as UTF-8",
                                     line=raw[: e.start].count(b"\n") + 1))
        return ""
    for number, line in enumerate(text.splitlines(), 1):
        if tomlfile.unwritable_in(line):
            read.problems.append(Problem(
                "C169", path, f"holds {tomlfile.unwritable_in(line)}, which no edition can carry",
                "remove it: write editorial text without control characters", line=number))
    return text


def _load_sources(folder: Path, read: files.Reader, warnings: list[str]) -> dict[str, Source]:
    problems = read.problems
    if not os.path.lexists(folder):
        problems.append(Problem("C103", folder, "the corpus has no sources/ folder",
                                "put each source in sources/<id>.txt|.md|.html"))
        return {}
    refused = files.folder_problem(folder, read.root)
    if refused:
        problems.append(refused)
        return {}
    texts: dict[str, Path] = {}
    sidecars: dict[str, Path] = {}
    notes: dict[str, Path] = {}
    transcriptions: dict[str, Path] = {}  # a scan's machine transcription (docs/scans.md)
    for path in sorted(folder.iterdir(), key=lambda p: p.name):  # one folder: the order of Paths, sooner
        name = path.name
        if name.startswith(".") or path.is_dir():
            continue
        if name.endswith(".notes.toml"):
            notes[name[: -len(".notes.toml")]] = path
        elif name.endswith(TRANSCRIPTION_SUFFIX):
            transcriptions[name[: -len(TRANSCRIPTION_SUFFIX)]] = path
        elif path.suffix == ".toml":
            sidecars[path.stem] = path
        elif path.suffix in SOURCE_SUFFIXES:
            if path.stem in texts:
                problems.append(Problem("C124", path, f"duplicate id '{path.stem}': also {texts[path.stem].name}",
                                        "give each source its own id (rename one file and its sidecar)"))
                continue
            texts[path.stem] = path
        else:
            problems.append(Problem("C125", path, f"'{path.suffix}' is not a source format this tool reads",
                                    "sources are .txt, .md or .html; move other files out of sources/"))
    for sid, path in texts.items():
        if not ID_FORM.match(sid):
            problems.append(Problem("C123", path, f"id '{sid}' is not of the form [a-z][a-z0-9-]*",
                                    f"rename it, e.g. to '{id_from(sid)}{path.suffix}' (and its sidecar); "
                                    "record the received name as received.file_name"))
    for kind, named in (("provenance sidecar", sidecars), ("notes file", notes), ("transcription", transcriptions)):
        for sid, path in named.items():
            if sid not in texts:
                problems.append(Problem("C126", path, f"{kind} for '{sid}', but there is no sources/{sid}.txt, "
                                        ".md or .html", "rename it to match its source, or add the source"))
    sources = {}
    for sid, path in progress.each("sources read", texts.items()):
        source = _load_source(sid, path, sidecars.get(sid), notes.get(sid), read, warnings)
        if source:
            sources[sid] = source
            if path.suffix in VISUAL_MEDIA_TYPES:
                problems += scan.problems(source, transcriptions.get(sid), read)
    return sources


ID_MAX = 80  # an id made by the tool: its files (<id>.notes.toml, <id>-provenance.xhtml, ...) fit any file system


def id_from(text: str) -> str:
    """An id made from a file name's stem: lower-case, other characters to '-', starting with a
    letter, at most ID_MAX characters: a longer one is cut (at a hyphen where there is one) and
    ends with 8 hex digits of its SHA-256, so that two long names still give two ids."""
    s = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    s = s if s[:1].isalpha() else ("source-" + s).rstrip("-")
    if len(s) > ID_MAX:
        keep = ID_MAX - 9
        cut = s[:keep]
        cut = (cut.rsplit("-", 1)[0] if "-" in cut[keep // 2:] else cut).rstrip("-")
        s = f"{cut}-{hashlib.sha256(s.encode()).hexdigest()[:8]}"
    return s


def _load_source(sid: str, path: Path, sidecar: Path | None, notes_path: Path | None,
                 read: files.Reader, warnings: list[str]) -> Source | None:
    problems = read.problems
    if sidecar is None:
        warnings.append(f"{path}: warning W201: no provenance (sources/{sid}.toml); it builds, "
                        "marked 'provenance not recorded'")
        provenance = Provenance(title=sid, recorded=False, received_file_name=path.name)
    else:
        provenance = _provenance(sidecar, problems, read)
    encoding = provenance.received_encoding if provenance else ""
    digest, size, characters = _fingerprint(path, read, encoding)
    if provenance and provenance.recorded and digest and provenance.received_sha256 \
            and provenance.received_sha256.lower() != digest:
        problems.append(Problem(
            "C140", path, f"the source has changed since it was received: SHA-256 is {digest}, "
            f"but {sidecar.name if sidecar else 'its sidecar'} records {provenance.received_sha256}",
            "restore the file exactly as received (sources are never edited); if a new copy was "
            "received, record it as a new receipt with its own SHA-256"))
    found = _notes(notes_path, problems, read) if notes_path else ()
    if digest is None or provenance is None:
        return None
    notes = tuple(n for n in found if n.kind != LINK_KIND)
    links = tuple(n for n in found if n.kind == LINK_KIND)
    return Source(sid, path, digest, size, characters, provenance, notes, notes_path, links)


def _fingerprint(path: Path, read: files.Reader, encoding: str = "") -> tuple[str | None, int, int]:
    """SHA-256, size and character count, reading in blocks; reports text that does not decode in
    its recorded encoding (UTF-8 when none is recorded). An email's bytes are not decoded here.
    Every read goes through builder.files (inside the corpus, a regular file, within the limit)."""
    problems = read.problems
    if path.suffix in BINARY_SUFFIXES or encoding:
        try:
            data = read.source_bytes(path)
        except files.Refused as e:
            problems.append(e.problem)
            return None, 0, 0
        if path.suffix in BINARY_SUFFIXES:
            return hashlib.sha256(data).hexdigest(), len(data), 0
        return _fingerprint_encoded(path, data, problems, encoding)
    sha, decoder = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")()
    size = characters = lines = 0
    try:
        opened = read.open_source(path)
    except files.Refused as e:
        problems.append(e.problem)
        return None, 0, 0
    with opened as f:
        while block := f.read(1 << 20):
            try:
                characters += len(decoder.decode(block))
            except UnicodeDecodeError as e:
                bad = size + e.start
                problems.append(Problem(
                    "C141", path, f"not valid UTF-8: byte {bad} (0x{block[e.start]:02x}), and its provenance "
                    f"records no other encoding{_guess(path)}",
                    "record the encoding it was received in under [received] as encoding = \"…\" "
                    "(`archive add` detects and records it); never convert the file itself",
                    line=lines + block[: e.start].count(b"\n") + 1))
                return None, 0, 0
            sha.update(block)
            size += len(block)
            lines += block.count(b"\n")
    try:
        characters += len(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        problems.append(Problem("C141", path, "not valid UTF-8: truncated sequence at the end",
                                "convert the received file to UTF-8", line=lines + 1))
        return None, 0, 0
    return sha.hexdigest(), size, characters


def _fingerprint_encoded(path: Path, data: bytes, problems: list[Problem],
                         encoding: str) -> tuple[str | None, int, int]:
    """SHA-256, size and character count of a text in a recorded encoding other than plain UTF-8."""
    from .readers.encoding import reading_text
    digest = hashlib.sha256(data).hexdigest()
    try:
        characters = len(reading_text(data, encoding))
    except LookupError:  # an encoding no codec reads: reported with the provenance (C190)
        return digest, len(data), 0
    except UnicodeDecodeError as e:
        problems.append(Problem(
            "C195", path, f"does not decode as {encoding} (its received.encoding): byte {e.start} "
            f"(0x{data[e.start]:02x}){_guess(path)}",
            "correct received.encoding in its provenance: name the encoding the file was received in",
            line=data[: e.start].count(b"\n") + 1))
        return digest, len(data), 0  # the source is there: only its text cannot be read
    return digest, len(data), characters


def _guess(path: Path) -> str:
    """What the detector makes of a file, for an error message."""
    from .readers.encoding import NotText, detect
    try:
        found = detect(files.read_bytes(path))  # on the error path: the file was read once already
    except NotText:
        return ""
    return f"; it reads as {found.encoding} (found by {found.how}, confidence {found.confidence:g})"


def _provenance(path: Path, problems: list[Problem], read: files.Reader | None = None) -> Provenance | None:
    raw = (read or files.Reader(None, problems)).metadata(path)
    doc = tomlfile.parse(path, raw, problems, "C101") if raw is not None else None
    if doc is None:
        return None
    d = doc.data
    doc.unknown(d, PROVENANCE_KEYS)
    authors = []
    for i, a in enumerate(doc.get(d, "authors", list, default=[])):
        if not isinstance(a, dict) or not isinstance(a.get("name"), str):
            doc.problem("C111", f"authors[{i}] needs a name", "write `[[authors]]` then `name = \"…\"`",
                        key="authors")
            continue
        person = Person(a["name"], str(a.get("role", "author")), str(a.get("certainty", "stated")),
                        str(a.get("evidence", "")))
        _certainty(doc, person.certainty, person.evidence, f"authors[{i}]", ("stated", "inferred"))
        authors.append(person)
    date = doc.get(d, "date", dict, required=True, default={})
    source_date = SourceDate(str(date.get("value", "")), str(date.get("certainty", "unknown")),
                             str(date.get("evidence", "")))
    if source_date.value and not _calendar_date(source_date.value):
        doc.problem("C115", f"date.value '{source_date.value}' is not YYYY, YYYY-MM or YYYY-MM-DD naming a "
                    "day of the calendar", "write the date in ISO 8601 (month 01-12, a day the month has), "
                    "or leave it out when unknown", key="value")
    language = doc.get(d, "language", default="")
    if language and not _language_tag(language):
        doc.problem("C167", f"language '{language}' is not a well-formed BCP 47 language tag",
                    "write a tag such as 'en', 'en-GB', 'ar' or 'zh-Hant' (RFC 5646)", key="language")
    _certainty(doc, source_date.certainty, source_date.evidence, "date", CERTAINTIES)
    if source_date.certainty == "unknown" and source_date.value:
        doc.problem("C116", "date.certainty is 'unknown' but date.value is given",
                    "say 'stated' or 'inferred' (with evidence), or drop the value", key="certainty")
    if source_date.certainty != "unknown" and not source_date.value:
        doc.problem("C116", f"date.certainty is '{source_date.certainty}' but there is no date.value",
                    "give the value, or say certainty = \"unknown\"", key="certainty")
    origin = doc.get(d, "origin", dict, required=True, default={})
    received = doc.get(d, "received", dict, required=True, default={})
    condition = doc.get(d, "condition", dict, required=True, default={})
    sha = doc.get(received, "sha256", required=bool(received), default="", where="received.")
    if sha and not re.fullmatch(r"[0-9a-fA-F]{64}", sha):
        doc.problem("C117", "received.sha256 is not 64 hexadecimal digits",
                    "record the SHA-256 of the file as received (sha256sum FILE)", key="sha256")
    received_date = received.get("date", "")
    if isinstance(received_date, dt.datetime | dt.date):
        received_date = received_date.isoformat()
    elif received_date and not (isinstance(received_date, str) and _calendar_date(received_date)):
        doc.problem("C115", f"received.date {received_date!r} is not YYYY, YYYY-MM or YYYY-MM-DD naming a "
                    "day of the calendar", "write when the file was received in ISO 8601, or leave it out when "
                    "unknown", line=doc.line_of("date", doc.line_of("received") or 0))
        received_date = ""
    file_name = doc.get(received, "file_name", required=bool(received), default="", where="received.")
    if file_name and (file_name in (".", "..") or any(c in file_name for c in "/\\\0")):
        doc.problem("C168", f"received.file_name {file_name!r} is not a file name: it has a path in it",
                    "record the file's name alone, as received (no folders)", key="file_name")
    return Provenance(
        title=doc.get(d, "title", required=True, default=path.stem),
        title_supplied=doc.get(d, "title_supplied", bool, default=False),
        title_derived=doc.get(d, "title_derived", bool, default=False),
        kind=doc.get(d, "kind", required=True, default=""),
        language=language,
        summary=doc.get(d, "summary", required=True, default=""),
        rights=doc.get(d, "rights", required=True, default=""),
        authors=tuple(authors), date=source_date,
        origin_description=doc.get(origin, "description", required=bool(origin), default="", where="origin."),
        publication=doc.get(origin, "publication", default="", where="origin."),
        publication_certainty=_publication_certainty(doc, origin),
        url=doc.get(origin, "url", default="", where="origin."),
        identifiers=_strings(doc, origin, "identifiers", "origin."),
        received_file_name=file_name,
        received_format=doc.get(received, "format", default="", where="received."),
        received_sha256=sha.lower(),
        received_how=doc.get(received, "how", required=bool(received), default="", where="received."),
        received_date=str(received_date),
        condition_summary=doc.get(condition, "summary", required=bool(condition), default="",
                                  where="condition."),
        flaws=_strings(doc, condition, "flaws", "condition."),
        transcription=scan.transcription_record(doc, d), facsimile=scan.facsimile_pages(doc, d),
        **receipt.read(doc, d, received),
    )


def _strings(doc: tomlfile.Doc, table: dict, key: str, where: str = "") -> tuple[str, ...]:
    """A list of strings (subjects, identifiers, flaws): C111 for anything else in it."""
    values = doc.get(table, key, list, default=[], where=where)
    for i, v in enumerate(values):
        if not isinstance(v, str):
            doc.problem("C111", f"{where}{key}[{i}] should be a string, not {type(v).__name__}",
                        f"write each entry of '{where}{key}' in quotes", key=key)
    return tuple(v for v in values if isinstance(v, str))


def _calendar_date(value: str) -> bool:
    """YYYY, YYYY-MM or YYYY-MM-DD, naming a month and day the calendar has."""
    if not ISO_DATE.match(value):
        return False
    parts = [int(p) for p in value.split("-")] + [1, 1]
    try:
        dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return parts[0] > 0


# RFC 5646 section 2.1, well-formedness (not validity: the registry is not consulted).
_LANGTAG = re.compile(
    r"(?:(?P<lang>[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})"
    r"(?:-[a-z]{4})?(?:-(?:[a-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"
    r"(?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*"
    r"(?:-x(?:-[a-z0-9]{1,8})+)?"
    r"|x(?:-[a-z0-9]{1,8})+"
    r"|en-gb-oed|i-[a-z]{3,8}|sgn-[a-z]{2}-[a-z]{2})\Z")  # the irregular grandfathered tags, loosely


def _language_tag(tag: str) -> bool:
    """Whether tag is a well-formed BCP 47 language tag ('en', 'en-GB', 'zh-Hant-TW', 'x-private')."""
    return tag.isascii() and bool(_LANGTAG.match(tag.lower()))


def _publication_certainty(doc: tomlfile.Doc, origin: dict) -> str:
    """origin.publication_certainty: the certainty of the publication's name, in a field of its own."""
    value = doc.get(origin, "publication_certainty", default="stated", where="origin.")
    if value not in ("stated", "inferred"):
        doc.problem("C157", f"origin.publication_certainty '{value}' is not stated or inferred",
                    "say `publication_certainty = \"inferred\"` (and give the reason in origin.description), "
                    "or leave it out when the document names its publication", key="publication_certainty")
    elif value == "inferred" and not origin.get("publication"):
        doc.problem("C157", "origin.publication_certainty is given but there is no origin.publication",
                    "name the publication, or drop publication_certainty", key="publication_certainty")
    return value


def _certainty(doc: tomlfile.Doc, certainty: str, evidence: str, where: str, allowed: tuple) -> None:
    if certainty not in allowed:
        doc.problem("C118", f"{where}.certainty '{certainty}' is not one of {', '.join(allowed)}",
                    f"use one of {', '.join(allowed)}", key="certainty")
    elif certainty == "inferred" and not evidence.strip():
        doc.problem("C119", f"{where} is inferred but gives no evidence",
                    "add `evidence = \"…\"`: what in the document or the public record the inference rests on",
                    key="certainty")


def _notes(path: Path, problems: list[Problem], read: files.Reader | None = None) -> tuple[Note, ...]:
    raw = (read or files.Reader(None, problems)).metadata(path)
    doc = tomlfile.parse(path, raw, problems, "C101") if raw is not None else None
    if doc is None:
        return ()
    doc.unknown(doc.data, {"notes"})
    notes, seen, after = [], set(), 0
    for i, n in enumerate(doc.get(doc.data, "notes", list, default=[])):
        line = doc.line_of("notes", after) or None
        after = line or after
        if not isinstance(n, dict):
            doc.problem("C111", f"notes[{i}] is not a table", "write each note as [[notes]]", line=line)
            continue
        for key in n:
            if key not in NOTE_KEYS:
                doc.problem("C112", f"notes[{i}]: unknown field '{key}'",
                            f"use: {', '.join(sorted(NOTE_KEYS))}", line=line)
        nid = str(n.get("id") or f"n{i + 1}")
        kind = n.get("kind", "")
        body = n.get("body", "")
        if not ID_FORM.match(nid):
            doc.problem("C150", f"notes[{i}]: id '{nid}' is not of the form [a-z][a-z0-9-]*",
                        "use lower-case letters, digits and hyphens", line=line)
        if nid in seen:
            doc.problem("C151", f"notes[{i}]: id '{nid}' is used twice", "give each note its own id", line=line)
        seen.add(nid)
        entry = n.get("entry", "")
        if kind == LINK_KIND:  # a register link: an entry, a passage, no body
            if not isinstance(entry, str) or not entry.strip():
                doc.problem("R108", f"notes[{i}] ({nid}): a register link names no entry",
                            "give the register entry's id: `entry = \"ID\"`", line=line)
                entry = ""
            if body:
                doc.problem("R108", f"notes[{i}] ({nid}): a register link has no body",
                            "remove `body`, or make it a note (kind gloss) that refers to the entry", line=line)
            if not n.get("exact"):
                doc.problem("R108", f"notes[{i}] ({nid}): a register link needs a passage (`exact`)",
                            "quote the passage to link, exactly as in the source", line=line)
            body = ""
        elif "entry" in n:
            doc.problem("C112", f"notes[{i}] ({nid}): 'entry' is only for kind \"{LINK_KIND}\"",
                        "remove it, or refer to the entry in the body: [words](#register:ID)", line=line)
        if kind != LINK_KIND and kind not in NOTE_KINDS:
            doc.problem("C152", f"notes[{i}] ({nid}): kind '{kind}' is not one of {', '.join(NOTE_KINDS)}",
                        f"use one of {', '.join(NOTE_KINDS)}, or {LINK_KIND} (a register link)", line=line)
        if kind != LINK_KIND and (not isinstance(body, str) or not body.strip()):
            doc.problem("C153", f"notes[{i}] ({nid}) has no body", "write the note in `body = \"…\"`", line=line)
        start, end = n.get("start"), n.get("end")
        if (start is None) != (end is None) or any(v is not None and (not isinstance(v, int) or v < 0)
                                                   for v in (start, end)):
            doc.problem("C154", f"notes[{i}] ({nid}): start and end must both be given, as whole numbers >= 0",
                        "give both (code points of the decoded text) or neither", line=line)
            start = end = None
        exact = n.get("exact", "")
        selector = Selector(str(exact), str(n.get("prefix", "")), str(n.get("suffix", "")), start, end)
        created, modified = (_note_time(n.get(k), f"notes[{i}] ({nid}): {k}", doc, line)
                             for k in ("created", "modified"))
        if created and modified and modified < created:
            doc.problem("C156", f"notes[{i}] ({nid}): modified ({modified}) is before created ({created})",
                        "correct the times: a note is modified after it is created", line=line)
        notes.append(Note(nid, str(kind), str(body), selector, line or 0, created, modified,
                          str(n.get("creator", "")), str(entry) if kind == LINK_KIND else ""))
    return tuple(notes)


def _note_time(value, where: str, doc: tomlfile.Doc, line: int | None) -> str:
    """A note's created/modified time as an ISO 8601 stamp in UTC ("" when not given)."""
    from .clock import parse, stamp
    if value is None:
        return ""
    when = value if isinstance(value, dt.datetime) else parse(value) if isinstance(value, str) else None
    if when is None or when.tzinfo is None:
        doc.problem("C156", f"{where} is not a date-time with a time zone: {value!r}",
                    "write e.g. 2026-11-20T10:00:00Z (a TOML date-time with Z or an offset)", line=line)
        return ""
    return stamp(when)

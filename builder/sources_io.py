"""Add sources to a corpus, exactly as received: the library behind `archive add`.

`add(corpus, files, ...)`: check every file (format, UTF-8, id, duplicates) and report every
problem at once, writing nothing -> copy each source byte for byte (read-only) and verify the
copy -> write its provenance skeleton (sources/<id>.toml) -> append the new ids to the
`sources` order in archive.toml. Every write is atomic and archive.toml comes last; if any
write fails, what was added is removed, so the corpus is as it was.
"""

from __future__ import annotations

import hashlib
import os
import textwrap
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path

import tomlkit
import tomlkit.exceptions
import tomlkit.items

from . import corpus, facsimile, receiving
from . import files as corpus_files  # `files` is the name of the files to add, below
from .errors import ArchiveError, CorpusError, Problem
from .model import SOURCE_SUFFIXES
from .output import atomic_path
from .readers.encoding import Detected

TITLE_WIDTH = 80
DEFAULT_KIND = "document"
DEFAULT_HOW = "Added with `archive add`; how it was received is not recorded."
PLACEHOLDERS = {"summary": "Not yet written.", "rights": "Unknown.", "origin": "Unknown.",
                "condition": "Not yet examined."}
ID_FILES = (*SOURCE_SUFFIXES, ".toml", ".notes.toml")  # any of these means the id is taken
ID_FILES += (".transcription.txt",)  # a scan's transcription (builder.transcribe)


@dataclass(frozen=True)
class Added:
    """One source added: where it went, its SHA-256, and what its provenance still lacks."""

    id: str
    path: Path
    sidecar: Path
    sha256: str
    received_name: str
    to_complete: tuple[str, ...]
    media_type: str = ""
    encoding: str = ""
    kind: str = ""


@dataclass(frozen=True)
class AddReport:
    added: tuple[Added, ...]
    archive_toml: Path
    has_order: bool  # False: archive.toml has no `sources` list; the order is by id
    appended: tuple[str, ...]  # ids appended to the order (an id already listed keeps its place)


@dataclass(frozen=True)
class _Plan:
    """A file that passed every check, and what will be written for it."""

    file: Path
    id: str
    suffix: str
    data: bytes
    sha256: str
    title: str
    title_supplied: bool  # True: derived by the tool from the first line (written as title_derived)
    kind: str
    how: str
    media_type: str = ""
    encoding: Detected | None = None  # of a text source
    received_name: str = ""  # the file name it was received under (an attachment's own name)
    email: tuple[tuple[str, str], ...] = ()  # an email's header fields
    attachments: tuple[str, ...] = ()  # an email's attachments, by id
    attached_to: str = ""  # the email an attachment came with, by id
    how_received: str = ""  # for a message of an mbox or an attachment: where in what was received
    language: str = ""  # BCP 47, from `archive add --language`: recorded, and the OCR of a scan reads in it


# -- ids and titles ---------------------------------------------------------------------------

def derive_id(file_name: str) -> str:
    """The id a file gets from its name: lower-case, other characters to '-', starting with a letter."""
    return corpus.id_from(Path(file_name).stem)


class _TextOfHtml(HTMLParser):
    """The text of an HTML document, one line per block, without scripts and styles."""

    BLOCKS = frozenset({"title", "h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "br", "li", "tr", "td", "th",
                        "blockquote", "pre", "section", "article", "header", "footer", "address", "dt", "dd"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def first_line_title(text: str, suffix: str) -> str:
    """The first non-blank line of the document's text, clipped; "" when there is none."""
    if suffix == ".html":
        parser = _TextOfHtml()
        parser.feed(text)
        parser.close()
        text = "".join(parser.parts)
    for line in text.splitlines():
        line = " ".join(line.replace("\ufeff", "").split())  # every Unicode space, NBSP included
        if suffix == ".md":
            line = line.lstrip("#").strip()
        if line:
            return line if len(line) <= TITLE_WIDTH else line[: TITLE_WIDTH - 1].rstrip() + "…"
    return ""


def visual_title(data: bytes, suffix: str, file: Path | None = None, problems: list[Problem] | None = None) -> str:
    """A PDF's first line of text, clipped; "" for a scan (its file name is used). A PDF or an
    image that cannot be read is a problem (A326)."""
    from . import pdftext

    try:
        if suffix != ".pdf":
            facsimile.count(data, facsimile.IMAGE_SUFFIXES[suffix])
            return ""
        return first_line_title(pdftext.read(data).text, ".txt")
    except (pdftext.PdfUnreadable, facsimile.ImageUnreadable) as e:
        if problems is not None:
            problems.append(Problem("A326", file, f"cannot be read as {suffix[1:].upper()}: {e}",
                                    "add the file exactly as received; if it is damaged, say so and ask for another copy"))
        return ""


# -- checking: every problem, before anything is written ------------------------------------

def plan(corpus_dir: Path, files: list[Path], source_id: str | None = None, title: str | None = None,
         kind: str | None = None, how: str | None = None, language: str | None = None) -> list[_Plan]:
    """Check every file against the corpus and each other; raise CorpusError listing every problem."""
    root = Path(corpus_dir)
    sources = root / "sources"
    problems: list[Problem] = []
    _check_archive_toml(root, problems)
    if os.path.lexists(sources) and (refused := corpus_files.folder_problem(sources, root)):
        problems.append(refused)  # a sources/ that leads out of the corpus is not written to
    names = ", ".join(str(f) for f in files)
    if source_id is not None and len(files) > 1:
        problems.append(Problem("A318", None, f"--id names one source, but {len(files)} files were given ({names})",
                                "add the files one at a time with --id, or leave out --id to derive each id "
                                "from its file name", where="--id"))
        source_id = None
    if title is not None and len(files) > 1:
        problems.append(Problem("A318", None, f"--title names one source, but {len(files)} files were given "
                                f"({names})", "add the files one at a time with --title, or leave it out",
                                where="--title"))
        title = None
    for option, value in (("--id", source_id), ("--title", title), ("--kind", kind), ("--how", how),
                          ("--language", language)):
        if value is not None and not value.strip():
            problems.append(Problem("A319", None, f"{option} is blank", f"give {option} a value, or leave it out",
                                    where=option))
    if language is not None and language.strip() and not corpus._language_tag(language.strip()):
        problems.append(Problem("A324", None, f"--language '{language}' is not a well-formed BCP 47 language tag",
                                "give a tag such as en, en-GB, fr, de, he, ar, zh-Hant", where="--language"))
        language = None
    existing = _existing_digests(sources) if sources.is_dir() else {}
    plans: list[_Plan] = []
    ids: dict[str, Path] = {}
    digests: dict[str, Path] = {}
    for file in files:
        for p in _check_file(Path(file), sources, source_id, existing, ids, digests, problems):
            if title is not None and not p.attached_to:
                p = replace(p, title=title.strip(), title_supplied=False)
            default_kind = "email" if p.suffix == ".eml" else DEFAULT_KIND
            told = (how or "").strip() or DEFAULT_HOW
            plans.append(replace(p, kind=((kind or "") if not p.attached_to else "").strip() or default_kind,
                                 how=f"{p.how_received} {told}" if p.how_received else told,
                                 language=(language or "").strip()))
    if problems:
        raise CorpusError(problems)
    return plans


def _check_archive_toml(root: Path, problems: list[Problem]) -> None:
    path = root / "archive.toml"
    if not os.path.lexists(path):  # anything else there (a link out, a pipe, a folder) is refused below
        problems.append(Problem("A300", path, "the corpus has no archive.toml",
                                "give --corpus the corpus folder (the one holding archive.toml and sources/), "
                                f"or make a new corpus there first with `archive init {root}`"))
        return
    try:
        raw = corpus_files.read_bytes(path, root, corpus_files.METADATA_BYTES, "metadata_bytes")
        doc = tomlkit.parse(raw.decode("utf-8"))
    except corpus_files.Refused as e:
        problems.append(e.problem)
        return
    except UnicodeDecodeError as e:
        problems.append(Problem("A301", path, f"not valid UTF-8 (byte {e.start})", "save archive.toml as UTF-8"))
        return
    except tomlkit.exceptions.ParseError as e:
        problems.append(Problem("A301", path, f"malformed TOML: {e}", "correct archive.toml first",
                                line=getattr(e, "line", None)))
        return
    if "sources" in doc and not isinstance(doc["sources"], list):
        problems.append(Problem("A302", path, "`sources` is not a list of ids",
                                "write the order as `sources = [\"first-id\", \"second-id\"]`, or remove it"))


def _existing_digests(sources: Path) -> dict[str, Path]:
    """SHA-256 of every source already in the corpus, read in blocks."""
    found: dict[str, Path] = {}
    for path in sorted(sources.iterdir()):
        if path.suffix in SOURCE_SUFFIXES and path.is_file() and not path.name.startswith("."):
            sha = hashlib.sha256()
            try:
                f = corpus_files.open_file(path, sources.parent)  # what the build would read, or nothing
            except corpus_files.Refused:
                continue  # the build reports it
            with f:
                while block := f.read(1 << 20):
                    sha.update(block)
            found.setdefault(sha.hexdigest(), path)
    return found


def _check_file(file: Path, sources: Path, source_id: str | None, existing: dict[str, Path],
                ids: dict[str, Path], digests: dict[str, Path], problems: list[Problem]) -> list[_Plan]:
    """One file's problems (appended to problems); its plans when it has none: one, or one per message
    of an mbox, and one per attachment of an email (builder/receiving.py)."""
    try:
        data = corpus_files.read_bytes(file, limit=corpus_files.SOURCE_BYTES)  # never a pipe or device: no hang
    except corpus_files.Refused as e:
        problems.append(e.problem)
        return []
    except OSError as e:
        problems.append(Problem("A310", file, f"cannot read the file: {e.strerror or e}",
                                "check the path (a file, not a folder) and that it can be read"))
        return []
    sid = source_id if source_id is not None else derive_id(file.name)
    check = lambda name, data, sid, **received: _check_bytes(  # noqa: E731
        file, name, data, sid, sources, existing, ids, digests, problems, **received)
    return receiving.plans(file, data, sid, check, problems)


def _check_bytes(file: Path, name: str, data: bytes, sid: str, sources: Path, existing: dict[str, Path],
                 ids: dict[str, Path], digests: dict[str, Path], problems: list[Problem],
                 **received) -> _Plan | None:
    """One received item (a file, a message of an mbox, an attachment): its plan, or its problems."""
    before = len(problems)
    found = receiving.kind(file, name, data, problems)
    if found is not None and found.suffix not in SOURCE_SUFFIXES:
        problems.append(Problem(
            "A311", file, f"{name}: {found.media_type} is not a kind of source this archive reads yet",
            "sources are text (any encoding), Markdown, HTML, email, PDF or a scan (PNG, JPEG, TIFF); convert "
            "it, add the converted copy and say how with --how, and keep the original beside the corpus"))
    visual = found is not None and found.name in ("pdf", "image") and found.suffix in SOURCE_SUFFIXES
    if visual:  # a PDF or a scan: A326 if it cannot be read; its title (docs/scans.md)
        seen_title = visual_title(data, found.suffix, file, problems)
    if not corpus.ID_FORM.match(sid):
        problems.append(Problem("A313", file, f"id '{sid}' is not of the form [a-z][a-z0-9-]*",
                                f"use lower-case letters, digits and hyphens, starting with a letter, "
                                f"e.g. --id {corpus.id_from(sid) if sid.strip() else derive_id(file.name)}"))
    else:
        taken = [p.name for p in (sources / f"{sid}{s}" for s in ID_FILES) if p.exists()]
        if taken:
            problems.append(Problem("A314", file, f"id '{sid}' is already in the corpus ({', '.join(taken)})",
                                    "if this is a different source, add it on its own with --id ANOTHER-ID "
                                    "(the name it was received under is recorded anyway)"))
        elif sid in ids:
            problems.append(Problem("A315", file, f"id '{sid}' is also the id of {ids[sid]} in this command",
                                    "add one of them on its own with --id ANOTHER-ID"))
        ids.setdefault(sid, file)
    sha = hashlib.sha256(data).hexdigest()
    if sha in existing:
        other = existing[sha]
        problems.append(Problem(
            "A316", file, f"the same bytes (SHA-256 {sha}) are already in the corpus as '{other.stem}' "
            f"({other})", "duplicates are almost always mistakes: check that it was not added before; "
            "a second receipt of the same file belongs in the existing source's provenance"))
    elif sha in digests:
        problems.append(Problem("A317", file, f"the same bytes (SHA-256 {sha}) as {digests[sha]} in this command",
                                "duplicates are almost always mistakes: add the file once"))
    digests.setdefault(sha, file)
    if len(problems) > before or found is None:
        return None
    if visual:
        title, supplied = seen_title, True  # a PDF's first line, or (a scan) its file name
    else:
        title, supplied = receiving.title(found, data, name)
    received.setdefault("received_name", name)
    return _Plan(file, sid, found.suffix, data, sha, title or name, supplied, "", "", media_type=found.media_type,
                 encoding=found.encoding, **received)


# -- writing: sources and sidecars first, archive.toml last; undone on failure -----------------

def add(corpus_dir: Path, files: list[Path], source_id: str | None = None, title: str | None = None,
        kind: str | None = None, how: str | None = None, language: str | None = None) -> AddReport:
    """Add each file to the corpus as a new source. Raises CorpusError (nothing written) for bad input."""
    root = Path(corpus_dir)
    plans = plan(root, [Path(f) for f in files], source_id, title, kind, how, language)
    sources = root / "sources"
    made_folder = not sources.is_dir()
    written: list[Path] = []
    try:
        sources.mkdir(exist_ok=True)
        added = []
        for p in plans:
            path = _write_source(sources, p, written)
            sidecar = _write_sidecar(sources, p, written)
            added.append(Added(p.id, path, sidecar, p.sha256, p.received_name or p.file.name, _to_complete(p),
                               p.media_type, p.encoding.encoding if p.encoding else "", p.kind))
        has_order, appended = _write_order(root / "archive.toml", [p.id for p in plans])
    except BaseException as e:
        for path in reversed(written):
            path.unlink(missing_ok=True)
        if made_folder:
            try:
                sources.rmdir()
            except OSError:
                pass
        if isinstance(e, OSError):
            raise ArchiveError(f"{e.filename or root}: could not write: {e.strerror or e}; nothing was added, "
                               "the corpus is as it was") from e
        raise
    return AddReport(tuple(added), root / "archive.toml", has_order, tuple(appended))


def _write_source(sources: Path, p: _Plan, written: list[Path]) -> Path:
    """Copy the bytes as received, verify the copy, and make it read-only."""
    path = sources / f"{p.id}{p.suffix}"
    with atomic_path(path) as tmp:
        tmp.write_bytes(p.data)
        copied = hashlib.sha256(tmp.read_bytes()).hexdigest()
        if copied != p.sha256:
            raise ArchiveError(f"{path}: the copy's SHA-256 is {copied}, not {p.sha256} as read; nothing was added")
        if path.exists():  # created since the check: never replace a source
            raise CorpusError([Problem("A314", p.file, f"{path.name} appeared in the corpus while adding",
                                       "run the command again")])
    written.append(path)
    os.chmod(path, 0o444)
    return path


def _write_sidecar(sources: Path, p: _Plan, written: list[Path]) -> Path:
    """Write the provenance skeleton, after reading it back as the build will."""
    path = sources / f"{p.id}.toml"
    with atomic_path(path) as tmp:
        tmp.write_bytes(tomlkit.dumps(sidecar(p)).encode("utf-8"))
        problems: list[Problem] = []
        provenance = corpus._provenance(tmp, problems)
        if problems or provenance is None or provenance.received_sha256 != p.sha256:
            raise ArchiveError(f"{path}: the provenance written does not load ({'; '.join(map(str, problems))}); "
                               "nothing was added")  # a fault of this module, not of the input
        if path.exists():
            raise CorpusError([Problem("A314", p.file, f"{path.name} appeared in the corpus while adding",
                                       "run the command again")])
    written.append(path)
    return path


def _to_complete(p: _Plan) -> tuple[str, ...]:
    """The fields of the skeleton that still say nothing, or only what the tool could guess."""
    fields = ["title"] if p.title_supplied else []
    fields += ["kind"] if p.kind in (DEFAULT_KIND, "email") else []
    fields += ["summary", "rights", "authors", "date", "origin.description"]
    fields += ["received.how"] if p.how == DEFAULT_HOW else []
    return (*fields, "condition.summary")


def sidecar(p: _Plan) -> tomlkit.TOMLDocument:
    """The provenance skeleton: everything known on receipt; placeholders the loader accepts."""
    doc = tomlkit.document()
    header = (f"Provenance of the source `{p.id}` (see docs/corpus-format.md). Written by `archive add`: "
              "a skeleton. The editor must complete: " + ", ".join(_to_complete(p)) + ".")
    if p.title_supplied:
        header += (" The title was derived by the tool from the file's first line (title_derived = true): give "
                   "the document's own title, or one of yours with title_supplied = true, and remove title_derived.")
    header += (" Say \"unknown\" rather than guess; mark an inference as one and give the evidence."
               " [received] records the receipt: leave it as it is.")
    for line in textwrap.wrap(header, 96):
        doc.add(tomlkit.comment(line))
    doc.add(tomlkit.nl())
    doc["title"] = p.title
    doc["title_supplied"] = False
    if p.title_supplied:  # the first line, taken by the tool: not the editor's word
        doc["title_derived"] = True
    doc["kind"] = p.kind
    if p.language:  # as the editor gave it with --language
        doc["language"] = p.language
    doc["summary"] = PLACEHOLDERS["summary"]
    doc["rights"] = PLACEHOLDERS["rights"]
    doc["date"] = _table(certainty="unknown")
    doc["origin"] = _table(description=PLACEHOLDERS["origin"])
    doc["received"] = _table(file_name=p.received_name or p.file.name, format=p.media_type, sha256=p.sha256,
                             how=p.how)
    receiving.record(doc, p)
    doc["condition"] = _table(summary=PLACEHOLDERS["condition"])
    return doc


def _table(**fields: str) -> tomlkit.items.Table:
    table = tomlkit.table()
    for key, value in fields.items():
        table[key] = value
    return table


def _write_order(path: Path, ids: list[str]) -> tuple[bool, list[str]]:
    """Append the ids to archive.toml's `sources` list, keeping every other byte; no list, no change."""
    raw = path.read_bytes()
    doc = tomlkit.parse(raw.decode("utf-8"))  # bytes, not text mode: keep CRLF line ends as they are
    if "sources" not in doc:
        return False, []
    order = doc["sources"]
    appended = [sid for sid in ids if sid not in order]
    if not appended:
        return True, []
    for sid in appended:
        order.append(sid)
    text = tomlkit.dumps(doc)
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return True, appended

"""`archive status`: what a corpus still lacks before its next edition.

`status(corpus, out)` loads the corpus (a corpus that does not load raises CorpusError, as for a
build) and reports, for each source, what its provenance record still lacks (placeholders
written by `archive add`, unknown rights, no date, a title the tool derived), its notes (how many,
how many cannot be placed); and for the archive, a subtitle or description that no longer
matches the number of sources, what `archive init` left to write, and an identifier or edition
date unchanged since the last deposit although the content changed. Stale editions in the
output folder are a notice, not a lack: the next build makes them again.

`archive status --strict`, `archive build --strict` and `archive deposit --strict` refuse the same
things: every Item with `blocks` true.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from . import anchor, corpus, files, init, sources_io
from .errors import CorpusError, Problem
from .model import Archive, Source

NUMBER_WORDS = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
COUNTED = re.compile(r"\b(\d+|" + "|".join(NUMBER_WORDS) + r")\s+(?:[a-z-]+\s+)?"
                     r"(documents?|sources?|texts?|letters?|items?|records?)\b", re.IGNORECASE)
UNKNOWN = {"", "unknown", "unknown.", "not recorded", "not recorded."}


@dataclass(frozen=True)
class Item:
    """One thing incomplete (blocks: a strict build refuses it) or a notice (blocks false)."""

    code: str
    path: Path | None
    message: str
    fix: str
    source: str = ""  # the source's id, for a source's item
    blocks: bool = True

    def problem(self) -> Problem:
        return Problem(self.code, self.path, self.message, self.fix)

    def as_dict(self) -> dict:
        return {"code": self.code, "path": str(self.path) if self.path else None, "source": self.source or None,
                "message": self.message, "fix": self.fix, "blocks": self.blocks}


@dataclass(frozen=True)
class SourceStatus:
    id: str
    kind: str
    format: str
    size: int
    notes: int
    unplaced: int
    lacks: tuple[str, ...]  # the codes of its items, in words: "summary", "rights", ...


@dataclass(frozen=True)
class Status:
    corpus: Path
    title: str
    sources: tuple[SourceStatus, ...]
    items: tuple[Item, ...]

    @property
    def blocking(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.blocks)

    @property
    def complete(self) -> bool:
        return not self.blocking

    def as_dict(self) -> dict:
        return {"corpus": str(self.corpus), "title": self.title, "complete": self.complete,
                "sources": [vars(s) | {"lacks": list(s.lacks)} for s in self.sources],
                "items": [i.as_dict() for i in self.items]}

    def text(self) -> str:
        rows = [("source", "kind", "format", "size", "notes", "still lacks")]
        for s in self.sources:
            notes = f"{s.notes}" + (f" ({s.unplaced} unplaced)" if s.unplaced else "")
            rows.append((s.id, s.kind or "-", s.format, f"{s.size:,}", notes, ", ".join(s.lacks) or "nothing"))
        widths = [max(len(r[k]) for r in rows) for k in range(5)]
        lines = [f"{self.title} ({self.corpus})", ""]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r[:5], widths)) + "  " + r[5] for r in rows]
        if len(rows) == 1:
            lines.append("(no sources yet)")
        lines.append("")
        for item in self.items:
            where = f"{item.path}: " if item.path else ""
            lines.append(f"{where}{'incomplete' if item.blocks else 'notice'} {item.code}: {item.message}")
            lines.append(f"    fix: {item.fix}")
        n = len(self.blocking)
        if not n:
            lines.append("Nothing incomplete." + (f" {len(self.items)} notice(s)." if self.items else ""))
        else:
            lines.append(f"{n} thing(s) incomplete. `archive build --strict` and `archive deposit --strict` "
                         "refuse them; see docs/workflow.md.")
        return "\n".join(lines).rstrip() + "\n"


def status(corpus_dir: Path, out: Path | None = None) -> Status:
    """What corpus_dir lacks; out (the output folder) for stale editions and the last deposit."""
    archive = corpus.load(Path(corpus_dir))  # CorpusError: the corpus cannot be assessed
    return of_archive(archive, Path(corpus_dir), out)


def of_archive(archive: Archive, corpus_dir: Path, out: Path | None = None, placed: bool = False) -> Status:
    """The status of a loaded archive (placed: its notes are known to be placed, as after a build)."""
    items: list[Item] = []
    sources = []
    for source in archive.sources:
        own = source_items(source)
        unplaced = 0 if placed else _unplaced(source)
        if unplaced:
            own.append(Item("S412", source.notes_path, f"{unplaced} note(s) of '{source.id}' cannot be placed",
                            "run `archive build` to see why each cannot be placed, and correct `exact`",
                            source.id))
        if not source.notes:
            own.append(Item("S411", source.path, f"'{source.id}' has no editorial notes",
                            f"write them in sources/{source.id}.notes.toml, or import them with "
                            f"`archive notes import FILE --source {source.id}`", source.id))
        items += own
        sources.append(SourceStatus(source.id, source.provenance.kind, source.format, source.size,
                                    len(source.notes), unplaced, tuple(LACKS[i.code] for i in own if i.blocks)))
    items += archive_items(archive)
    if out is not None:
        items += deposit_items(archive, Path(corpus_dir), Path(out))
    return Status(Path(corpus_dir), archive.full_title, tuple(sources), tuple(items))


LACKS = {"S401": "provenance", "S402": "title", "S403": "summary", "S404": "rights", "S405": "author",
         "S406": "date", "S407": "origin", "S408": "condition", "S409": "how received", "S410": "kind",
         "S411": "notes", "S412": "unplaced notes"}


def source_items(source: Source) -> list[Item]:
    """What a source's provenance record still lacks."""
    p = source.provenance
    sidecar = source.path.with_suffix(".toml")
    sid = source.id
    if not p.recorded:
        return [Item("S401", sidecar, f"'{sid}' has no provenance record",
                     f"write sources/{sid}.toml (docs/corpus-format.md), or add the file again with `archive add`",
                     sid)]
    found = []

    def lack(code: str, message: str, fix: str, blocks: bool = True) -> None:
        found.append(Item(code, sidecar, f"'{sid}': {message}", fix, sid, blocks))

    if p.title_derived:
        lack("S402", f"the title «{p.title}» was derived by the tool from the first line",
             "give the document's own title, or one of yours with title_supplied = true; remove title_derived")
    if p.summary.strip() in ("", sources_io.PLACEHOLDERS["summary"]):
        lack("S403", "the summary is not yet written", "write `summary`: what the document is and says")
    if p.rights.strip().lower() in UNKNOWN:
        lack("S404", "the rights are unknown", "write `rights`: who holds them, and on what terms it is reproduced")
    if not p.authors:
        lack("S405", "no author is recorded",
             "add [[authors]] with name, role and certainty (stated | inferred, with evidence); a document "
             "that names no author may have none recorded: say so in origin.description", blocks=False)
    if p.date.certainty == "unknown" or not p.date.value:
        lack("S406", "the date is unknown",
             "give [date] value and certainty (stated, or inferred with evidence), if the document or the "
             "public record allows")
    if p.origin_description.strip().lower() in UNKNOWN:
        lack("S407", "the origin is unknown", "describe in origin.description where the document came from")
    if p.condition_summary.strip() in ("", sources_io.PLACEHOLDERS["condition"]):
        lack("S408", "the condition is not yet examined",
             "describe the file's condition in condition.summary, and its flaws in condition.flaws")
    if p.received_how.strip() in ("", sources_io.DEFAULT_HOW):
        lack("S409", "how it was received is not recorded", "say in received.how how and when it came to you")
    if not p.kind.strip():
        lack("S410", "its kind is not given", "say what the document is: letter, news report, statement, …")
    return found


def _unplaced(source: Source) -> int:
    if not source.notes:
        return 0
    return len(anchor.anchor_source(source, anchor.reading_text(source))[1])


def counted(text: str) -> list[int]:
    """The numbers of documents a text names: 'Five Documents' -> [5]."""
    found = []
    for m in COUNTED.finditer(text):
        word = m.group(1).lower()
        found.append(int(word) if word.isdigit() else NUMBER_WORDS[word])
    return found


def archive_items(archive: Archive) -> list[Item]:
    toml = archive.root / "archive.toml"
    items = []
    n = len(archive.sources)
    if not n:
        items.append(Item("S415", archive.root / "sources", "the corpus has no sources yet",
                          f"add each received file with `archive add FILE --corpus {archive.root}`"))
    for field, text in (("subtitle", archive.subtitle), ("description", archive.description)):
        wrong = [k for k in counted(text) if k != n]
        if wrong:
            items.append(Item("S413", toml, f"the {field} speaks of {wrong[0]} document(s), but the corpus has {n}",
                              f"bring `{field}` up to date with the sources"))
    if archive.description.strip() == init.DESCRIPTION_PLACEHOLDER:
        items.append(Item("S414", toml, "the description is not yet written",
                          "write `description`: a paragraph on what the archive holds"))
    if init.INTRODUCTION_PLACEHOLDER in archive.introduction:
        items.append(Item("S414", archive.root / "introduction.md", "the introduction is not yet written",
                          "write the editorial introduction in introduction.md (Markdown)"))
    return items


def deposit_items(archive: Archive, corpus_dir: Path, out: Path) -> list[Item]:
    """Against what is in the output folder: the last deposit, and the editions' record of inputs."""
    from . import deposit, metadata, notes_io

    items = []
    bag = out / f"{archive.slug}-deposit"
    info = _bag_info(bag / "bag-info.txt")
    if info:
        manifest = _manifest(bag / "manifest-sha256.txt")
        then = {k: v for k, v in manifest.items() if k.startswith("data/sources/") or k.startswith("data/notes/")}
        now = {f"data/sources/{s.file_name}": s.sha256 for s in archive.sources}
        for s in archive.sources:  # the notes as written (the deposit keeps each notes file too)
            if s.notes_path and s.notes_path.is_file():
                try:
                    now[f"data/notes/{s.notes_path.name}"] = hashlib.sha256(files.read_bytes(s.notes_path)).hexdigest()
                except (OSError, files.Refused):
                    now[f"data/notes/{s.notes_path.name}"] = "(cannot be read)"
        try:
            _, anchors = anchor.anchor(archive)
            notes = metadata.json_bytes(notes_io.collection_of(archive, anchors))
            now["data/notes/annotations.jsonld"] = hashlib.sha256(notes).hexdigest()
        except CorpusError:
            now["data/notes/annotations.jsonld"] = "(notes cannot be placed)"
        if then != now:
            toml = corpus_dir / "archive.toml"
            if info.get("External-Identifier") == archive.identifier:
                items.append(Item("S416", toml, f"the identifier {archive.identifier} is that of the last deposit "
                                  f"({bag}), but the sources or notes have changed since",
                                  "give this edition a new identifier (python3 -c \"import uuid; "
                                  "print(uuid.uuid4())\", as urn:uuid:…): two different deposits must not share one"))
            if info.get("Bagging-Date") == archive.date.date().isoformat():
                items.append(Item("S417", toml, f"the edition date {info['Bagging-Date']} is that of the last "
                                  "deposit, but the sources or notes have changed since",
                                  "set `date` to this edition's date"))
    record = out / f".{archive.slug}.inputs.json"
    try:
        old = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = None
    if old and old.get("inputs", {}).get("corpus") != deposit.inputs_record(corpus_dir, ()).get("corpus"):
        items.append(Item("S418", out, "the editions in this folder were built from an earlier state of the corpus",
                          f"run `archive build {corpus_dir} --out {out}` (or `archive deposit`) to make them again",
                          blocks=False))
    return items


def _bag_info(path: Path) -> dict[str, str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def _manifest(path: Path) -> dict[str, str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    return {rel: sha for sha, _, rel in (line.partition("  ") for line in lines) if rel}


def refuse_incomplete(corpus_dir: Path, out: Path | None) -> None:
    """For `--strict`: raise CorpusError listing everything incomplete (exit 2), or return."""
    found = status(corpus_dir, out)
    if found.blocking:
        raise CorpusError([i.problem() for i in found.blocking])

"""Exchange notes with annotation tools: Hypothesis records and W3C Web Annotation JSON-LD.

`import_file(corpus, file, source_id)`: read -> map each target to a source -> anchor ->
merge into sources/<id>.notes.toml (comments and existing notes kept, written atomically).
Every annotation ends up placed, skipped (replies, highlights without text) or an orphan,
with the reason; none is dropped silently.

`export(corpus)`: anchor every note -> one AnnotationCollection, deterministic, that this
module and other tools read back.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Table

from . import anchor, clock, corpus, files
from .errors import CorpusError, Problem, UsageError
from .model import NOTE_KINDS, Archive, Selector, Source
from .output import atomic_path

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
CONTEXT_WIDTH = 32  # code points of prefix/suffix on export, as Hypothesis records them
KIND_TAGS = {**{k: k for k in NOTE_KINDS}, "xref": "cross-reference", "cross reference": "cross-reference",
             "crossreference": "cross-reference", "cross-ref": "cross-reference"}
DEFAULT_KIND = "gloss"
HYPOTHESIS_LINK = re.compile(r"https?://(?:hypothes\.is/a|hyp\.is)/([A-Za-z0-9_-]+)/?\Z")


# -- what an annotation says, whichever tool wrote it ---------------------------------------

@dataclass(frozen=True)
class Annotation:
    id: str  # as the tool gave it
    tool: str  # "Hypothesis" | "W3C"
    body: str  # Markdown
    tags: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()  # the URIs of what it annotates
    selector: Selector | None = Selector()  # Selector(): the whole source; None: no usable selector
    selector_types: tuple[str, ...] = ()  # as given, for a message when none is usable
    reply_to: str = ""  # the annotation it replies to; "" when it is not a reply
    created: str = ""  # as the tool recorded them (ISO 8601 UTC); "" when not given
    modified: str = ""
    creator: str = ""  # the name (or account) of who wrote it; "" when not given

    @property
    def kind(self) -> str:
        for tag in self.tags:
            kind = KIND_TAGS.get(" ".join(tag.lower().split()))
            if kind:
                return kind
        return DEFAULT_KIND


@dataclass(frozen=True)
class Placed:
    annotation: str
    source: str
    note: str
    action: str  # added | replaced | unchanged
    kind: str
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class Skipped:
    annotation: str
    reason: str


@dataclass(frozen=True)
class Orphan:
    annotation: str
    reason: str
    quote: str = ""
    candidates: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.annotation}: {self.reason}"
        if self.quote:
            text += f". Quote: «{anchor._clip(self.quote)}»"
        if self.candidates:
            text += ". Nearest passages: " + "; ".join(self.candidates)
        return text


@dataclass(frozen=True)
class ImportReport:
    placed: tuple[Placed, ...]
    skipped: tuple[Skipped, ...]
    orphans: tuple[Orphan, ...]
    written: tuple[Path, ...]


# -- reading ----------------------------------------------------------------------------------

def read_annotations(path: Path) -> list[Annotation]:
    """Every annotation in a Hypothesis or W3C file. Raises UsageError for a file it cannot use."""
    path = Path(path)
    try:
        data = json.loads(files.read_bytes(path, limit=files.SOURCE_BYTES).decode("utf-8"))
    except files.Refused as e:
        raise UsageError(str(e.problem)) from None
    except RecursionError:
        raise UsageError(f"{path}: JSON nested too deeply to be annotations") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot read the annotations file: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise UsageError(f"{path}: not valid UTF-8 (byte {e.start}); annotation files are UTF-8 JSON") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}:{e.lineno}: malformed JSON: {e.msg} (column {e.colno})") from None
    try:
        return [_annotation(item) for item in _items(data)]
    except (TypeError, ValueError, AttributeError) as e:
        raise UsageError(f"{path}: not Hypothesis or W3C Web Annotation records: {e}") from None


def _items(data: Any) -> list[dict]:
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object or list")
    types = _types(data)
    if isinstance(data.get("rows"), list):  # Hypothesis API search response
        return data["rows"]
    if "AnnotationCollection" in types:
        first = data.get("first")
        if isinstance(first, str):
            raise ValueError(f"the collection's first page is only a link ({first}); save the pages themselves")
        if isinstance(first, dict):
            return first.get("items") or []
        return data.get("items") or []
    if "AnnotationPage" in types:
        return data.get("items") or []
    if "Annotation" in types or "target" in data:
        return [data]
    raise ValueError("expected {\"rows\": [...]}, a list of annotations, an Annotation, "
                     "an AnnotationCollection or an AnnotationPage")


def _types(obj: dict) -> set[str]:
    t = obj.get("type", obj.get("@type", ()))
    return {t} if isinstance(t, str) else set(t)


def _annotation(item: Any) -> Annotation:
    if not isinstance(item, dict):
        raise ValueError(f"an annotation should be a JSON object, not {type(item).__name__}")
    w3c = "@context" in item or "Annotation" in _types(item) or "body" in item or "bodyValue" in item
    return _from_w3c(item) if w3c else _from_hypothesis(item)


def _from_hypothesis(row: dict) -> Annotation:
    targets = row.get("target") or []
    targets = [targets] if isinstance(targets, dict) else targets
    uris = [t.get("source", "") for t in targets if isinstance(t, dict)] + [row.get("uri", "")]
    selectors = next((t.get("selector") for t in targets if isinstance(t, dict) and t.get("selector")), [])
    selector, types = _selector(selectors)
    references = row.get("references") or []
    return Annotation(id=str(row.get("id", "")), tool="Hypothesis", body=str(row.get("text") or ""),
                      tags=tuple(str(t) for t in row.get("tags") or ()), targets=_unique(uris),
                      selector=selector, selector_types=types, reply_to=str(references[-1]) if references else "",
                      created=_time(row.get("created")), modified=_time(row.get("updated")),
                      creator=str(row.get("user") or ""))


def _from_w3c(anno: dict) -> Annotation:
    bodies = anno.get("body", [])
    bodies = bodies if isinstance(bodies, list) else [bodies]
    texts, tags = [], []
    if isinstance(anno.get("bodyValue"), str):
        texts.append(anno["bodyValue"])
    for b in bodies:
        if not isinstance(b, dict):
            continue  # a body that is only a link carries no text
        purposes = b.get("purpose", [])
        purposes = [purposes] if isinstance(purposes, str) else purposes
        value = b.get("value")
        if not isinstance(value, str):
            continue
        (tags if "tagging" in purposes else texts).append(value)
    targets = anno.get("target", [])
    targets = targets if isinstance(targets, list) else [targets]
    uris, selectors = [], []
    for t in targets:
        if isinstance(t, str):
            uris.append(t)
        elif isinstance(t, dict):
            uris.append(t.get("source") or t.get("id") or "")
            if not selectors and t.get("selector"):
                selectors = t["selector"]
    selector, types = _selector(selectors)
    motivations = anno.get("motivation", [])
    motivations = [motivations] if isinstance(motivations, str) else motivations
    reply_to = ""
    if "replying" in motivations:
        reply_to = next((u for u in uris if u), "another annotation")
    aid = str(anno.get("id") or anno.get("@id") or "")
    if not aid:  # the model requires an id; without one, derive a stable one from the content
        aid = "sha256:" + hashlib.sha256(json.dumps(anno, sort_keys=True).encode()).hexdigest()[:16]
    creator = anno.get("creator")
    creator = creator[0] if isinstance(creator, list) and creator else creator
    creator = creator.get("name") or creator.get("nickname") or "" if isinstance(creator, dict) else creator
    return Annotation(id=aid, tool="W3C", body="\n\n".join(t.strip() for t in texts if t.strip()),
                      tags=tuple(tags), targets=_unique(uris), selector=selector, selector_types=types,
                      reply_to=reply_to, created=_time(anno.get("created")), modified=_time(anno.get("modified")),
                      creator=creator if isinstance(creator, str) else "")


def _time(value: Any) -> str:
    """A tool's time stamp as an ISO 8601 UTC stamp; "" when absent or without a zone."""
    when = clock.parse(value) if isinstance(value, str) else None
    return clock.stamp(when) if when else ""


def _selector(selectors: Any) -> tuple[Selector | None, tuple[str, ...]]:
    """A TextQuoteSelector (with a TextPositionSelector hint); Selector() when there is none at all."""
    selectors = [selectors] if isinstance(selectors, dict) else list(selectors or [])
    selectors = [s for s in selectors if isinstance(s, dict)]
    if not selectors:
        return Selector(), ()
    types = tuple(str(s.get("type", "?")) for s in selectors)
    quote = next((s for s in selectors if s.get("type") == "TextQuoteSelector"), None)
    if quote is None or not isinstance(quote.get("exact"), str) or not quote["exact"]:
        return None, types
    position = next((s for s in selectors if s.get("type") == "TextPositionSelector"), {})
    start, end = position.get("start"), position.get("end")
    if not (_whole_number(start) and _whole_number(end) and start <= end):
        start = end = None
    return Selector(quote["exact"], str(quote.get("prefix") or ""), str(quote.get("suffix") or ""),
                    start, end), types


def _whole_number(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if isinstance(v, str) and v))


# -- ids and URIs -----------------------------------------------------------------------------

def source_uri(archive: Archive, source: Source) -> str:
    """What an annotation's target names: the source's URL, else its first identifier, else a URN."""
    return source.provenance.url or next(iter(source.provenance.identifiers), "") \
        or f"{archive.identifier}#{source.id}"


def annotation_id(archive: Archive, source: Source, note_id: str) -> str:
    return f"{archive.identifier}#{source.id}/{note_id}"


def note_id(archive: Archive, source: Source, a: Annotation) -> str:
    """A stable note id for an annotation: the same annotation always gets the same id."""
    own = annotation_id(archive, source, "")
    if a.id.startswith(own) and corpus.ID_FORM.match(a.id[len(own):]):
        return a.id[len(own):]  # one of our own exported notes, coming back
    m = HYPOTHESIS_LINK.match(a.id)
    if a.tool == "Hypothesis" or m:
        return "h-" + _slug(m.group(1) if m else a.id)
    last = _slug(re.split(r"[/#:?=]", a.id.rstrip("/"))[-1])[:40]
    digest = hashlib.sha256(a.id.encode()).hexdigest()[:8]
    return f"w-{last}-{digest}" if last else f"w-{digest}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _uri_key(uri: str) -> str:
    return uri.strip().rstrip("/")


def _sources_by_uri(archive: Archive) -> dict[str, set[str]]:
    index: dict[str, set[str]] = {}
    for s in archive.sources:
        for uri in (s.provenance.url, *s.provenance.identifiers, f"{archive.identifier}#{s.id}"):
            if uri:
                index.setdefault(_uri_key(uri), set()).add(s.id)
    return index


# -- import -----------------------------------------------------------------------------------

def import_file(corpus_dir: Path, path: Path, source_id: str | None = None) -> ImportReport:
    """Import the annotations in path into the corpus's notes files.

    Raises UsageError (unreadable file, unknown source) or CorpusError (the corpus does not
    load). Orphans are reported, not raised: the notes that anchor are written all the same.
    """
    annotations = read_annotations(path)
    archive = corpus.load(Path(corpus_dir))
    sources = {s.id: s for s in archive.sources}
    if source_id is not None and source_id not in sources:
        raise UsageError(f"--source {source_id}: the corpus has no such source "
                         f"(its sources: {', '.join(sorted(sources)) or 'none'})")
    by_uri = _sources_by_uri(archive)
    texts: dict[str, str] = {}
    notes: dict[str, list[tuple[Annotation, dict]]] = {}
    skipped, orphans = [], []
    for a in annotations:
        if a.reply_to:
            skipped.append(Skipped(a.id, f"a reply (to {a.reply_to}); replies are not notes"))
            continue
        if not a.body.strip():
            skipped.append(Skipped(a.id, "a highlight with no text; a note needs a body"))
            continue
        sid, why = _source_of(a, source_id, by_uri)
        if sid is None:
            orphans.append(Orphan(a.id, why))
            continue
        source = sources[sid]
        if a.selector is None:
            orphans.append(Orphan(a.id, f"its target has no TextQuoteSelector (only {', '.join(a.selector_types)}); "
                                  "a quote is needed to anchor it"))
            continue
        text = texts.setdefault(sid, anchor.reading_text(source)) if a.selector.exact else ""
        try:
            span = anchor.locate(text, a.selector)
        except anchor.Unanchored as e:
            orphans.append(Orphan(a.id, f"in {sid}, {e.reason}", a.selector.exact, tuple(e.candidates)))
            continue
        notes.setdefault(sid, []).append((a, _note_fields(note_id(archive, source, a), a, text, span)))
    placed, written = [], []
    for sid, found in notes.items():
        actions, path_written = _merge(sources[sid], texts.get(sid), found)
        placed += actions
        if path_written:
            written.append(path_written)
    return ImportReport(tuple(placed), tuple(skipped), tuple(orphans), tuple(written))


def _source_of(a: Annotation, source_id: str | None, by_uri: dict[str, set[str]]) -> tuple[str | None, str]:
    if source_id is not None:
        return source_id, ""
    matches = set().union(*(by_uri.get(_uri_key(u), set()) for u in a.targets)) if a.targets else set()
    if len(matches) == 1:
        return matches.pop(), ""
    if matches:
        return None, f"its target matches several sources ({', '.join(sorted(matches))}); say which with --source"
    named = ", ".join(a.targets) or "nothing"
    return None, (f"its target ({named}) is no source's origin.url or origin.identifiers; record it "
                  "in the source's provenance, or import with --source ID")


def _note_fields(nid: str, a: Annotation, text: str, span: tuple[int, int] | None) -> dict:
    fields: dict[str, Any] = {"id": nid, "kind": a.kind}
    if span is not None:
        start, end = span
        prefix, suffix = anchor.settling_context(text, start, end)
        fields["exact"] = text[start:end]
        if prefix or suffix:
            fields["prefix"], fields["suffix"] = prefix, suffix
        fields["start"], fields["end"] = start, end
    fields["body"] = a.body.strip()
    if a.creator:
        fields["creator"] = a.creator
    return fields


def _merge(source: Source, text: str | None, found: list[tuple[Annotation, dict]]) -> tuple[list[Placed], Path | None]:
    """Add or replace notes in the source's notes file; write it (atomically) only if it changed.

    Replaced notes are edited in place by tomlkit, which leaves every other byte as it was;
    new notes are appended at the end, one blank line apart.
    """
    path = source.notes_path or source.path.with_name(f"{source.id}.notes.toml")
    original = path.read_text(encoding="utf-8") if path.is_file() else ""
    doc = tomlkit.parse(original)
    tables = doc.get("notes", tomlkit.aot())
    if not isinstance(tables, AoT):
        raise UsageError(f"{path}: write the notes as [[notes]] tables, so that imported notes can join them")
    existing = {str(t.get("id") or f"n{i + 1}"): t for i, t in enumerate(tables)}
    actions, added, changed = [], [], False
    when = clock.now()  # a replaced note's modified time, unless the annotation gives its own
    for a, fields in found:
        nid = fields["id"]
        old = existing.get(nid)
        if old is not None and _same_note(old, fields, text or ""):
            action = "unchanged"
        elif old is not None:
            for key in [k for k in old if k not in fields and k not in ("created", "creator")]:
                del old[key]
            for key, value in fields.items():
                old[key] = _toml_value(key, value)
            old["modified"] = _when(a.modified, when)
            action, changed = "replaced", True
        else:
            table = tomlkit.table()
            times = {k: clock.parse(v) for k, v in (("created", a.created), ("modified", a.modified or a.created)) if v}
            for key, value in {**fields, **times}.items():
                table[key] = _toml_value(key, value)
            table.comment(f"from {a.tool} annotation {a.id}")
            added.append(table)
            existing[nid] = table
            action, changed = "added", True
        actions.append(Placed(a.id, source.id, nid, action, fields["kind"], fields.get("start"), fields.get("end")))
    if not changed:
        return actions, None
    out = tomlkit.dumps(doc).rstrip("\n") or f"# Editorial notes on {source.id} (see docs/corpus-format.md)."
    for table in added:
        one = tomlkit.document()
        one.append("notes", tomlkit.aot())
        one["notes"].append(table)
        out += "\n\n" + tomlkit.dumps(one).strip("\n")
    _write_checked(path, out + "\n")
    return actions, path


def _when(recorded: str, now):
    """The time to record: the annotation's own when it gives one, else now (a TOML date-time)."""
    return clock.parse(recorded) if recorded else now


def _same_note(table: Table, fields: dict, text: str) -> bool:
    """Whether a note already says what the import would write: same kind, body and passage."""
    if str(table.get("kind", "")) != fields["kind"] or str(table.get("body", "")).strip() != fields["body"]:
        return False
    selector = Selector(str(table.get("exact", "")), str(table.get("prefix", "")), str(table.get("suffix", "")),
                        table.get("start"), table.get("end"))
    try:
        span = anchor.locate(text, selector)
    except anchor.Unanchored:
        return False
    return span == ((fields["start"], fields["end"]) if "start" in fields else None)


def _toml_value(key: str, value: Any) -> Any:
    """A body with line breaks as a multi-line string, for the editor; quotes stay escaped, exactly."""
    if key == "body" and isinstance(value, str) and "\n" in value and value.strip() == value:
        return tomlkit.string(value, multiline=True)
    return value


def _write_checked(path: Path, text: str) -> None:
    """Write a notes file atomically, after reading it back as the build will."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
        problems: list[Problem] = []
        corpus._notes(tmp, problems)
        if problems:  # a fault of this module, not of the input: never leave a file the build refuses
            raise CorpusError([Problem(p.code, path, p.message, p.fix, p.line) for p in problems])


# -- export -----------------------------------------------------------------------------------

def export(corpus_dir: Path) -> tuple[str, int]:
    """Every note of the corpus as a W3C AnnotationCollection (JSON-LD text) and the count.

    Raises CorpusError when the corpus does not load or a note does not anchor.
    """
    archive = corpus.load(Path(corpus_dir))
    archive, anchors = anchor.anchor(archive)
    collection = collection_of(archive, anchors)
    return serialise(collection), collection["total"]


def serialise(collection: dict) -> str:
    """The JSON-LD text of a collection, the same bytes every time."""
    return json.dumps(collection, ensure_ascii=False, indent=2) + "\n"


_made: tuple = ()  # (archive, anchors, text): the last JSON-LD made, which the next edition of a build reuses


def jsonld(archive: Archive, anchors: dict[str, list[anchor.Anchored]]) -> str:
    """Every note as JSON-LD text (serialise(collection_of(...))): made once for the editions of one build."""
    global _made
    if not (_made and _made[0] is archive and _made[1] is anchors):
        _made = (archive, anchors, serialise(collection_of(archive, anchors)))
    return _made[2]


MOTIVATIONS = {"sic": "commenting", "gloss": "commenting", "condition": "describing",
               "cross-reference": "linking"}  # W3C Web Annotation motivations that fit each note kind


def collection_of(archive: Archive, anchors: dict[str, list[anchor.Anchored]]) -> dict:
    """Every note as one W3C AnnotationCollection with a single page (`first` = `last`)."""
    items = []
    for source in archive.sources:
        placed = anchors.get(source.id, [])
        text = anchor.reading_text(source) if any(not a.whole for a in placed) else ""
        for a in sorted(placed, key=lambda a: a.number):
            items.append(annotation_of(archive, source, a, text))
        for a in anchor.links_of(source):  # register links (kind "register"): no note, an entry
            items.append(link_annotation_of(archive, source, a, text or anchor.reading_text(source)))
    collection_id, page_id = f"{archive.identifier}#notes", f"{archive.identifier}#notes-page-1"
    return {
        "@context": ANNO_CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": f"Editorial notes: {archive.full_title}",
        "total": len(items),
        "first": {"id": page_id, "type": "AnnotationPage", "partOf": collection_id, "startIndex": 0,
                  "items": items},
        "last": page_id,
    }


def annotation_of(archive: Archive, source: Source, a: anchor.Anchored, text: str) -> dict:
    """One note as a W3C Annotation: a whole-source note targets the source's IRI itself."""
    motivation = MOTIVATIONS.get(a.note.kind, "commenting")
    annotation = _exported(archive, source, a, motivation)
    annotation["body"] = [
        {"type": "TextualBody", "purpose": "tagging", "value": a.note.kind},
        {"type": "TextualBody", "purpose": motivation, "format": "text/markdown", "value": a.note.body},
    ]
    annotation["target"] = source_uri(archive, source) if a.whole else _passage(archive, source, a, text)
    return annotation


LINK_MOTIVATION = "identifying"  # a register link: the passage names the entry (not a note; not counted)


def link_annotation_of(archive: Archive, source: Source, a: anchor.Anchored, text: str) -> dict:
    """A register link as a W3C Annotation: motivation identifying, its body the entry's IRI in the
    edition (`<archive identifier>#register/<entry id>`), no text."""
    annotation = _exported(archive, source, a, LINK_MOTIVATION)
    annotation["body"] = {"id": f"{archive.identifier}#register/{a.note.entry}", "purpose": LINK_MOTIVATION}
    annotation["target"] = _passage(archive, source, a, text)
    return annotation


def _exported(archive: Archive, source: Source, a: anchor.Anchored, motivation: str) -> dict[str, Any]:
    """What every annotation of the export starts with: context, id, type, motivation, and the
    creator and times the note records (never invented)."""
    annotation: dict[str, Any] = {
        "@context": ANNO_CONTEXT,
        "id": annotation_id(archive, source, a.note.id),
        "type": "Annotation",
        "motivation": motivation,
    }
    creator = creator_of(archive, a.note.creator)
    if creator:
        annotation["creator"] = creator
    for key in ("created", "modified"):
        if getattr(a.note, key):
            annotation[key] = getattr(a.note, key)
    return annotation


def _passage(archive: Archive, source: Source, a: anchor.Anchored, text: str) -> dict[str, Any]:
    """A passage of the source as a target: its quote (with context) and its position."""
    prefix, suffix = anchor.context(text, a.start, a.end, CONTEXT_WIDTH)
    return {"source": source_uri(archive, source), "selector": [
        {"type": "TextQuoteSelector", "exact": text[a.start:a.end], "prefix": prefix, "suffix": suffix},
        {"type": "TextPositionSelector", "start": a.start, "end": a.end},
    ]}


def creator_of(archive: Archive, name: str) -> dict:
    """The note's creator as a W3C agent: the name the note gives, else the archive's first editor."""
    name = name or (archive.editors[0].name if archive.editors else "")
    if not name:
        return {}
    agent: dict[str, Any] = {"name": name}
    if name == archive.publisher:  # the editor is the publishing organisation itself
        agent["type"] = "Organization"
    return agent

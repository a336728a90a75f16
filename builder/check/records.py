"""The records an edition or a bag carries, read back as the archive model: each original as a
Source, the sources as an Archive, and the notes per source from the W3C Web Annotation
collection. Also the XML parser (no entities, no network) and the SHA-256 pattern every check
reads with. Nothing here decides what is damaged beyond a record that cannot be read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from lxml import etree

from ..model import Archive, Provenance, Source
from .report import Report

HEX64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def rebuilt_source(sid: str, path: Path, sha256: str, data: bytes | None = None,
                   recorded_encoding: str | None = None) -> Source:
    """An original an edition or bag carries, as a Source titled by its id. A text is read in the
    encoding recorded for it where the record is carried (a bag's provenance/<id>.json:
    `received.encoding`, the editor's correction included); otherwise a text that is not UTF-8 is
    read in the encoding the detector names (builder/readers/encoding.py): an edition alone does
    not carry `received.encoding`, so an editor's correction of it is known only with --corpus."""
    data = path.read_bytes() if data is None else data
    encoding = ""
    if recorded_encoding and _known_codec(recorded_encoding):
        characters, encoding = 0, recorded_encoding
    else:
        try:
            characters = len(data.decode("utf-8"))
        except UnicodeDecodeError:
            characters, encoding = 0, _detected(path, data)
    provenance = Provenance(title=sid, received_file_name=path.name, received_encoding=encoding)
    return Source(sid, path, sha256, len(data), characters, provenance)


def _known_codec(name: str) -> bool:
    import codecs
    try:
        codecs.lookup(name)
        return True
    except LookupError:
        return False


def _detected(path: Path, data: bytes) -> str:
    from ..model import BINARY_SUFFIXES
    from ..readers.encoding import NotText, detect

    if path.suffix in BINARY_SUFFIXES:  # an email: its reader decodes it
        return ""
    try:
        return detect(data).encoding
    except NotText:
        return ""


def rebuilt_archive(sources: list[Source]) -> Archive:
    """The sources, in order, as an Archive with no other metadata."""
    import datetime as dt
    return Archive(root=Path("."), title="", subtitle="", slug="", identifier="", language="",
                   date=dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc), publisher="", rights="", description="",
                   subjects=(), editors=(), sources=tuple(sources), introduction="")


def note_counts(raw: bytes | None, sources: list[Source], report: Report, label: str,
                where: str) -> dict[str, int] | None:
    """Notes per source, from the W3C Web Annotation collection an edition or bag carries."""
    if raw is None:
        report.damage(label, "the notes (W3C Web Annotation JSON-LD) are missing", where)
        return None
    try:
        collection = json.loads(raw.decode("utf-8"))
        items = (collection.get("first") or {}).get("items", [])
        notes = {s.id: 0 for s in sources}
        for item in items:
            if item.get("motivation") == "identifying":  # a register link, not a note (docs/notes.md)
                continue
            sid = str(item.get("id", "")).rsplit("#", 1)[-1].split("/", 1)[0]
            notes[sid] = notes.get(sid, 0) + 1
        return notes
    except (ValueError, AttributeError):
        report.damage(label, "the notes are not readable JSON-LD", where)
        return None


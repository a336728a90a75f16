"""The archive's own words: frozen records passed from one build stage to the next.

The loader makes them, the writers only read them. Source texts are not held here:
`Source.path` is read when a source is rendered, one at a time, so a corpus of ten
thousand sources never sits in memory whole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .document import Transcription

NOTE_KINDS = ("sic", "gloss", "condition", "cross-reference")
SOURCE_SUFFIXES = (".txt", ".md", ".html")
MEDIA_TYPES = {".txt": "text/plain", ".md": "text/markdown", ".html": "text/html"}
# PDF sources and scans (docs/scans.md): read by builder/readers/pdf.py and scan.py
VISUAL_MEDIA_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".tif": "image/tiff"}
SOURCE_SUFFIXES += tuple(VISUAL_MEDIA_TYPES)
MEDIA_TYPES.update(VISUAL_MEDIA_TYPES)


@dataclass(frozen=True)
class Person:
    name: str
    role: str = "author"
    certainty: str = "stated"  # stated | inferred
    evidence: str = ""


@dataclass(frozen=True)
class SourceDate:
    value: str = ""  # ISO 8601: YYYY, YYYY-MM or YYYY-MM-DD; "" when unknown
    certainty: str = "unknown"  # stated | inferred | unknown
    evidence: str = ""


@dataclass(frozen=True)
class Provenance:
    """Everything the edition says about where a source came from."""

    title: str
    title_supplied: bool = False
    kind: str = ""
    language: str = ""
    summary: str = ""
    rights: str = ""
    authors: tuple[Person, ...] = ()
    date: SourceDate = SourceDate()
    origin_description: str = ""
    publication: str = ""
    url: str = ""
    identifiers: tuple[str, ...] = ()
    received_file_name: str = ""
    received_format: str = ""
    received_sha256: str = ""
    received_how: str = ""
    received_date: str = ""
    condition_summary: str = ""
    flaws: tuple[str, ...] = ()
    recorded: bool = True  # False: no sidecar, provenance missing
    transcription: Transcription | None = None  # [transcription]: how a scan's text was made (docs/scans.md)
    facsimile: str | tuple[int, ...] = ""  # [facsimile] pages: "all", "none", page numbers; "": the kind's default


@dataclass(frozen=True)
class Selector:
    """W3C Web Annotation TextQuoteSelector, with an optional TextPositionSelector hint."""

    exact: str = ""  # "" for a note on the whole source
    prefix: str = ""
    suffix: str = ""
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class Note:
    id: str
    kind: str
    body: str  # Markdown
    selector: Selector = Selector()
    line: int = 0  # where the note starts in its notes file, for error messages


@dataclass(frozen=True)
class Source:
    id: str
    path: Path
    sha256: str  # of the bytes read at load time
    size: int
    characters: int
    provenance: Provenance
    notes: tuple[Note, ...] = ()
    notes_path: Path | None = None

    @property
    def format(self) -> str:
        return self.path.suffix.lstrip(".")

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.path.suffix]

    @property
    def file_name(self) -> str:
        return self.path.name

    def read_text(self) -> str:
        """The decoded text, exactly as received (no newline translation)."""
        return self.path.read_bytes().decode("utf-8")

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


@dataclass(frozen=True)
class Editor:
    name: str
    role: str = "editor"


@dataclass(frozen=True)
class Archive:
    root: Path
    title: str
    subtitle: str
    slug: str
    identifier: str
    language: str
    date: dt.datetime  # the edition's date, UTC; SOURCE_DATE_EPOCH overrides archive.toml
    publisher: str
    rights: str
    description: str
    subjects: tuple[str, ...]
    editors: tuple[Editor, ...]
    sources: tuple[Source, ...]
    introduction: str  # Markdown
    page_size: str = "a5"
    warnings: tuple[str, ...] = field(default=())

    @property
    def full_title(self) -> str:
        return f"{self.title}: {self.subtitle}" if self.subtitle else self.title

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def timestamp(self) -> int:
        return int(self.date.timestamp())

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
SOURCE_SUFFIXES += (".eml",)  # email (builder/readers/email.py)
MEDIA_TYPES[".eml"] = "message/rfc822"
BINARY_SUFFIXES = {".eml"}  # sources whose bytes are not one text: their reader decodes them
BINARY_SUFFIXES |= set(VISUAL_MEDIA_TYPES)  # a PDF or an image: bytes, not text


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
    title_derived: bool = False  # True: the tool took it from the document's first line (archive add)
    kind: str = ""
    language: str = ""
    summary: str = ""
    rights: str = ""
    authors: tuple[Person, ...] = ()
    date: SourceDate = SourceDate()
    origin_description: str = ""
    publication: str = ""
    publication_certainty: str = "stated"  # stated | inferred: how sure the edition is of the publication
    url: str = ""
    identifiers: tuple[str, ...] = ()
    received_file_name: str = ""
    received_format: str = ""
    received_sha256: str = ""
    received_how: str = ""
    received_date: str = ""
    received_encoding: str = ""  # of a text source; "" = UTF-8 (builder/received.py)
    received_detected: str = ""
    received_confidence: float | None = None
    received_alternatives: tuple[str, ...] = ()
    email: tuple[tuple[str, str], ...] = ()  # an email's header fields, (field, value) in display order
    attachments: tuple[str, ...] = ()  # an email's attachments, by source id
    attached_to: str = ""  # the email an attachment came with, by source id
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
    created: str = ""  # ISO 8601 UTC stamps, "" when not recorded
    modified: str = ""
    creator: str = ""  # who wrote it; "" for the archive's first editor
    entry: str = ""  # kind "register": the register entry the passage is linked to (no body, no number)


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
    links: tuple[Note, ...] = ()  # passages linked to a register entry, without a note (kind "register")

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
        """The reading text: decoded in its recorded encoding (UTF-8 if none), a byte-order mark
        dropped, line ends as received (builder/readers/encoding.py)."""
        from .readers.encoding import reading_text
        return reading_text(self.read_bytes(), self.provenance.received_encoding or "utf-8")

    def read_bytes(self) -> bytes:
        """The bytes as received: a regular file, never a pipe or device (builder.files)."""
        from .files import read_bytes
        return read_bytes(self.path)


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
    license: str = ""  # the editorial matter's licence, an absolute URI ("" when not given)
    warnings: tuple[str, ...] = field(default=())
    register: tuple = field(default=())  # builder.register.Entry: people, organisations, terms
    volume_pages: int | None = None  # [pdf] volume_pages: the PDF edition in volumes of about this many pages
    images: tuple | None = None  # the editorial images (builder.links.Image), found when the corpus was checked

    @property
    def full_title(self) -> str:
        return f"{self.title}: {self.subtitle}" if self.subtitle else self.title

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def timestamp(self) -> int:
        return int(self.date.timestamp())

"""The one document model: what a reader makes of a source, and all a writer renders.

A reader (builder/readers/) turns the bytes of a source into a Document; the writers
(builder/writers/) render Documents and parse no source format (docs/architecture.md).

The *reading text* (`Document.text`) is the text a reader of the source sees: the decoded
text of a plain-text file, the text content of Markdown or HTML, the text layer of a PDF,
the transcription of a scan, the body of an email. Every run of text in the tree (Text,
Code, LineBreak, Preformatted) carries its [start, end) in the reading text, so notes,
page markers and the read-back checks work on every kind of source alike. `check(doc)`
proves the runs and the reading text agree:

- runs come in reading order, do not overlap, and each run's text is the reading text's
  slice at its offsets (a LineBreak covers white space only: the line end it stands for);
- what no run covers is white space: separators between blocks, blank lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union

# ---------------------------------------------------------------- inlines


@dataclass(slots=True)  # made by the thousand: not frozen, three times faster to make (treat as frozen)
class Text:
    text: str
    start: int
    end: int


@dataclass(slots=True)  # made by the thousand: not frozen, three times faster to make (treat as frozen)
class Code:
    """Inline code: shown in a monospaced face, its text as it is."""

    text: str
    start: int
    end: int


@dataclass(slots=True)  # made by the thousand: not frozen, three times faster to make (treat as frozen)
class LineBreak:
    """A line end in the reading text: hard (a line break shown) or soft (shown as a space)."""

    start: int
    end: int
    hard: bool = True


@dataclass(frozen=True)
class Emphasis:
    children: tuple["Inline", ...]


@dataclass(frozen=True)
class Strong:
    children: tuple["Inline", ...]


@dataclass(frozen=True)
class Link:
    """A link the editions may follow: href is http(s), mailto or "#<source id>" (readers
    make anything else a Span)."""

    children: tuple["Inline", ...]
    href: str


@dataclass(frozen=True)
class Span:
    """Inline content with no meaning of its own kept (underline, small, sub, a link not kept)."""

    children: tuple["Inline", ...]
    lang: str = ""


Inline = Union[Text, Code, LineBreak, Emphasis, Strong, Link, Span]
RUNS = (Text, Code, LineBreak)

# ---------------------------------------------------------------- blocks


@dataclass(slots=True)  # made by the thousand: not frozen, three times faster to make (treat as frozen)
class Paragraph:
    inlines: tuple[Inline, ...]


@dataclass(frozen=True)
class Heading:
    level: int  # 1-6, as in the source; writers place it under their own headings
    inlines: tuple[Inline, ...]


@dataclass(frozen=True)
class ListBlock:
    items: tuple[tuple["Block", ...], ...]
    ordered: bool = False
    start: int = 1


@dataclass(frozen=True)
class Quote:
    blocks: tuple["Block", ...]


@dataclass(frozen=True)
class Preformatted:
    """Text whose lines and spaces are kept as they are (a code block, <pre>)."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Table:
    head: tuple[tuple[tuple[Inline, ...], ...], ...]  # rows of cells of inlines
    body: tuple[tuple[tuple[Inline, ...], ...], ...]
    align: tuple[str, ...] = ()  # "left" | "right" | "center", per column of the head


@dataclass(frozen=True)
class ThematicBreak:
    pass


@dataclass(frozen=True)
class Field:
    name: str  # as the editions label it (From, To, Date, Subject ...): not reading text
    inlines: tuple[Inline, ...]  # the value, in the reading text


@dataclass(frozen=True)
class Fields:
    """Header fields (an email's From, To, Date, Subject ...), shown as a header block."""

    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Figure:
    """An image of the source (a page facsimile, a figure): Document.images[image]."""

    image: int
    alt: str
    caption: tuple[Inline, ...] = ()


@dataclass(frozen=True)
class PageBoundary:
    """Where a page of the original begins: before the reading text's character at offset."""

    page: int  # 1-based, in the original
    offset: int
    label: str = ""


Block = Union[Paragraph, Heading, ListBlock, Quote, Preformatted, Table, ThematicBreak, Fields, Figure,
              PageBoundary]

# ---------------------------------------------------------------- the document


@dataclass(frozen=True)
class Image:
    name: str  # a file name, unique in its document
    media_type: str
    data: bytes
    alt: str = ""


@dataclass(frozen=True)
class Transcription:
    """How a reading text was made when it is not the source's own (OCR, an editor's transcription)."""

    engine: str = ""
    version: str = ""
    language: str = ""
    date: str = ""
    confidence: float | None = None
    revised: bool = False


@dataclass(frozen=True)
class Loss:
    """Something of the source a reader could not carry into the document (active content, an
    embedded object): recorded, never silently dropped."""

    what: str
    count: int = 1


@dataclass(frozen=True)
class Document:
    text: str  # the reading text
    blocks: tuple[Block, ...]
    kind: str = ""  # the reader that made it: "txt", "md", "html", ...
    pages: tuple[int, ...] = ()  # where each page of the original begins, as offsets into text
    transcription: Transcription | None = None
    losses: tuple[Loss, ...] = ()
    images: tuple[Image, ...] = ()
    direction: str = "ltr"  # "ltr" | "rtl" | "auto"
    plain: bool = field(default=False)  # paragraphs of lines only (a plain-text source)


# ---------------------------------------------------------------- walking the tree

def children(node) -> tuple:
    """The nodes directly inside a block or inline, in reading order."""
    if isinstance(node, (Emphasis, Strong, Link, Span)):
        return node.children
    if isinstance(node, (Paragraph, Heading)):
        return node.inlines
    if isinstance(node, Quote):
        return node.blocks
    if isinstance(node, ListBlock):
        return tuple(b for item in node.items for b in item)
    if isinstance(node, Table):
        return tuple(i for rows in (node.head, node.body) for row in rows for cell in row for i in cell)
    if isinstance(node, Fields):
        return tuple(i for f in node.fields for i in f.inlines)
    if isinstance(node, Figure):
        return node.caption
    return ()


def runs(nodes) -> Iterator[Text | Code | LineBreak | Preformatted]:
    """Every run of reading text under nodes (a Document, blocks or inlines), in reading order."""
    if isinstance(nodes, Document):
        nodes = nodes.blocks
    for node in nodes:
        if isinstance(node, (Text, Code, LineBreak, Preformatted)):
            yield node
        else:
            yield from runs(children(node))


class Inconsistent(ValueError):
    """A reader made a document whose runs do not agree with its reading text (a reader's fault)."""


def _plain_runs(doc: Document):
    for block in doc.blocks:
        if not isinstance(block, Paragraph):
            raise Inconsistent(f"a plain document holds a {type(block).__name__}")
        yield from block.inlines


def check(doc: Document) -> Document:
    """doc, once its runs are proven to cover its reading text consistently; else Inconsistent."""
    at = 0
    text = doc.text
    for run in (_plain_runs(doc) if doc.plain else runs(doc)):
        if not isinstance(run, (Text, LineBreak)) and doc.plain:
            raise Inconsistent(f"a plain document holds a {type(run).__name__}")
        if run.start < at or run.end < run.start or run.end > len(text):
            raise Inconsistent(f"a run at [{run.start}, {run.end}) overlaps the one before (ending at {at}) "
                               f"or leaves the reading text ({len(text)} characters)")
        if text[at:run.start].strip():
            raise Inconsistent(f"reading text at [{at}, {run.start}) is covered by no run: "
                               f"{text[at:run.start][:40]!r}")
        piece = text[run.start:run.end]
        if isinstance(run, LineBreak):
            if piece.strip():
                raise Inconsistent(f"a line break at [{run.start}, {run.end}) covers text: {piece!r}")
        elif piece != run.text:
            raise Inconsistent(f"a run at [{run.start}, {run.end}) holds {run.text[:40]!r}, "
                               f"the reading text {piece[:40]!r}")
        at = run.end
    if text[at:].strip():
        raise Inconsistent(f"reading text from {at} is covered by no run: {text[at:at + 40]!r}")
    for offset in doc.pages:
        if not 0 <= offset <= len(text):
            raise Inconsistent(f"a page begins at {offset}, outside the reading text")
    return doc

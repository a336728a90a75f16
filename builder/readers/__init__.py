"""Readers: one module per kind of source, each turning the bytes received into a Document
(builder/document.py). READERS is the one place a kind is registered: one line per kind.

    read(source) -> Document      the source's document, checked (builder.document.check)
    reading_text(source) -> (str, bool)   its reading text alone, and whether it is plain text
"""

from __future__ import annotations

from ..document import Document, check
from . import email, html, markdown, pdf, scan, text

READERS = {
    "txt": text.read,
    "md": markdown.read,
    "html": html.read,
    "pdf": pdf.read,  # a PDF without a text layer is read as a scan
    "png": scan.read,
    "jpg": scan.read,
    "tif": scan.read,
    "eml": email.read,  # builder/readers/email.py
}


def read(source, data: bytes | None = None) -> Document:
    """The document of a source (a builder.model.Source): its reader chosen by its kind (data: its
    bytes, if already read)."""
    return check(READERS[source.format](source.read_bytes() if data is None else data, source))


def reading_text(source, data: bytes | None = None) -> tuple[str, bool]:
    """The source's reading text, and whether its document is plain text (paragraphs of lines),
    for what needs no tree (anchoring, the read-backs). Plain text is its decoded text: no tree
    is built for it (builder/readers/text.py: read(data) is document(decode(data))). data: its
    bytes, if already read."""
    if READERS.get(source.format) is text.read:
        return text.decode(source.read_bytes() if data is None else data, source), True
    doc = read(source, data)
    return doc.text, doc.plain

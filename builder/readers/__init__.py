"""Readers: one module per kind of source, each turning the bytes received into a Document
(builder/document.py). READERS is the one place a kind is registered: one line per kind.

    read(source) -> Document      the source's document, checked (builder.document.check)
"""

from __future__ import annotations

from ..document import Document, check
from . import html, markdown, pdf, scan, text

READERS = {
    "txt": text.read,
    "md": markdown.read,
    "html": html.read,
    "pdf": pdf.read,  # a PDF without a text layer is read as a scan
    "png": scan.read,
    "jpg": scan.read,
    "tif": scan.read,
}


def read(source) -> Document:
    """The document of a source (a builder.model.Source): its reader chosen by its kind."""
    return check(READERS[source.format](source.read_bytes(), source))

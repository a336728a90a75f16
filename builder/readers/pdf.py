"""A PDF source: the reading text is its text layer, page by page (builder.pdftext), page
boundaries kept; facsimile pages where the provenance's [facsimile] asks for them (none by
default). A PDF without a text layer is a scan: read as one (builder/readers/scan.py)."""

from __future__ import annotations

from .. import pdftext
from ..document import Document
from . import facsimile, scan

MEDIA_TYPE = "application/pdf"
ALT = "Page {page} of {pages} of the PDF as received, as an image; its text follows."


def read(data: bytes, source=None) -> Document:
    layer = pdftext.read(data)
    if not layer.has_text_layer:
        return scan.read(data, source)
    starts = layer.page_starts
    return facsimile.paged(layer.text, starts, data, MEDIA_TYPE, facsimile.pages_shown(source, len(starts), "none"),
                           ALT, kind="pdf")

"""What PDF and scan documents share: a reading text cut into pages of the original, each page
preceded by where it begins (PageBoundary) and, where the corpus asks for it, its facsimile
(Figure: the page as an image, with alt text). The facsimile images are made by
builder.facsimile; a document is read several times in one build (anchoring, each edition, the
read-back), so the images of the last few documents are kept.
"""

from __future__ import annotations

import functools

from .. import facsimile
from ..document import Document, Figure, Image, PageBoundary, Paragraph, Transcription
from . import text as plain


def pages_shown(source, count: int, default: str) -> tuple[int, ...]:
    """The page numbers whose facsimile the editions show: the provenance's [facsimile] pages,
    else the kind's default ("all" for a scan, "none" for a PDF with a text layer)."""
    wanted = source.provenance.facsimile if source is not None else ""
    wanted = wanted or default
    if wanted == "all":
        return tuple(range(1, count + 1))
    if wanted == "none":
        return ()
    return tuple(n for n in wanted if 1 <= n <= count)


@functools.lru_cache(maxsize=6)
def _images(data: bytes, media_type: str, pages: tuple[int, ...]) -> dict[int, bytes]:
    return facsimile.edition_pages(data, media_type, pages)


def paged(text: str, starts: tuple[int, ...], data: bytes, media_type: str, shown: tuple[int, ...],
          alt: str, kind: str, transcription: Transcription | None = None) -> Document:
    """The document: for each page, its boundary, its facsimile if shown, then its paragraphs
    (a blank line starts a paragraph, a line end is a line break, as in plain text)."""
    pngs = _images(data, media_type, shown) if shown else {}
    images = tuple(Image(f"page-{n:03d}.png", "image/png", pngs[n], alt.format(page=n, pages=len(starts)))
                   for n in sorted(pngs))
    figure_of = {int(img.name[5:8]): k for k, img in enumerate(images)}
    paragraphs = list(plain.document(text).blocks)
    blocks: list = []
    for n, start in enumerate(starts, 1):
        end = starts[n] if n < len(starts) else len(text) + 1
        blocks.append(PageBoundary(n, start))
        if n in figure_of:
            blocks.append(Figure(figure_of[n], images[figure_of[n]].alt))
        while paragraphs and _start(paragraphs[0]) < end:
            blocks.append(paragraphs.pop(0))
    return Document(text, tuple(blocks), kind=kind, pages=starts, transcription=transcription, images=images)


def _start(p: Paragraph) -> int:
    return p.inlines[0].start if p.inlines else 0

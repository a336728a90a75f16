"""What PDF and scan documents share: a reading text cut into pages of the original, each page
preceded by where it begins (PageBoundary) and, where the corpus asks for it, its facsimile
(Figure: the page as an image, with alt text). The facsimile images are made by
builder.facsimile (a PDF's pages as PNG, a scan's as JPEG); a document is read several times in one build (anchoring, each edition, the
read-back), so the images of the last few documents are kept.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

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


SUFFIX = {"image/png": ".png", "image/jpeg": ".jpg"}
CACHE_BYTES = 256 << 20  # facsimile PNGs kept between the readings of one build (anchor, editions, read-back)
_cache: OrderedDict[tuple, dict[int, bytes]] = OrderedDict()


def _images(data: bytes, media_type: str, pages: tuple[int, ...], scanned: bool) -> dict[int, tuple[bytes, str]]:
    """The edition PNGs of the pages asked for; the most recent kept up to CACHE_BYTES in all, so
    that a corpus of any size is held in bounded memory and a small one is rendered once."""
    key = (hashlib.sha256(data).digest(), media_type, pages, scanned)
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    made = facsimile.edition_pages(data, media_type, pages, scanned)
    _cache[key] = made
    while len(_cache) > 1 and sum(len(b) for v in _cache.values() for b, _ in v.values()) > CACHE_BYTES:
        _cache.popitem(last=False)
    return made


def paged(text: str, starts: tuple[int, ...], data: bytes, media_type: str, shown: tuple[int, ...],
          alt: str, kind: str, transcription: Transcription | None = None) -> Document:
    """The document: for each page, its boundary, its facsimile if shown, then its paragraphs
    (a blank line starts a paragraph, a line end is a line break, as in plain text)."""
    made = _images(data, media_type, shown, kind == "scan") if shown else {}
    numbers = sorted(made)
    images = tuple(Image(f"page-{n:03d}{SUFFIX[made[n][1]]}", made[n][1], made[n][0],
                         alt.format(page=n, pages=len(starts))) for n in numbers)
    figure_of = {n: k for k, n in enumerate(numbers)}
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

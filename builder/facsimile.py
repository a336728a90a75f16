"""Page images of a visual source: the frames of a scan (PNG, JPEG, TIFF) or the rendered pages of
a PDF. Used twice: by OCR (builder.transcription, at full resolution) and by the editions
(facsimile pages, scaled down, always PNG so that every EPUB reader shows them).

Untrusted input: Pillow's decompression-bomb guard stays on (an image of more than
MAX_PIXELS pixels is refused), the number of pages is bounded, and images are read from bytes
in memory. Same bytes in, same PNG bytes out (Pillow writes no date into a PNG).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

IMAGE_SUFFIXES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                  ".tif": "image/tiff", ".tiff": "image/tiff"}
OCR_DPI = 300  # PDF pages are rendered at this resolution for OCR
EDITION_DPI = 150  # and at this one for the editions' facsimiles
EDITION_WIDTH = 1000  # pixels: the width of a facsimile page in the editions (at most)
MAX_PIXELS = 120_000_000
MAX_PAGES = 2000


class ImageUnreadable(ValueError):
    """The bytes are not an image (or PDF) this tool can read."""


MAGIC = ((b"%PDF-", ".pdf"), (b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"),
         (b"II*\x00", ".tif"), (b"MM\x00*", ".tif"))


def sniff(head: bytes) -> str | None:
    """The suffix a PDF or an image is stored under, from its first bytes (not its name); None
    for anything else (text, an email, ...)."""
    for magic, suffix in MAGIC:
        if head.startswith(magic):
            return suffix
    return None


def sniff_file(path) -> str | None:
    """sniff() of a file's first bytes; None if it may not be read (a FIFO, a device, a folder:
    builder.files opens nothing that could make a command wait; the caller reports it)."""
    from . import files

    try:
        with files.open_file(path) as f:
            return sniff(f.read(16))
    except (files.Refused, OSError):
        return None


def page_images(data: bytes, media_type: str, dpi: int = OCR_DPI) -> Iterator:
    """Each page as a Pillow image (mode L or RGB), in order."""
    if media_type == "application/pdf":
        yield from _pdf_pages(data, dpi)
    else:
        yield from _image_frames(data)


def count(data: bytes, media_type: str) -> int:
    if media_type == "application/pdf":
        from . import pdftext
        return pdftext.page_count(data)
    image = _open(data)
    return getattr(image, "n_frames", 1)


def edition_png(image, width: int = EDITION_WIDTH) -> bytes:
    """A page image for the editions: at most `width` pixels wide, PNG, the same bytes every time."""
    out = io.BytesIO()
    _fit(image, width).save(out, format="PNG", compress_level=6)  # optimize=True: seconds a page on a scan
    return out.getvalue()


def edition_jpeg(image, width: int = EDITION_WIDTH) -> bytes:
    """A scanned page or photograph for the editions: JPEG (quality 80), at most `width` pixels
    wide; a noisy scan as PNG is three times the bytes and a hundred times the time."""
    out = io.BytesIO()
    _fit(image, width).save(out, format="JPEG", quality=80)
    return out.getvalue()


def _fit(image, width: int):
    from PIL import Image

    if image.width > width:
        height = max(1, round(image.height * width / image.width))
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    return image


def edition_pages(data: bytes, media_type: str, pages: tuple[int, ...], scanned: bool) -> dict[int, tuple[bytes, str]]:
    """The facsimile pages asked for (1-based numbers), only those rendered: {page: (bytes, media
    type)}; a scanned page as JPEG, a born-digital PDF's page as PNG (rendered type compresses well)."""
    if media_type == "application/pdf":
        pictures = zip(pages, _pdf_pages(data, EDITION_DPI, pages))
    else:
        wanted = set(pages)
        pictures = ((n, image) for n, image in enumerate(_image_frames(data), 1) if n in wanted)
    if scanned:
        return {n: (edition_jpeg(image), "image/jpeg") for n, image in pictures}
    return {n: (edition_png(image), "image/png") for n, image in pictures}


def _open(data: bytes):
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        image.size  # noqa: B018  (the header is read)
        return image
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as e:
        raise ImageUnreadable(f"not an image Pillow can read ({e})") from e


def _image_frames(data: bytes) -> Iterator:
    image = _open(data)
    frames = min(getattr(image, "n_frames", 1), MAX_PAGES)
    for i in range(frames):
        try:
            image.seek(i)
            frame = image.convert("L" if image.mode in ("1", "L", "I;16", "I", "F", "LA") else "RGB")
        except (OSError, SyntaxError, ValueError) as e:
            raise ImageUnreadable(f"page {i + 1} cannot be decoded ({e})") from e
        yield frame


def _pdf_pages(data: bytes, dpi: int, pages: tuple[int, ...] | None = None) -> Iterator:
    """Each page (or the 1-based pages asked for) rendered at dpi."""
    from . import pdftext

    pdf = pdftext.open_pdf(data)
    try:
        for i in ([n - 1 for n in pages] if pages is not None else range(min(len(pdf), MAX_PAGES))):
            page = pdf[i]
            width, height = page.get_size()
            scale = dpi / 72
            if width * height * scale * scale > MAX_PIXELS:
                scale = (MAX_PIXELS / (width * height)) ** 0.5
            bitmap = page.render(scale=scale, grayscale=False)
            image = bitmap.to_pil().convert("RGB")
            bitmap.close()
            page.close()
            yield image
    finally:
        pdf.close()

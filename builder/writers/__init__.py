"""Writers: one module per edition. Each renders documents (builder.document), made by the
readers (builder.readers), and parses no source format (docs/architecture.md)."""

IMAGE_SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
                  "image/svg+xml": ".svg"}  # EPUB core media types: a reader gives one of these


def image_name(sid: str, k: int, image) -> str:
    """The file name of a document's image k (builder.document.Image) in both editions:
    "<source id>-<k + 1><suffix>"."""
    return f"{sid}-{k + 1}{IMAGE_SUFFIXES.get(image.media_type, '.bin')}"

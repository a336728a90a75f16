"""annotated-archive: build an annotated archive (EPUB 3, PDF/A, deposit) from a corpus folder."""

__version__ = "0.1.0"

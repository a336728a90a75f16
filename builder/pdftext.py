"""The text layer of a received PDF, page by page (pypdfium2: PDFium, Apache-2.0/BSD).

`read(data)` gives a `PdfText`: each page's text as PDFium extracts it, line ends made "\\n".
The reading text of a PDF source is the pages joined by PAGE_BREAK; `page_starts` says where
each page begins in it, so notes and citations can name the original's page. A PDF whose pages
carry (almost) no text has no text layer: it is a scanned PDF, and its reading text is a
transcription (builder.transcription).

Untrusted input: the bytes are opened from memory (no file outside the corpus is read), a
password-protected or damaged PDF raises PdfUnreadable, and nothing in the PDF is run.
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_BREAK = "\n\n"
MIN_CHARACTERS_PER_PAGE = 8  # fewer non-space characters on average: no text layer (a scan)


class PdfUnreadable(ValueError):
    """The bytes are not a PDF PDFium can open (damaged, encrypted, or not a PDF)."""


@dataclass(frozen=True)
class PdfText:
    pages: tuple[str, ...]

    @property
    def text(self) -> str:
        """The reading text: every page, in order, PAGE_BREAK between them."""
        return PAGE_BREAK.join(self.pages)

    @property
    def page_starts(self) -> tuple[int, ...]:
        """Where each page begins in the reading text (code points)."""
        starts, at = [], 0
        for page in self.pages:
            starts.append(at)
            at += len(page) + len(PAGE_BREAK)
        return tuple(starts)

    @property
    def has_text_layer(self) -> bool:
        visible = sum(len("".join(page.split())) for page in self.pages)
        return bool(self.pages) and visible >= MIN_CHARACTERS_PER_PAGE * len(self.pages)


def open_pdf(data: bytes):
    """A pypdfium2 document from bytes in memory; PdfUnreadable when PDFium refuses them."""
    import pypdfium2

    if not data.startswith(b"%PDF-") and b"%PDF-" not in data[:1024]:
        raise PdfUnreadable("it does not start with %PDF-: not a PDF")
    try:
        return pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as e:
        raise PdfUnreadable(f"PDFium cannot open it ({e}): damaged, or protected by a password") from e


def read(data: bytes) -> PdfText:
    """Each page's text, as PDFium extracts it; "\\r\\n" and lone "\\r" become "\\n"."""
    pdf = open_pdf(data)
    try:
        pages = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            raw = textpage.get_text_range()
            textpage.close()
            page.close()
            pages.append(_clean(raw))
        return PdfText(tuple(pages))
    finally:
        pdf.close()


def page_count(data: bytes) -> int:
    pdf = open_pdf(data)
    try:
        return len(pdf)
    finally:
        pdf.close()


def _clean(raw: str) -> str:
    """Line ends as "\\n"; no trailing spaces on a line; no blank lines at either end of the page;
    characters XML cannot carry (controls other than tab and newline) dropped."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\t\n" or (c >= " " and c not in "\ufffe\uffff" and not 0xD800 <= ord(c) <= 0xDFFF))
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n")

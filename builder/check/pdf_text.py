"""A PDF's pages against the sources: each source's text, compared without white space, whole
and in order in the text pdftotext reads, passing over only a page break (the footnotes, folio
and running head between one page's last line and the next page's first). Nothing may be
inserted inside the source's text on a page: not a note marker's digits (the edition draws its
markers as shapes, templates/pdf/marker-glyphs.typ), not a hyphen (source text is not
hyphenated). Also every SHA-256 the pages record, for the attachments to be checked against.
"""

from __future__ import annotations

import re

from .. import verify
from ..model import Archive
from .records import HEX64

INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\u00ad\ufeff"))


def recorded_hashes(text: str) -> set[str]:
    """Every SHA-256 written in the PDF's text (broken across lines with invisible spaces)."""
    return set(hash_order(text))


def hash_order(text: str) -> dict[str, int]:
    """Every SHA-256 written in the PDF's text, with where it is first written: the provenance
    pages stand in reading order, so this is the order of the sources (the PDF's /AF array is
    sorted by file name, not by the reading order)."""
    # the editions break a hash into two halves of 32; a word after it ("copy", "date") stays apart
    joined = re.sub(r"(?<![0-9a-f])([0-9a-f]{32})\s*\n\s*([0-9a-f]{32})(?![0-9a-f])", r"\1\2",
                    text.translate(INVISIBLE))
    first: dict[str, int] = {}
    for m in HEX64.finditer(joined):
        first.setdefault(m.group(0), m.start())
    return first


def _compact(text: str) -> str:
    return "".join(verify.normalise(text.translate(INVISIBLE)).split())


def pdf_text_findings(pages: list[str], archive: Archive) -> list[verify.Finding]:
    """Each source's text, compared without white space, whole and in order in the pages.

    Allowed between the characters of a source: a page break with its footnotes, running head
    and folio. Anything else (a note marker's digits fused into a word, a hyphen) is damage.
    """
    from ..verify_pdf import logical, squeeze  # the build's own reading of a line (a cycle at import)

    sources = "\n".join(_compact(verify.expected_text(s)) for s in archive.sources if s.format == "txt")
    stream: list[str] = []  # compact characters of the PDF
    breaks: list[int] = []  # indexes in stream where a page starts
    for page in pages:
        breaks.append(len(stream))
        for line in page.translate(INVISIBLE).split("\n"):
            # back in reading order, pdftotext's bidi controls dropped, as the build reads
            stream.extend(_reading(line, sources, logical, squeeze))
    pdf = "".join(stream)
    findings, at = [], 0
    for source in archive.sources:
        if source.format != "txt":
            continue
        want = _compact(verify.expected_text(source))  # what the build verified: markers for some characters
        if not want:
            continue
        best: tuple[int, int, int] | None = None  # (matched, where in pdf, pdf index reached)
        start = pdf.find(want[:12], at)
        for _ in range(50):
            if start < 0:
                break
            i, j = _match(pdf, start, want, breaks)
            if best is None or i > best[0]:
                best = (i, start, j)
            if i == len(want):
                break
            start = pdf.find(want[:12], start + 1)
        if best is None:
            findings.append(verify.Finding(source.file_name, "the beginning of the source's text is not in the "
                                           "pages (or not after the source before it)"))
            continue
        i, _, j = best
        if i < len(want):
            findings.append(verify.Finding(source.file_name, "the pages' text differs from the source "
                                           + verify.first_difference(want[max(0, i - 30):i + 30],
                                                                     pdf[max(0, j - 30):j + 30])
                                           + f" (source character {i} of {len(want)}, white space left out)"))
        at = j
    return findings


def _match(pdf: str, j: int, want: str, breaks: list[int]) -> tuple[int, int]:
    """How far the source's characters can be followed from pdf[j]: (source index, pdf index).

    When the text runs onto a new page by plain steps, the next page's running head may begin
    with the source's next characters ("the w|ay" then "why you should..."): on a difference, the
    match goes back to that page's start and passes over its head from there.
    """
    i = 0
    starts = set(breaks)
    entered: tuple[int, int] | None = None  # (source index, page start) when a page was reached by plain steps
    while i < len(want):
        step = _step(pdf, j, want, i)
        if step is None:
            resume = _across_page_break(pdf, j, want, i, breaks)
            if resume is None and entered is not None:
                i, resume = entered[0], _across_page_break(pdf, entered[1], want, entered[0], breaks)
            if resume is None:
                break
            j, entered = resume, None
        else:
            i, j = step
            if j in starts:
                entered = (i, j)
    return i, j


def _step(pdf: str, j: int, want: str, i: int) -> tuple[int, int] | None:
    """One step along the source from pdf[j]: (source index, pdf index) after it, or None.

    A step is the source's next character and nothing else: the strict read-back. (It used to
    pass over a hyphen at a line's end and a note marker's digits; a marker fused into a word,
    "October 20168", then read as the source, and two markers after one character, "1213",
    could not be told from one number.)
    """
    if j < len(pdf) and pdf[j] == want[i]:
        return i + 1, j + 1
    return None


def _across_page_break(pdf: str, j: int, want: str, i: int, breaks: list[int],
                       reach: int = 400) -> int | None:
    """Where the source resumes on the next page, past the footnotes, folio and running head.

    Only the rest of a page may be passed over: a difference in the middle of a page is damage,
    because the source's next characters are then not at the head of the next page.
    """
    nxt = next((b for b in breaks if b >= j), None)
    if nxt is None:
        return None
    n = min(24, len(want) - i)
    for k in range(nxt, min(nxt + reach, len(pdf))):
        if pdf[k] == want[i] and _follows(pdf, k, want, i, n):
            return k
    return None


def _follows(pdf: str, j: int, want: str, i: int, n: int) -> bool:
    """Whether n characters of the source follow from pdf[j], nothing inserted."""
    end = i + n
    while i < end:
        step = _step(pdf, j, want, i)
        if step is None:
            return False
        i, j = step
    return True



def _reading(line: str, sources: str, logical, squeeze) -> str:
    """A line of the pages in reading order. Read alone, a line that mixes directions can be read
    two ways (a right-to-left line that ends with Latin words looks like a left-to-right line that
    ends with Hebrew ones: builder/bidi.py): the reading that is in a source's text is taken,
    else the line's own (verify_pdf.logical)."""
    own = _compact(squeeze(logical(line)))
    if "\u202b" not in line or own in sources:  # no right-to-left run: one reading
        return own
    for direction in ("ltr", "rtl"):
        other = _compact(squeeze(logical(line, direction)))
        if other != own and other in sources:
            return other
    return own

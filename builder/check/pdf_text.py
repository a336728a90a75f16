"""A PDF's pages against the sources: each source's text, compared without white space, whole
and in order in the text pdftotext reads, passing over only what a typeset page adds (a page
break with its footnotes, folio and running head, a hyphen at a line's end, a note marker's
digits). Also every SHA-256 the pages record, for the attachments to be checked against.
"""

from __future__ import annotations

import re

from .. import verify
from ..model import Archive
from .records import HEX64

INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\u00ad\ufeff"))


def recorded_hashes(text: str) -> set[str]:
    """Every SHA-256 written in the PDF's text (broken across lines with invisible spaces)."""
    # the two halves of 32 hex digits each (not any hex letter before a line end: "file.md")
    joined = re.sub(r"\b([0-9a-f]{32})\s*\n\s*(?=[0-9a-f]{32}\b)", r"\1", text.translate(INVISIBLE))
    return set(HEX64.findall(joined))


def _compact(text: str) -> str:
    return "".join(verify.normalise(text.translate(INVISIBLE)).split())


def pdf_text_findings(pages: list[str], archive: Archive) -> list[verify.Finding]:
    """Each source's text, compared without white space, whole and in order in the pages.

    Allowed between the characters of a source: a page break with its running head and folio,
    a hyphen at a line's end (hyphenation), and a note marker's digits. Anything else is damage.
    """
    stream: list[str] = []  # compact characters of the PDF
    breaks: list[int] = []  # indexes in stream where a page starts
    hyphens: set[int] = set()  # indexes of hyphens that end a line
    for page in pages:
        breaks.append(len(stream))
        for line in page.translate(INVISIBLE).split("\n"):
            chars = _compact(line)
            if chars.endswith("-"):
                hyphens.add(len(stream) + len(chars) - 1)
            stream.extend(chars)
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
            i, j = _match(pdf, start, want, hyphens, breaks)
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


def _match(pdf: str, j: int, want: str, hyphens: set[int], breaks: list[int]) -> tuple[int, int]:
    """How far the source's characters can be followed from pdf[j]: (source index, pdf index)."""
    i = 0
    while i < len(want):
        step = _step(pdf, j, want, i, hyphens)
        if step is None:
            resume = _across_page_break(pdf, j, want, i, breaks, hyphens)
            if resume is None:
                break
            j = resume
        else:
            i, j = step
    return i, j


def _step(pdf: str, j: int, want: str, i: int, hyphens: set[int]) -> tuple[int, int] | None:
    """One step along the source from pdf[j]: (source index, pdf index) after it, or None.

    A step is the source's next character, a hyphen at a line's end, or a note marker.
    """
    if j < len(pdf) and pdf[j] == want[i]:
        return i + 1, j + 1
    if j in hyphens:
        return i, j + 1
    if (k := _note_marker(pdf, j, want, i)):
        return i, j + k
    return None


def _note_marker(pdf: str, j: int, want: str, i: int) -> int:
    """The length of a note marker (1 to 3 digits) at pdf[j], after which the source goes on; else 0."""
    for k in (1, 2, 3):
        if not pdf[j:j + k].isdigit():
            return 0
        if pdf[j + k:j + k + 1] == want[i:i + 1]:
            return k
    return 0


def _across_page_break(pdf: str, j: int, want: str, i: int, breaks: list[int], hyphens: set[int],
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
        if pdf[k] == want[i] and _follows(pdf, k, want, i, n, hyphens):
            return k
    return None


def _follows(pdf: str, j: int, want: str, i: int, n: int, hyphens: set[int]) -> bool:
    """Whether n characters of the source follow from pdf[j] (hyphens and note markers allowed)."""
    end = i + n
    while i < end:
        step = _step(pdf, j, want, i, hyphens)
        if step is None:
            return False
        i, j = step
    return True


"""Notes and page breaks in place: the text runs of a document (builder/document.py) cut into
segments, for both editions.

Plain text is paragraphs of lines (builder/readers/text.py). Segments are cut
at every note boundary, so overlapping and nested notes need no nesting in the output:
each segment lists the notes whose passage it belongs to, and the notes whose marker
follows it. Segments are also cut at page breaks (offsets where a page of the PDF edition
begins, builder/pagemap.py), so that the EPUB can mark them between two characters.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import characters
from ..anchor import Anchored
from ..document import Document, Text, runs
from ..readers.text import NEWLINE, is_blank, lines_of  # noqa: F401  (the plain-text rule lives there)


@dataclass(frozen=True)
class Segment:
    text: str
    marks: tuple[int, ...] = ()  # numbers of the notes whose passage this is
    refs: tuple[int, ...] = ()  # numbers of the notes whose marker follows this segment
    starts: tuple[int, ...] = ()  # numbers of the notes whose passage begins here
    breaks: tuple[int, ...] = ()  # offsets of the page breaks just before this segment
    at: int = 0  # where the segment begins in the reading text


Line = tuple[Segment, ...]
Paragraph = tuple[Line, ...]



def paragraphs(text: str, anchors: list[Anchored] = (), breaks=()) -> list[Paragraph]:
    spans = lines_of(text)
    placed = [a for a in anchors if not a.whole]
    shown = [(s, e) for s, e in spans if not is_blank(text[s:e])]
    ref_at = {a.number: _ref_position(shown, a) for a in placed}
    begin_at = {a.number: _begin_position(shown, a) for a in placed}
    cut_at = _break_positions(shown, breaks)
    result: list[Paragraph] = []
    current: list[Line] = []
    for start, end in spans:
        if is_blank(text[start:end]):
            if current:
                result.append(tuple(current))
                current = []
            continue
        current.append(_segments(text, start, end, placed, ref_at, begin_at, cut_at))
    if current:
        result.append(tuple(current))
    return result


class Placement:
    """Where the notes and page breaks of one document fall among its text runs (the shown
    characters): segments(run) cuts a Text run there."""

    def __init__(self, doc: Document, anchors=(), breaks=()):
        self.doc = doc
        self.marked = characters.any_marked(doc.text)  # any character shown as a marker (characters.py)
        shown = [(r.start, r.end) for r in runs(doc) if isinstance(r, Text)]
        self.placed = [a for a in anchors if not a.whole]
        self.ref_at = {a.number: _ref_position(shown, a) for a in self.placed}
        self.begin_at = {a.number: _begin_position(shown, a) for a in self.placed}
        self.cut_at = _break_positions(shown, breaks)

    def segments(self, run: Text) -> Line:
        return _segments(self.doc.text, run.start, run.end, self.placed, self.ref_at, self.begin_at, self.cut_at)


def _ref_position(shown: list[tuple[int, int]], a: Anchored) -> int:
    """Where a note's marker goes: after the last character of its passage that is shown."""
    for start, end in reversed(shown):
        if start < a.end and end > a.start:
            return min(a.end, end)
    before = [end for start, end in shown if end <= a.start]  # a passage of blank lines only
    return before[-1] if before else (shown[0][0] if shown else 0)


def _begin_position(shown: list[tuple[int, int]], a: Anchored) -> int:
    """Where a note's passage is first shown (its back-link target)."""
    for start, end in shown:
        if start < a.end and end > a.start:
            return max(a.start, start)
    return _ref_position(shown, a)


def _break_positions(shown: list[tuple[int, int]], breaks) -> dict[int, list[int]]:
    """Where each page break is cut: its offset if a shown character is there, else the start
    of the next shown line (the end of the last one if none follows). {cut: [offsets]}."""
    out: dict[int, list[int]] = {}
    for b in sorted(breaks):
        at = next((max(b, s) for s, e in shown if e > b), shown[-1][1] if shown else 0)
        out.setdefault(at, []).append(b)
    return out


def _segments(text: str, start: int, end: int, placed: list[Anchored], ref_at: dict[int, int],
              begin_at: dict[int, int], cut_at: dict[int, list[int]] | None = None) -> Line:
    cut_at = cut_at or {}
    cuts = {start, end}
    for a in placed:
        for p in (a.start, a.end, ref_at[a.number], begin_at[a.number]):
            if start < p < end:
                cuts.add(p)
    cuts.update(p for p in cut_at if start < p < end)
    points = sorted(cuts)
    segments = []
    for s, e in zip(points, points[1:]):
        marks = tuple(a.number for a in placed if a.start < e and a.end > s)
        refs = tuple(a.number for a in placed if ref_at[a.number] == e and a.number > 0)  # < 0: a register link
        starts = tuple(a.number for a in placed if begin_at[a.number] == s)
        segments.append(Segment(text[s:e], marks, refs, starts, tuple(cut_at.get(s, ())), s))
    if end in cut_at:  # a break after the last shown character (only at the text's end)
        segments.append(Segment("", breaks=tuple(cut_at[end]), at=end))
    return tuple(segments)


def plain_text(paragraphs_: list[Paragraph]) -> str:
    """The text the edition shows, markers left out (for checks)."""
    return "\n\n".join("\n".join("".join(s.text for s in line) for line in p) for p in paragraphs_)

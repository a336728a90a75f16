"""Anchor notes to passages: W3C TextQuoteSelector decides, TextPositionSelector is a hint.

A note lands on exactly the passage meant, or the build stops and says why, naming the
note and the nearest candidate passages. A note is never dropped silently.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .errors import CorpusError, Problem
from .model import Archive, Note, Selector, Source


@dataclass(frozen=True)
class Anchored:
    """A note placed in its source: [start, end) in code points; whole-source notes have no span."""

    note: Note
    number: int
    start: int | None = None
    end: int | None = None

    @property
    def whole(self) -> bool:
        return self.start is None


class Unanchored(Exception):
    def __init__(self, reason: str, candidates: list[str]):
        self.reason, self.candidates = reason, candidates
        super().__init__(reason)


def locate(text: str, selector: Selector) -> tuple[int, int] | None:
    """Where a selector lands in text; None for a whole-source selector. Raises Unanchored.

    A unique exact match wins. A repeated quote is settled by prefix and suffix (exactly,
    else with white space compared loosely), then by the position hint if it names one of
    the remaining occurrences. Anything else is an error: nothing is guessed.
    """
    exact = selector.exact
    if not exact:
        return None
    hits = _occurrences(text, exact)
    if not hits:
        raise Unanchored("its quote is not in the source",
                         [f"«{c}» (at {at})" for c, at in _nearest(text, exact)])
    if len(hits) > 1 and (selector.prefix or selector.suffix):
        settled = [h for h in hits if _context_fits(text, h, selector, loose=False)] \
            or [h for h in hits if _context_fits(text, h, selector, loose=True)]
        if not settled:
            raise Unanchored(f"its quote occurs {len(hits)} times, but never with this prefix and suffix",
                             [_context(text, h, len(exact)) for h in hits[:3]])
        hits = settled
    if len(hits) > 1 and selector.start in hits:
        hits = [selector.start]
    if len(hits) > 1:
        raise Unanchored(f"its quote occurs {len(hits)} times; "
                         + ("prefix/suffix do not settle which" if selector.prefix or selector.suffix
                            else "give a prefix or suffix (or start) to say which"),
                         [_context(text, h, len(exact)) for h in hits[:3]])
    return hits[0], hits[0] + len(exact)


def settling_context(text: str, start: int, end: int, widths: tuple[int, ...] = (8, 16, 32)) -> tuple[str, str]:
    """The shortest prefix and suffix (of the given widths) that make text[start:end] unique.

    ("", "") when the passage occurs once; the widest context when none settles it (then the
    position hint has to).
    """
    exact = text[start:end]
    hits = _occurrences(text, exact)
    if hits == [start]:
        return "", ""
    for width in widths:
        prefix, suffix = context(text, start, end, width)
        fits = [h for h in hits if _context_fits(text, h, Selector(exact, prefix, suffix), loose=False)]
        if fits == [start]:
            return prefix, suffix
    return context(text, start, end, widths[-1])


def context(text: str, start: int, end: int, width: int = 32) -> tuple[str, str]:
    """Up to width code points of text either side of [start, end), as Hypothesis records them."""
    return text[max(0, start - width):start], text[end:end + width]


def anchor_source(source: Source, text: str, links: bool = False) -> tuple[list[Anchored], list[Problem]]:
    """The source's notes placed, numbered 1..n; links=True: its register links instead (kind
    "register", docs/notes.md), numbered -1, -2, … so that no edition gives them a note number."""
    placed, problems = [], []
    for note in (source.links if links else source.notes):
        try:
            span = locate(text, note.selector)
        except Unanchored as e:
            near = "; ".join(e.candidates) or "none"
            problems.append(Problem(
                "N201", source.notes_path, f"note '{note.id}' cannot be anchored: {e.reason}. "
                f"Quote: «{_clip(note.selector.exact)}». Nearest passages: {near}",
                "copy the passage exactly from the source (`exact`), and add `prefix`/`suffix` "
                "when it occurs more than once", note.line or None))
            continue
        placed.append((note, span))
    # number notes in reading order of their markers: whole-source notes first
    placed.sort(key=lambda p: (-1, -1) if p[1] is None else (p[1][1], p[1][0]))
    sign = -1 if links else 1
    return [Anchored(n, sign * i, *(span or (None, None))) for i, (n, span) in enumerate(placed, 1)], problems


def links_of(source: Source) -> list[Anchored]:
    """A source's register links placed (anchor() has already refused any that cannot be)."""
    return anchor_source(source, reading_text(source), links=True)[0] if source.links else []


def reading_text(source: Source) -> str:
    """The text notes are anchored in, for every kind of source: its reader's reading text
    (builder/document.py); for a plain-text source, its decoded text."""
    from . import readers

    return readers.reading_text(source)[0]


def anchor(archive: Archive) -> tuple[Archive, dict[str, list[Anchored]]]:
    """Anchor every note of every source (reading texts one at a time). Raises CorpusError."""
    anchors: dict[str, list[Anchored]] = {}
    problems: list[Problem] = []
    for source in archive.sources:
        if source.links:
            problems += anchor_source(source, reading_text(source), links=True)[1]
        if not source.notes:
            anchors[source.id] = []
            continue
        anchors[source.id], found = anchor_source(source, reading_text(source))
        problems += found
    if problems:
        raise CorpusError(problems)
    return archive, anchors


def _nearest(text: str, quote: str, n: int = 3) -> list[tuple[str, int]]:
    """The passages of text most like quote, with where each starts, for an error message."""
    if not text:
        return []
    width = max(len(quote), 1)
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch.isspace()]
    windows: dict[str, int] = {}
    for s in starts:
        if text[s:s + 1].strip():
            windows.setdefault(text[s:s + width], s)
    best = difflib.get_close_matches(quote, list(windows), n=n, cutoff=0.4)
    return [(_clip(b), windows[b]) for b in best]


def _occurrences(text: str, exact: str) -> list[int]:
    hits, i = [], text.find(exact)
    while i != -1:
        hits.append(i)
        i = text.find(exact, i + 1)
    return hits


def _context_fits(text: str, at: int, selector: Selector, loose: bool) -> bool:
    """Whether the text around an occurrence agrees with the selector's prefix and suffix."""
    prefix, suffix, end = selector.prefix, selector.suffix, at + len(selector.exact)
    if not loose:
        return text[max(0, at - len(prefix)):at] == prefix and text[end:end + len(suffix)] == suffix
    # white space compared loosely: tools that saw a rendering, not the file, record it differently
    before = _squash(text[max(0, at - 2 * len(prefix) - 8):at])
    after = _squash(text[end:end + 2 * len(suffix) + 8])
    return before.endswith(_squash(prefix)) and after.startswith(_squash(suffix))


def _squash(s: str) -> str:
    return " ".join(s.split()) if s.strip() else ""


def _context(text: str, at: int, length: int, margin: int = 20) -> str:
    """An occurrence in its surroundings, with its position, for an error message."""
    return f"«{_clip(text[max(0, at - margin):at + length + margin], 80)}» (at {at})"


def _clip(s: str, width: int = 60) -> str:
    s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 1] + "…"



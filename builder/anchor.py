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
    """Where a selector lands in text; None for a whole-source selector. Raises Unanchored."""
    exact = selector.exact
    if not exact:
        return None
    hits = _occurrences(text, exact)
    if not hits:
        raise Unanchored("its quote is not in the source", nearest(text, exact))
    if len(hits) > 1 and (selector.prefix or selector.suffix):
        hits = [h for h in hits if text[max(0, h - len(selector.prefix)):h] == selector.prefix
                and text[h + len(exact):h + len(exact) + len(selector.suffix)] == selector.suffix]
        if not hits:
            raise Unanchored("the quote occurs, but never with this prefix and suffix",
                             [_context(text, h, len(exact)) for h in _occurrences(text, exact)[:3]])
    if len(hits) > 1 and selector.start in hits:
        hits = [selector.start]
    if len(hits) > 1:
        raise Unanchored(f"its quote occurs {len(hits)} times; prefix/suffix do not settle which",
                         [_context(text, h, len(exact)) for h in hits[:3]])
    return hits[0], hits[0] + len(exact)


def anchor_source(source: Source, text: str) -> tuple[list[Anchored], list[Problem]]:
    placed, problems = [], []
    for note in source.notes:
        try:
            span = locate(text, note.selector)
        except Unanchored as e:
            near = "; ".join(f"«{c}»" for c in e.candidates) or "none"
            problems.append(Problem(
                "N201", source.notes_path, f"note '{note.id}' cannot be anchored: {e.reason}. "
                f"Quote: «{_clip(note.selector.exact)}». Nearest passages: {near}",
                "copy the passage exactly from the source (`exact`), and add `prefix`/`suffix` "
                "when it occurs more than once", note.line or None))
            continue
        placed.append((note, span))
    # number notes in reading order of their markers: whole-source notes first
    placed.sort(key=lambda p: (-1, -1) if p[1] is None else (p[1][1], p[1][0]))
    return [Anchored(n, i, *(span or (None, None))) for i, (n, span) in enumerate(placed, 1)], problems


def anchor(archive: Archive) -> tuple[Archive, dict[str, list[Anchored]]]:
    """Anchor every note of every source (reading texts one at a time). Raises CorpusError."""
    anchors: dict[str, list[Anchored]] = {}
    problems: list[Problem] = []
    for source in archive.sources:
        if not source.notes:
            anchors[source.id] = []
            continue
        if source.format != "txt" and any(n.selector.exact for n in source.notes):
            problems.append(Problem("N202", source.notes_path,
                                    f"notes anchored to passages are supported on .txt sources; "
                                    f"{source.file_name} is .{source.format}",
                                    "make these notes whole-source notes (leave out `exact`)"))
            continue
        anchors[source.id], found = anchor_source(source, source.read_text())
        problems += found
    if problems:
        raise CorpusError(problems)
    return archive, anchors


def nearest(text: str, quote: str, n: int = 3) -> list[str]:
    """The passages of text most like quote, for an error message."""
    if not text:
        return []
    width = max(len(quote), 1)
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch.isspace()]
    windows = {text[s:s + width]: s for s in starts if text[s:s + 1].strip()}
    best = difflib.get_close_matches(quote, list(windows), n=n, cutoff=0.4)
    return [_clip(b) for b in best]


def _occurrences(text: str, exact: str) -> list[int]:
    hits, i = [], text.find(exact)
    while i != -1:
        hits.append(i)
        i = text.find(exact, i + 1)
    return hits


def _context(text: str, at: int, length: int, margin: int = 20) -> str:
    return _clip(text[max(0, at - margin):at + length + margin], 80)


def _clip(s: str, width: int = 60) -> str:
    s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 1] + "…"



"""Characters a source may hold that an edition cannot show as they are, shown as markers.

A source is carried byte for byte, and its reading text keeps every character (notes and
page markers count offsets in it). But some characters cannot be written into an edition
(XML and PDF text cannot carry NUL and most C0 controls, lone surrogates, U+FFFE/U+FFFF),
have no glyph in any font (private use), or silently change what a reader sees without
being seen themselves (bidi overrides and marks: the "Trojan Source" trick). Both editions
show each such character as a visible marker, `[U+XXXX]`, in its place; the source's
condition record in both editions counts them; the read-back checks expect the markers.

Marked (docs/characters.md):

- C0 controls except tab, line feed and carriage return; DEL; C1 controls (U+0080-U+009F);
- noncharacters (U+FDD0-U+FDEF, and U+nFFFE, U+nFFFF in every plane);
- lone surrogates (U+D800-U+DFFF: a Python string holds one only when it was not paired);
- U+FEFF inside the text (as its first character it is a byte-order mark, left as it is);
- private use (U+E000-U+F8FF, planes 15 and 16);
- bidi controls: LRE, RLE, PDF, LRO, RLO (U+202A-U+202E), LRI, RLI, FSI, PDI (U+2066-U+2069),
  LRM and RLM (U+200E, U+200F).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

# Every character to mark is one of these; of the characters beyond the BMP, only noncharacters
# and private use are (a search over one short class is fast: the text of a 10,000-source archive
# is searched several times in a build).
CANDIDATES = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\uf8ff\ufdd0-\ufdef\ufeff\ufffe\uffff\U00010000-\U0010ffff]")


GROUPS = (  # (name, test) in the order the condition record lists them; a character in its first
    ("control", lambda c: c < 0xA0),
    ("lone surrogate", lambda c: 0xD800 <= c <= 0xDFFF),
    ("noncharacter", lambda c: 0xFDD0 <= c <= 0xFDEF or c & 0xFFFE == 0xFFFE),
    ("byte-order mark inside the text", lambda c: c == 0xFEFF),
    ("private use", lambda c: 0xE000 <= c <= 0xF8FF or c >= 0xF0000),
    ("bidi control", lambda c: c in (0x200E, 0x200F) or 0x202A <= c <= 0x202E or 0x2066 <= c <= 0x2069),
)


def is_marked(ch: str) -> bool:
    """Whether a character is shown as a marker (wherever it stands: a U+FEFF that begins the reading text is the exception, see _marks)."""
    c = ord(ch)
    if c < 0x10000:
        return CANDIDATES.match(ch) is not None
    return c & 0xFFFE == 0xFFFE or c >= 0xF0000  # a noncharacter, or private use (planes 15, 16)


def marker(ch: str) -> str:
    return f"[U+{ord(ch):04X}]"


def _marks(text: str, at: int):
    """The matches of the characters to mark in text (found at offset at of its reading text)."""
    for m in CANDIDATES.finditer(text):
        ch = m.group()
        if ord(ch) >= 0x10000 and not is_marked(ch):
            continue
        if ch == "\ufeff" and at + m.start() == 0:
            continue  # the reading text's first character: a byte-order mark
        yield m


@lru_cache(maxsize=16)  # a document's text is asked about by each writer: once is enough
def any_marked(text: str, at: int = 0) -> bool:
    """Whether text (found at offset at of its reading text) holds a character to mark: fast on
    the common case, ASCII text with no control but tab and line ends."""
    if text.isascii():
        return not text.replace("\n", "").replace("\t", "").replace("\r", "").isprintable()
    return next(_marks(text, at), None) is not None


def shown(text: str, at: int = 0) -> str:
    """text as the editions show it: each marked character replaced by its marker. at: where
    text begins in its reading text (a U+FEFF at offset 0 is a byte-order mark, kept)."""
    if not any_marked(text, at):
        return text
    return "".join(marker(piece) if is_marker else piece for piece, is_marker in _cut(text, at))


def _cut(text: str, at: int) -> list[tuple[str, bool]]:
    """text as (piece, True) for each character to mark and (piece, False) for the text between."""
    out: list[tuple[str, bool]] = []
    last = 0
    for m in _marks(text, at):
        if m.start() > last:
            out.append((text[last:m.start()], False))
        out.append((m.group(), True))
        last = m.end()
    if last < len(text):
        out.append((text[last:], False))
    return out


def pieces(text: str, at: int = 0) -> list[tuple[str, bool]]:
    """text cut into (piece, is a marker) in order, for writers that style markers."""
    if not any_marked(text, at):
        return [(text, False)] if text else []
    return [(marker(p) if is_marker else p, is_marker) for p, is_marker in _cut(text, at)]


def offsets(text: str) -> list[int] | None:
    """For each character of shown(text), its offset in text (a marker's characters all map to the
    character it stands for); None when nothing is marked (the offsets are the same)."""
    if not any_marked(text, 0):
        return None
    out: list[int] = []
    last = 0
    for m in _marks(text, 0):
        out.extend(range(last, m.start()))
        out.extend([m.start()] * len(marker(m.group())))
        last = m.end()
    out.extend(range(last, len(text)))
    return out


def counted(text: str) -> Counter:
    """How many of each marked character text holds (a byte-order mark at its start not counted)."""
    return Counter(m.group() for m in _marks(text, 0)) if any_marked(text) else Counter()


def condition(text: str) -> list[str]:
    """The lines the condition record adds for a reading text: one per kind of marked character,
    with each character and its count; [] when there is none."""
    found = counted(text)
    group = {c: next(name for name, test in GROUPS if test(ord(c))) for c in found}
    lines = []
    for name, _ in GROUPS:
        chars = sorted((c for c in found if group[c] == name), key=ord)
        if chars:
            n = sum(found[c] for c in chars)
            each = ", ".join(f"U+{ord(c):04X} ×{found[c]}" for c in chars)
            lines.append(f"{n} {name} character{'s' if n != 1 else ''} shown as [U+XXXX] markers ({each})")
    return lines

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

_NONCHARACTERS = "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
MARKED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\ud800-\udfff"
    "\ufdd0-\ufdef" + _NONCHARACTERS +
    "\ufeff"
    "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
    "\u200e\u200f\u202a-\u202e\u2066-\u2069]")

GROUPS = (  # (name, test) in the order the condition record lists them
    ("control", lambda c: c < 0xA0),
    ("lone surrogate", lambda c: 0xD800 <= c <= 0xDFFF),
    ("noncharacter", lambda c: 0xFDD0 <= c <= 0xFDEF or c & 0xFFFE == 0xFFFE),
    ("byte-order mark inside the text", lambda c: c == 0xFEFF),
    ("private use", lambda c: 0xE000 <= c <= 0xF8FF or c >= 0xF0000),
    ("bidi control", lambda c: c in (0x200E, 0x200F) or 0x202A <= c <= 0x202E or 0x2066 <= c <= 0x2069),
)


def marker(ch: str) -> str:
    return f"[U+{ord(ch):04X}]"


def _kept(m: re.Match, at: int) -> bool:
    """A U+FEFF as the reading text's first character is a byte-order mark: not marked."""
    return at + m.start() == 0 and m.group() == "\ufeff"


def has_marked(text: str, at: int = 1) -> bool:
    """Whether text (found at offset at of its reading text) holds a character to mark."""
    return any(not _kept(m, at) for m in MARKED.finditer(text))


def shown(text: str, at: int = 0) -> str:
    """text as the editions show it: each marked character replaced by its marker. at: where
    text begins in its reading text (a U+FEFF at offset 0 is a byte-order mark, kept)."""
    if not MARKED.search(text):
        return text
    return MARKED.sub(lambda m: m.group() if _kept(m, at) else marker(m.group()), text)


def pieces(text: str, at: int = 0) -> list[tuple[str, bool]]:
    """text cut into (piece, is a marker) in order, for writers that style markers."""
    if not MARKED.search(text):
        return [(text, False)] if text else []
    out: list[tuple[str, bool]] = []
    last = 0
    for m in MARKED.finditer(text):
        if _kept(m, at):
            continue
        if m.start() > last:
            out.append((text[last:m.start()], False))
        out.append((marker(m.group()), True))
        last = m.end()
    if last < len(text):
        out.append((text[last:], False))
    return out


def offsets(text: str) -> list[int] | None:
    """For each character of shown(text), its offset in text (a marker's characters all map to the
    character it stands for); None when nothing is marked (the offsets are the same)."""
    if not has_marked(text, 0):
        return None
    out: list[int] = []
    last = 0
    for m in MARKED.finditer(text):
        if _kept(m, 0):
            continue
        out.extend(range(last, m.start()))
        out.extend([m.start()] * len(marker(m.group())))
        last = m.end()
    out.extend(range(last, len(text)))
    return out


def counted(text: str) -> Counter:
    """How many of each marked character text holds (a byte-order mark at its start not counted)."""
    return Counter(m.group() for m in MARKED.finditer(text) if not _kept(m, 0))


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

"""Direction of a line of text, and the order of its characters (Unicode Bidirectional
Algorithm, UAX #9, for a line without explicit embeddings: bidi controls in a source are shown
as visible markers, docs/characters.md).

- `line_direction(line, default)`: a plain-text line is a paragraph in the UBA's sense; its
  direction is that of its first strong character (rules P2-P3): a Hebrew or Arabic line inside
  a Latin or Greek text is right to left, a Latin line inside a Hebrew text left to right; a line
  with no strong character (digits, punctuation) takes the document's direction. Both editions
  set each line so (the PDF: Typst's `dir`; the EPUB: a `dir` attribute), and the PDF read-back
  expects it.
- `reorder(text, direction)`: the characters of one line in the other order (logical to visual,
  or visual back to logical: for the text the editions hold, the reordering is its own inverse,
  as both runs of right-to-left letters and runs of digits inside them are reversed whole).
- `visual(line)`: the visual order of a line that `pdftotext` gave back (it reverses each
  right-to-left run of a word to reading order, and marks it RLE ... PDF).
"""

from __future__ import annotations

import re
import unicodedata

STRONG_RTL = {"R", "AL"}
NEUTRAL = {"B", "S", "WS", "ON", "BN", "LRI", "RLI", "FSI", "PDI"}
RLE, LRE, PDF = "\u202b", "\u202a", "\u202c"
# the blocks of right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko, ... and their
# presentation forms): a text without any is read left to right, with no reordering to do
RTL_SCRIPT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]")


def line_direction(line: str, default: str = "ltr") -> str:
    """'rtl' or 'ltr': the direction of the line's first strong character (UAX #9, P2-P3)."""
    for ch in line:
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return "ltr"
        if kind in STRONG_RTL:
            return "rtl"
    return "rtl" if default == "rtl" else "ltr"


def _types(text: str, base: int) -> list[str]:
    """Resolved types (W1-W7, N1-N2) of each character: 'L', 'R', 'EN', 'AN'."""
    sos = "R" if base else "L"
    t = [unicodedata.bidirectional(ch) or "L" for ch in text]
    for k, c in enumerate(t):  # W1: a mark takes the type of what it follows
        if c == "NSM":
            t[k] = sos if k == 0 or t[k - 1] in ("LRI", "RLI", "FSI", "PDI") else t[k - 1]
    last = sos
    for k, c in enumerate(t):  # W2, W3
        if c in ("L", "R", "AL"):
            last = c
        if c == "EN" and last == "AL":
            t[k] = "AN"
    t = ["R" if c == "AL" else c for c in t]
    for k in range(1, len(t) - 1):  # W4
        if t[k] == "ES" and t[k - 1] == t[k + 1] == "EN":
            t[k] = "EN"
        elif t[k] == "CS" and t[k - 1] == t[k + 1] and t[k - 1] in ("EN", "AN"):
            t[k] = t[k - 1]
    for k, c in enumerate(t):  # W5: European terminators next to European digits
        if c == "EN":
            j = k - 1
            while j >= 0 and t[j] == "ET":
                t[j] = "EN"
                j -= 1
            j = k + 1
            while j < len(t) and t[j] == "ET":
                t[j] = "EN"
                j += 1
    t = ["ON" if c in ("ES", "ET", "CS") else c for c in t]  # W6
    last = sos
    for k, c in enumerate(t):  # W7
        if c in ("L", "R"):
            last = c
        elif c == "EN" and last == "L":
            t[k] = "L"
    k = 0
    while k < len(t):  # N1, N2: neutrals between the same direction take it, else the base's
        if t[k] not in NEUTRAL:
            k += 1
            continue
        j = k
        while j < len(t) and t[j] in NEUTRAL:
            j += 1
        before = sos if k == 0 else ("R" if t[k - 1] in ("R", "EN", "AN") else "L")
        after = sos if j == len(t) else ("R" if t[j] in ("R", "EN", "AN") else "L")
        fill = before if before == after else sos
        for m in range(k, j):
            t[m] = fill
        k = j
    return t


def levels(text: str, direction: str) -> list[int]:
    """The embedding level of each character of one line (I1-I2, L1)."""
    base = 1 if direction == "rtl" else 0
    out = []
    for c in _types(text, base):
        if base == 0:
            out.append(1 if c == "R" else 2 if c in ("EN", "AN") else 0)
        else:
            out.append(2 if c in ("L", "EN", "AN") else 1)
    k = len(text)
    while k > 0 and unicodedata.bidirectional(text[k - 1]) in ("WS", "S", "B", "BN"):  # L1
        k -= 1
        out[k] = base
    return out


def rendered(paragraph: str, start: int, end: int, direction: str) -> str:
    """What a line holding paragraph[start:end] shows, in visual order (levels resolved on the
    whole paragraph, as UAX #9 does before a paragraph is broken into lines; L1 and L2 on the
    line)."""
    lv = levels(paragraph, direction)[start:end]
    chars = list(paragraph[start:end])
    k = len(chars)
    while k > 0 and unicodedata.bidirectional(chars[k - 1]) in ("WS", "S", "B", "BN"):
        k -= 1
        lv[k] = 1 if direction == "rtl" else 0
    return "".join(_by_levels(chars, lv))


def _by_levels(chars: list[str], lv: list[int]) -> list[str]:
    odd = [v for v in lv if v % 2]
    if not odd:
        return chars
    chars, lv = list(chars), list(lv)
    for level in range(max(lv), min(odd) - 1, -1):
        k = 0
        while k < len(chars):
            if lv[k] < level:
                k += 1
                continue
            j = k
            while j < len(chars) and lv[j] >= level:
                j += 1
            chars[k:j] = chars[k:j][::-1]
            lv[k:j] = lv[k:j][::-1]
            k = j
    return chars


def reorder(text: str, direction: str) -> str:
    """The line's characters in the other order (L2): each run at or above a level reversed, from
    the highest level down to the lowest odd one."""
    if not any(unicodedata.bidirectional(ch) in ("R", "AL", "AN") for ch in text) and direction != "rtl":
        return text
    return "".join(_by_levels(list(text), levels(text, direction)))


def visual(line: str) -> str:
    """A line of `pdftotext` in visual order: each RLE ... PDF section (a right-to-left run that
    pdftotext put back in reading order) reversed again, the marks dropped."""
    out: list[str] = []
    stack: list[list[str]] = []
    for ch in line:
        if ch in (RLE, LRE):
            stack.append([ch])
        elif ch == PDF and stack:
            run = stack.pop()
            kind, body = run[0], run[1:]
            seen = body[::-1] if kind == RLE else body  # left to right
            if stack and stack[-1][0] == RLE:  # the section around it is right to left
                seen = seen[::-1]
            (stack[-1] if stack else out).extend(seen)
        elif stack:
            stack[-1].append(ch)
        else:
            out.append(ch)
    while stack:  # an unclosed section: as it came
        out.extend(stack.pop(0)[1:])
    return "".join(out)


def logical(line: str, direction: str) -> str:
    """A line of `pdftotext -raw` in reading order, for a paragraph of the given direction."""
    if direction != "rtl" and RLE not in line and LRE not in line:
        return line  # pdftotext marks every right-to-left run: none here (nor digits to reorder)
    return reorder(visual(line), direction)

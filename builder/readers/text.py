"""Plain text: the reading text is the decoded text itself, every character kept.

The one rule for plain text, shared by both editions: a blank line (nothing but spaces and
tabs) starts a paragraph, a single line end is a line break; every other character stays
as it is. A line end is LF, CRLF or a lone CR.
"""

from __future__ import annotations

import re

from ..document import Document, LineBreak, Paragraph, Text
from .encoding import source_text

NEWLINE = re.compile(r"\r\n|\r|\n")


def decode(data: bytes, source=None) -> str:
    """The decoded text, in the encoding recorded (builder/readers/encoding.py): BOM dropped,
    line ends as received."""
    return source_text(data, source)


def read(data: bytes, source=None) -> Document:
    return document(decode(data, source))


def lines_of(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, line-end characters excluded."""
    if "\r" not in text:  # LF only: str.split is much faster than the pattern
        spans, at = [], 0
        for line in text.split("\n"):
            spans.append((at, at + len(line)))
            at += len(line) + 1
        return spans
    spans, at = [], 0
    for m in NEWLINE.finditer(text):
        spans.append((at, m.start()))
        at = m.end()
    spans.append((at, len(text)))
    return spans


def is_blank(text: str) -> bool:
    return not text.strip(" \t")


def document(text: str, kind: str = "txt") -> Document:
    """Paragraphs of lines: each shown line a Text run, the line ends inside a paragraph LineBreaks."""
    blocks: list[Paragraph] = []
    current: list = []
    previous_end = 0
    for start, end in lines_of(text):
        if is_blank(text[start:end]):
            if current:
                blocks.append(Paragraph(tuple(current)))
                current = []
            continue
        if current:
            current.append(LineBreak(previous_end, start))
        current.append(Text(text[start:end], start, end))
        previous_end = end
    if current:
        blocks.append(Paragraph(tuple(current)))
    return Document(text, tuple(blocks), kind=kind, plain=True)

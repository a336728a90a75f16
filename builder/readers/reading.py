"""The reading text in the making, shared by every reader: each piece of text a reader adds
becomes a run carrying its offsets, and separators between blocks are white space that no
run covers (builder.document.check)."""

from __future__ import annotations

from ..document import Code, LineBreak, Preformatted, Text


class Reading:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def _add(self, s: str) -> tuple[int, int]:
        start = self.length
        self.parts.append(s)
        self.length += len(s)
        return start, self.length

    def text(self, s: str) -> Text | None:
        """A run of text (None for an empty string: no run)."""
        return Text(s, *self._add(s)) if s else None

    def code(self, s: str) -> Code | None:
        return Code(s, *self._add(s)) if s else None

    def pre(self, s: str) -> Preformatted:
        return Preformatted(s, *self._add(s))

    def line_break(self, hard: bool = True, s: str = "\n") -> LineBreak:
        return LineBreak(*self._add(s), hard=hard)

    def separate(self, s: str = "\n\n") -> None:
        """White space between two blocks (none before the first)."""
        if self.length:
            self._add(s)

    def done(self) -> str:
        return "".join(self.parts)

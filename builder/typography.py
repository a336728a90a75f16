"""Typographic quotes and dashes for the editor's own text (notes, introduction, provenance), never
for a source: a source is reproduced exactly as received (docs/pdf.md, "Editorial typography").

The editor's text often quotes a source between double quotes, and a quotation must stay exact
(a note may be about a straight apostrophe or a spaced hyphen in the source). So only the editor's
own marks change: a straight double quote becomes an opening or closing curly one, and outside a
quotation an apostrophe between two letters becomes ’ and a spaced hyphen or double hyphen
becomes an en dash (a triple hyphen an em dash). Inside a quotation nothing changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPENS_AFTER = " \t\n([{\u2013\u2014/"
DASHES = re.compile(r"(?<=\s)---?(?=\s)|---|(?<=\s)-(?=\s)")


@dataclass
class Quoting:
    """Where a walk through the editor's text is: inside a double-quoted quotation or not, and the
    character before (a text may come in pieces: emphasis and links split it)."""
    inside: bool = False
    before: str = ""


def editorial(text: str, state: Quoting | None = None) -> str:
    """The editor's text with typographic quotes and dashes (the quotations in it left as they are)."""
    state = state or Quoting()
    out: list[str] = []
    plain: list[str] = []  # the run of the editor's own words since the last quote mark

    def flush() -> None:
        if plain:
            run = "".join(plain)
            out.append(run if state.inside else _own_words(run))
            plain.clear()

    for ch in text:
        if ch == '"':
            flush()
            opening = not state.inside and (state.before == "" or state.before in OPENS_AFTER)
            out.append("\u201c" if opening else "\u201d")
            state.inside = opening
        else:
            plain.append(ch)
        state.before = ch
    flush()
    return "".join(out)


def _own_words(run: str) -> str:
    run = re.sub(r"(?<=[^\W\d_])'(?=[^\W\d_])", "\u2019", run)
    return DASHES.sub(lambda m: "\u2014" if m.group(0) == "---" else "\u2013", run)


def tree(nodes: list, state: Quoting | None = None) -> list:
    """A Markdown tree (builder/writers/pdf.py) with editorial() applied to its text, in reading
    order; code is left alone, and each paragraph, heading and list item starts afresh."""
    state = state or Quoting()
    out = []
    for n in nodes:
        if isinstance(n, str):
            out.append(editorial(n, state))
        elif isinstance(n, dict) and n.get("t") in ("code", "pre"):
            out.append(n)
        elif isinstance(n, dict):
            fresh = n.get("t") in ("p", "h", "li", "field")
            inner = Quoting() if fresh else state
            m = {**n}
            if "c" in n:
                m["c"] = tree(n["c"], inner)
            if n.get("t") == "table":
                m["head"] = [[tree(cell, Quoting()) for cell in row] for row in n["head"]]
                m["body"] = [[tree(cell, Quoting()) for cell in row] for row in n["body"]]
            out.append(m)
        else:
            out.append(n)
    return out


def short_title(title: str, width: int) -> str:
    """A title that fits a running head: cut at a word, an ellipsis added, a bracket the cut
    leaves open closed ("[News report on Dawn Butler’s …]")."""
    if len(title) <= width:
        return title
    cut = title[: width - 2]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    cut = cut.rstrip(" ,;:.–—-(") + "\u2009…"
    if cut.count("[") > cut.count("]"):
        cut += "]"
    return cut

"""Where each page of the PDF edition begins, in the EPUB edition's terms (docs/pages.md).

`compute()` takes what the PDF's read-back found (builder.verify_pdf.read_back: the text of
every page and, for each plain-text source, the offset of the first source character on each
page it crosses onto) and where Typst placed the template's block markers (builder.writers.pdf.render),
and gives a PageMap: for every PDF page, in order, its printed label (the PDF's /PageLabels) and
where it begins:

- ("text", source id, offset): inside a plain-text source, before the character at that offset
  of the decoded source text -- exact, to the character;
- ("block", block id, None): before a block of the editorial matter (title page, contents,
  introduction, headnote, provenance, colophon) or of a .md/.html source. A page whose first
  line opens a block begins before that block; a page that begins inside a block (the rest of
  a paragraph) gets its marker before the block in which it begins; a page with no text (a
  blank verso) shares the next page's place, before it.

The map is a pure function of the PDF, which is itself reproducible: the EPUB stays
byte-identical from build to build.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from .model import Archive


@dataclass(frozen=True)
class Page:
    index: int  # 0-based, in the PDF
    label: str  # as printed (the PDF's page label)
    id: str  # the EPUB marker's id: "page-<label>"
    kind: str  # "text" | "block"
    where: str  # source id (text) or block id (block)
    offset: int | None = None  # text: offset in the decoded source text


@dataclass(frozen=True)
class PageMap:
    pages: tuple[Page, ...]
    source: str  # pageBreakSource: what the EPUB names as the source of its pagination

    def at_block(self, block_id: str) -> list[Page]:
        return [p for p in self.pages if p.kind == "block" and p.where == block_id]

    def in_text(self, source_id: str) -> dict[int, list[Page]]:
        out: dict[int, list[Page]] = {}
        for p in self.pages:
            if p.kind == "text" and p.where == source_id:
                out.setdefault(p.offset, []).append(p)
        return out


def page_source(archive: Archive) -> str:
    """The pageBreakSource value: the archive's identifier, naming its PDF edition."""
    return f"{archive.identifier} (PDF edition, {archive.slug}.pdf)"


def labels(path: Path, opened=None) -> list[str]:
    """Every page's printed label, from the PDF's /PageLabels (pikepdf); the page number (index
    + 1) when the PDF has none; "p<index + 1>" for a page the labels leave without one. opened:
    the PDF at path, open, if the caller has it."""
    import pikepdf

    with pikepdf.open(path) if opened is None else nullcontext(opened) as pdf:
        if "/PageLabels" not in pdf.Root:
            return [str(i + 1) for i in range(len(pdf.pages))]
        ranged = _ranged(pdf.Root.PageLabels, len(pdf.pages))
        if ranged is not None:
            return [label or f"p{i + 1}" for i, label in enumerate(ranged)]
        return [str(page.label or "") or f"p{i + 1}" for i, page in enumerate(pdf.pages)]


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += numeral
            n -= value
    return out


def _alpha(n: int) -> str:
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(ord("A") + r) + out
    return out


_STYLES = {"/D": str, "/R": _roman, "/r": lambda n: _roman(n).lower(), "/A": _alpha, "/a": lambda n: _alpha(n).lower()}


def _ranged(tree, npages: int) -> list[str] | None:
    """Every page's label from the ranges of the /PageLabels number tree, read once: what pikepdf's
    Page.label gives page by page (qpdf: the range that starts at or before the page, its /St
    moved by the page's place in it; before the first range, the page's number), at a fraction of
    the cost (a 4,000-page book: 1.5 ms against 31-58 ms). None for a range that is not
    plain (a style other than D, R, r, A, a; a /St that is not a whole number within what the
    style can write; a /P that is not a string): then page by page, as pikepdf says."""
    import pikepdf

    try:
        ranges = sorted((int(k), v) for k, v in pikepdf.NumberTree(tree).items())
    except Exception:  # noqa: BLE001  (not a number tree as pikepdf reads it: page by page)
        return None
    out = [str(i + 1) for i in range(min(npages, ranges[0][0]))] if ranges else []  # qpdf: their numbers
    for k, (start, d) in enumerate(ranges):
        end = min(npages, ranges[k + 1][0] if k + 1 < len(ranges) else npages)
        if start < 0 or not isinstance(d, pikepdf.Dictionary) or start < len(out):
            return None
        prefix = d["/P"] if "/P" in d else ""
        if not isinstance(prefix, (str, pikepdf.String)):
            return None
        prefix = str(prefix)
        if "/S" not in d:
            out += [prefix] * (end - start)
            continue
        style = _STYLES.get(str(d["/S"])) if isinstance(d["/S"], pikepdf.Name) else None
        first = d["/St"] if "/St" in d else 1
        if style is None or type(first) is not int or first < 1 or (style is not str and first + end - start > 5000):
            return None
        out += [prefix + style(first + i) for i in range(end - start)]
    return out if len(out) == npages else None


def marker_ids(names: list[str]) -> list[str]:
    """"page-<label>" as a valid, unique XML id."""
    out, seen = [], set()
    for name in names:
        base = "page-" + re.sub(r"[^A-Za-z0-9._-]", "_", name)
        mid, n = base, 1
        while mid in seen:
            n += 1
            mid = f"{base}-{n}"
        seen.add(mid)
        out.append(mid)
    return out


def is_blank(text: str, label: str) -> bool:
    """A page with no text but, at most, its own page number (a blank verso)."""
    printed = label.rsplit(":", 1)[-1]  # "2:124" is page 124 of volume 2 (docs/pdf.md, "Volumes")
    return all(line.strip().lower() in ("", label.lower(), printed.lower()) for line in text.splitlines())


@dataclass(frozen=True)
class _Start:
    page: int  # 1-based
    opens: bool  # nothing of the page comes before it
    kind: str
    where: str
    offset: int | None = None


def compute(path: Path | None, archive: Archive, placed: list[tuple], pages_text: list[str],
            page_starts: dict[str, list[tuple[int, int]]], opened=None, names: list[str] | None = None) -> PageMap:
    """opened: the PDF at path, open (pikepdf), if the caller has it; names: every page's label,
    if known without reading the PDF (its parts', before they are joined: path is then not read)."""
    names = labels(path, opened) if names is None else names
    ids = marker_ids(names)
    txt = {s.id for s in archive.sources if s.format == "txt"}
    starts: list[_Start] = []
    for block_id, page, opens in placed:
        starts.append(_Start(page, opens, "block", block_id))
        sid = block_id[: -len("/text")] if block_id.endswith("/text") else None
        if sid in txt:  # the source's text follows its "/text" block: its exact page starts
            starts += [_Start(p + 1, True, "text", sid, offset) for p, offset in page_starts.get(sid, [])]
    chosen: list[int | None] = []
    last = 0
    # by page, once (a scan of every start for every page was quadratic: seconds at 4,000 pages)
    first_on: dict[int, int] = {}  # page -> the first start on it
    last_on: dict[int, int] = {}  # page -> the last start on it
    for n, s in enumerate(starts):
        first_on.setdefault(s.page, n)
        last_on[s.page] = n
    below = sorted(last_on)  # pages that hold a start, in order
    before, b = -1, 0  # the last start on a page before k
    for k in range(1, len(names) + 1):
        while b < len(below) and below[b] < k:
            before = max(before, last_on[below[b]])
            b += 1
        if k in first_on:
            n = first_on[k]
            at = n if starts[n].opens or n == 0 else n - 1
        elif k - 1 < len(pages_text) and is_blank(pages_text[k - 1], names[k - 1]):
            chosen.append(None)  # a blank page: the next page's place
            continue
        else:  # a page that only continues a block
            at = before if before >= 0 else 0
        last = max(last, at)
        chosen.append(last)
    for k in range(len(chosen) - 1, -1, -1):  # blank pages take the next page's place
        if chosen[k] is None:
            chosen[k] = chosen[k + 1] if k + 1 < len(chosen) else last
    pages = []
    for k, at in enumerate(chosen):
        if not starts:
            break
        s = starts[at]
        pages.append(Page(k, names[k], ids[k], s.kind, s.where, s.offset))
    return PageMap(tuple(pages), page_source(archive))

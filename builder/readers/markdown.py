"""Markdown (CommonMark with tables): the reading text is its text content, markup characters
left out; blocks are separated by a blank line, a soft line end is kept as a line end (shown
as a space). Raw HTML in a Markdown source is text, not markup (as in editorial Markdown)."""

from __future__ import annotations

from markdown_it.tree import SyntaxTreeNode

from .. import templating
from ..document import (Code, Document, Emphasis, Heading, Link, ListBlock, Paragraph, Quote, Span, Strong,
                        Table, ThematicBreak)
from .encoding import source_text
from .reading import Reading

LINK_SCHEMES = ("http", "https", "mailto")


def read(data: bytes, source=None) -> Document:
    return document(source_text(data, source))  # in its recorded encoding


def document(text: str) -> Document:
    r = Reading()
    root = SyntaxTreeNode(templating._markdown().parse(text))
    blocks = _blocks(root.children, r)
    return Document(r.done(), tuple(blocks), kind="md")


def _blocks(nodes, r: Reading) -> list:
    out = []
    for n in nodes:
        t = n.type
        if t == "paragraph":
            r.separate()
            inlines = _inlines(n.children, r)
            out.append(Paragraph(tuple(inlines)))
        elif t == "heading":
            r.separate()
            out.append(Heading(int(n.tag[1]), tuple(_inlines(n.children, r))))
        elif t in ("bullet_list", "ordered_list"):
            items = tuple(tuple(_blocks(li.children, r)) for li in n.children)
            out.append(ListBlock(items, ordered=t == "ordered_list",
                                 start=int(n.attrs.get("start", 1)) if t == "ordered_list" else 1))
        elif t == "blockquote":
            out.append(Quote(tuple(_blocks(n.children, r))))
        elif t in ("fence", "code_block"):
            r.separate()
            out.append(r.pre(n.content.rstrip("\n")))
        elif t == "hr":
            out.append(ThematicBreak())
        elif t == "table":
            out.append(_table(n, r))
        elif t == "html_block":  # not produced with html off; kept as text if it ever is
            r.separate()
            out.append(Paragraph(tuple(x for x in (r.text(n.content),) if x)))
        elif n.children:
            out.extend(_blocks(n.children, r))
    return out


def _table(node, r: Reading) -> Table:
    head, body, align = [], [], []
    for part in node.children:
        for tr in part.children:
            cells = []
            for td in tr.children:
                r.separate("\n")
                cells.append(tuple(_inlines(td.children[0].children if td.children else [], r)))
            if part.type == "thead":
                head.append(tuple(cells))
                align = [_align(td.attrs.get("style", "")) for td in tr.children]
            else:
                body.append(tuple(cells))
    return Table(tuple(head), tuple(body), tuple(align))


def _align(style) -> str:
    return {"text-align:right": "right", "text-align:center": "center"}.get(str(style).replace(" ", ""), "left")


def _inlines(nodes, r: Reading) -> list:
    out: list = []
    for n in nodes:
        t = n.type
        if t == "inline":
            out.extend(_inlines(n.children, r))
        elif t == "text":
            out.append(r.text(n.content))
        elif t == "softbreak":
            out.append(r.line_break(hard=False))
        elif t == "hardbreak":
            out.append(r.line_break(hard=True))
        elif t == "em":
            out.append(Emphasis(tuple(_inlines(n.children, r))))
        elif t == "strong":
            out.append(Strong(tuple(_inlines(n.children, r))))
        elif t == "code_inline":
            out.append(r.code(n.content))
        elif t == "link":
            href = str(n.attrs.get("href", ""))
            kids = tuple(_inlines(n.children, r))
            keep = href.split(":", 1)[0].lower() in LINK_SCHEMES  # no link leaves the edition but these
            out.append(Link(kids, href) if keep else Span(kids))
        elif t == "image":  # its description is text of the source; the image is not fetched
            out.append(Span(tuple(_inlines(n.children, r))))
        elif t in ("html_inline", "html_block"):
            out.append(r.text(n.content))
        elif n.children:
            out.extend(_inlines(n.children, r))
        elif n.content:
            out.append(r.text(n.content))
    return [x for x in out if x is not None]

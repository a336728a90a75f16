"""HTML: the reading text is the text content of the page once active content is removed
(nh3: scripts and styles dropped with their content, every other element's text kept);
blocks are separated by a blank line. What is removed is recorded as a loss."""

from __future__ import annotations

import nh3
from lxml import html as lxml_html

from ..document import (Code, Document, Emphasis, Heading, Link, ListBlock, Loss, Paragraph, Quote, Span,
                        Strong, Table, ThematicBreak)
from .encoding import source_text
from .reading import Reading

ALLOWED_TAGS = {"p", "br", "em", "strong", "i", "b", "u", "s", "sub", "sup", "span", "a", "blockquote", "q",
                "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
                "pre", "code", "hr", "dl", "dt", "dd", "abbr", "cite", "small", "figure", "figcaption"}
LINK_SCHEMES = ("http", "https", "mailto")
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "pre", "table", "hr",
          "dl", "dt", "dd", "figure", "figcaption", "thead", "tbody", "tr", "th", "td"}


def read(data: bytes, source=None) -> Document:
    return document(source_text(data, source))  # in its recorded encoding


def sanitise(markup: str) -> str:
    """The page without active content: the elements above kept, every text kept."""
    return nh3.clean(markup, tags=ALLOWED_TAGS, attributes={"a": {"href"}, "*": {"lang"}},
                     url_schemes=set(LINK_SCHEMES), link_rel=None, clean_content_tags={"script", "style"})


def document(markup: str) -> Document:
    clean = sanitise(markup)
    r = Reading()
    blocks = []
    if clean.strip():
        root = lxml_html.fragment_fromstring(clean, create_parent="div")
        blocks = _blocks(root, r)
    losses = tuple(Loss(f"<{tag}> elements (active content)", n) for tag in ("script", "style")
                   if (n := markup.lower().count(f"<{tag}")))
    return Document(r.done(), tuple(blocks), kind="html", losses=losses)


def _tag(el) -> str:
    return el.tag.split("}")[-1].lower() if isinstance(el.tag, str) else ""


def _content(el) -> list:
    """el's text and children, in order: strings and elements."""
    items: list = [el.text] if el.text else []
    for child in el:
        if isinstance(child.tag, str):
            items.append(child)
        if child.tail:
            items.append(child.tail)
    return items


def _blocks(el, r: Reading) -> list:
    """el's content as blocks: runs of inline content between block elements become paragraphs."""
    out: list = []
    pending: list = []

    def flush() -> None:
        if any(not isinstance(x, str) or x.strip() for x in pending):
            r.separate()
            out.append(Paragraph(tuple(_inlines(pending, r))))
        pending.clear()

    for item in _content(el):
        if isinstance(item, str) or _tag(item) not in BLOCKS:
            pending.append(item)
        else:
            flush()
            out.extend(_block(item, r))
    flush()
    return out


def _block(el, r: Reading) -> list:
    tag = _tag(el)
    if tag == "p" or tag == "dt" or tag == "figcaption":
        r.separate()
        return [Paragraph(tuple(_inlines(_content(el), r)))]
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        r.separate()
        return [Heading(int(tag[1]), tuple(_inlines(_content(el), r)))]
    if tag in ("blockquote", "dd"):
        return [Quote(tuple(_blocks(el, r)))]
    if tag in ("ul", "ol"):
        items = []
        for item in _content(el):
            if isinstance(item, str):
                if item.strip():
                    r.separate()
                    items.append((Paragraph(tuple(_inlines([item], r))),))
            elif _tag(item) == "li":
                items.append(tuple(_blocks(item, r)))
            else:
                items.append(tuple(_block(item, r)) if _tag(item) in BLOCKS else tuple(_blocks_of([item], r)))
        return [ListBlock(tuple(items), ordered=tag == "ol")]
    if tag == "pre":
        r.separate()
        return [r.pre(el.text_content())]
    if tag == "hr":
        return [ThematicBreak()]
    if tag == "table" or tag in ("thead", "tbody", "tr", "th", "td"):
        return _table(el, r)
    return _blocks(el, r)  # li outside a list, figure, dl


def _blocks_of(items: list, r: Reading) -> list:
    r.separate()
    return [Paragraph(tuple(_inlines(items, r)))]


def _table(el, r: Reading) -> list:
    """A table's rows as a Table; text inside it but outside any cell comes before it, as a paragraph."""
    stray: list[str] = []
    head, body = [], []
    rows = [el] if _tag(el) == "tr" else [tr for tr in el.iter() if _tag(tr) == "tr"]
    for holder in [el] + [x for x in el.iter() if _tag(x) in ("thead", "tbody", "tr") and x is not el]:
        stray += [x for x in ([holder.text] + [c.tail for c in holder if _tag(c) in ("thead", "tbody", "tr", "td", "th")])
                  if x and x.strip()]
    out: list = []
    if stray:
        r.separate()
        out.append(Paragraph(tuple(_inlines(stray, r))))
    if _tag(el) in ("td", "th"):
        rows = []
        out += _blocks(el, r)
    for tr in rows:
        cells = []
        for td in tr:
            if _tag(td) in ("td", "th"):
                r.separate("\n")
                cells.append(tuple(_inlines(_content(td), r)))
        in_head = tr.getparent() is not None and _tag(tr.getparent()) == "thead"
        (head if in_head else body).append(tuple(cells))
    if rows:
        out.append(Table(tuple(head), tuple(body)))
    return out


def _inlines(items: list, r: Reading) -> list:
    out: list = []
    for item in items:
        if isinstance(item, str):
            out.append(r.text(item))
            continue
        tag = _tag(item)
        if tag == "br":
            out.append(r.line_break(hard=True))
        elif tag == "code" and len(item) == 0:
            out.append(r.code(item.text or ""))
        else:
            if tag in BLOCKS:  # a block inside inline content: its text, set apart
                r.separate(" ")
            kids = tuple(_inlines(_content(item), r))
            if tag in ("em", "i", "cite"):
                out.append(Emphasis(kids))
            elif tag in ("strong", "b"):
                out.append(Strong(kids))
            elif tag == "a" and item.get("href", "").split(":", 1)[0].lower() in LINK_SCHEMES:
                out.append(Link(kids, item.get("href")))
            else:
                out.append(Span(kids, lang=item.get("lang", "")))
    return [x for x in out if x is not None]

"""The EPUB 3 edition: `write(archive, anchors, path)`.

The package (OPF, nav, NCX) is written from jinja2 templates rather than with ebooklib,
whose defects (docs/decisions.md) would each need a workaround. Sources are rendered and
written one at a time; the zip is repacked nowhere, because it is written reproducibly in
the first place: `mimetype` first and stored, fixed order, fixed timestamps.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from .. import __version__, bidi, characters, citation, describe, document, notes_io, readers, register, templating
from .. import inert, links  # docs/security.md: no active content, safe links, editorial images
from .. import zipwrite
from . import epub_book, epub_pages, image_name, layout
from ..anchor import Anchored, links_of
from ..model import Archive, Source
from ..output import atomic_path
from ..pagemap import Page, PageMap

CSS_FILES = ("edition.css",)
NOTES_FILE = "EPUB/notes/annotations.jsonld"


class Markers:
    """The page-break markers of a PageMap, written where the documents ask for them; what was
    written, in order, becomes the page-list. No PageMap (an EPUB built without its PDF): none."""

    def __init__(self, pages: PageMap | None, at: "PagesAt | None" = None):
        self.pages = pages
        self.at = at or (PagesAt(pages) if pages is not None else None)
        self.written: list[tuple[int, str, str]] = []  # (page index, label, href)
        self.file = ""

    def block(self, block_id: str) -> Markup:
        if self.at is None:
            return Markup("")
        return Markup("".join(self.span(p) for p in self.at.blocks.get(block_id, ())))

    def in_text(self, source_id: str) -> dict[int, list[Page]]:
        return self.at.texts.get(source_id, {}) if self.at is not None else {}

    def span(self, page: Page) -> str:
        self.written.append((page.index, page.label, f"{self.file}#{page.id}"))
        label = html.escape(page.label)
        return (f'<span epub:type="pagebreak" role="doc-pagebreak" id="{page.id}" '
                f'aria-label="{label}"/>')

    def page_list(self) -> list[dict]:
        return [{"label": label, "href": href} for _, label, href in sorted(self.written, key=lambda w: w[0])]


class PagesAt:
    """A PageMap's pages by where they fall, looked up once (PageMap.at_block walks every page)."""

    def __init__(self, pages: PageMap):
        self.blocks: dict[str, list[Page]] = {}
        self.texts: dict[str, dict[int, list[Page]]] = {}
        self.by_source: dict[str, list[tuple]] = {}  # a source's pages: its blocks' and its text's
        for p in pages.pages:
            if p.kind == "block":
                self.blocks.setdefault(p.where, []).append(p)
            elif p.kind == "text":
                self.texts.setdefault(p.where, {}).setdefault(p.offset, []).append(p)
            self.by_source.setdefault(p.where.split("/")[0], []).append(
                (p.index, p.label, p.id, p.kind, p.where, p.offset))

    def of_source(self, sid: str) -> tuple:
        """The pages that fall in a source's documents (what its entries depend on of the map)."""
        return tuple(self.by_source.get(sid, ()))


def write(archive: Archive, anchors: dict[str, list[Anchored]], path: Path,
          pages: PageMap | None = None, store=None) -> Path:
    """Write the EPUB edition; with pages (the PDF edition's PageMap), page-break markers, a
    page-list and pageBreakSource naming the PDF edition (docs/pages.md). With store (a
    builder.cache.Store), each source's entries made by an earlier build from the same inputs are
    taken from it, and those made now are kept in it (builder/writers/epub_sources.py)."""
    from functools import partial

    from . import epub_sources

    env = templating.environment(archive.templates_dir)
    ctx = describe.archive_context(archive, __version__)
    ctx["register"] = bool(archive.register)  # a glossary and an index (builder/register.py)
    ids = {s.id for s in archive.sources}
    marks = Markers(pages)
    images: list[dict] = []  # the sources' images (page facsimiles, figures), for the manifest
    index = Index(archive)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        z = zipwrite.Writer(f, archive.date)

        def put(name: str, data: str | bytes, compress: bool = True) -> None:
            z.add(zipwrite.entry(name, data, compress))

        def render(template: str, file: str | None = None, **extra) -> str:
            marks.file = file or template.split("/")[-1]  # where its markers are: href from EPUB/text/
            return templating.render(env, template, archive=ctx, pb=marks.block, **extra)

        put("mimetype", "application/epub+zip", compress=False)
        put("META-INF/container.xml", render("epub/container.xml"))
        for css in CSS_FILES:
            put(f"EPUB/css/{css}", templating.render(env, f"epub/{css}"))
        for k, image in enumerate(links.images_of(archive)):  # editorial images, checked at load (builder/links.py)
            put(f"EPUB/text/images/{image.name}", image.path.read_bytes(), compress=False)
            images.append({"id": f"editorial-image-{k + 1}", "href": f"text/images/{image.name}",
                           "media_type": image.media_type})
        put("EPUB/images/cover.svg", render("epub/cover.svg"))
        put("EPUB/text/cover.xhtml", render("epub/cover.xhtml"))
        put("EPUB/text/titlepage.xhtml", render("epub/titlepage.xhtml"))
        # the nav document (the contents, page iii) comes before the introduction in the spine:
        # its marker is written first, so that the page-list is in order; nav.xhtml itself is
        # rendered last, once every marker is known
        marks.file = "../nav.xhtml"
        contents_marker = marks.block("contents")
        marks.file = "introduction.xhtml"
        intro = "".join(str(marks.block(f"introduction/b{k}")) + block for k, block in
                        enumerate(markdown_blocks(archive.introduction)))
        intro = index.refer(templating.link_sources(intro, ids, "{id}.xhtml"), "introduction.xhtml",
                            "introduction", "Introduction")
        put("EPUB/text/introduction.xhtml", render("epub/introduction.xhtml", body=Markup(reflowing(intro))))
        job = Job(archive, anchors, env, ctx, ids, pages, marks.at, index)
        for made in epub_sources.made(job, store):  # each source's entries, in order: made now or earlier
            for e in made.entries:
                z.add(e)
            marks.written += made.marks
            index.merge(made.found)
            images += made.images
        if archive.register:
            put("EPUB/text/glossary.xhtml", render("epub/glossary.xhtml", entries=index.glossary()))
            put("EPUB/text/index.xhtml", render("epub/index.xhtml", entries=index.entries()))
        put("EPUB/text/colophon.xhtml", colophon(env, ctx, marks, pages is not None, cite_line(archive, None),
                                                 render))  # its page markers: made each time
        # the files that list every source (none with a page marker of its own): made again only
        # when what they show has changed
        book = partial(epub_sources.book_page, job, store)
        # the notes as W3C Web Annotation JSON-LD, so that an EPUB alone can be checked for lost notes
        put(NOTES_FILE, book("notes", None, lambda: notes_io.jsonld(archive, anchors)))
        page_list = marks.page_list()
        for entry in page_list:  # hrefs relative to the nav document and the NCX (both in EPUB/)
            entry["href"] = entry["href"][3:] if entry["href"].startswith("../") else "text/" + entry["href"]
        paged = {"page_list": page_list, "page_source": pages.source if pages and page_list else "",
                 "max_page": _max_page(page_list)}
        listed = epub_sources.LISTED  # what these show of each source: its file and its provenance's context
        fast = epub_pages.own(env)  # the tool's own templates: the nav, NCX and package written without jinja2
        put("EPUB/nav.xhtml", book("nav", [str(contents_marker), paged], lambda: written(
            "epub/nav.xhtml", epub_book.nav, ctx, contents_marker=contents_marker, **paged) if fast else render(
            "epub/nav.xhtml", "../nav.xhtml", contents_marker=contents_marker, **paged), listed))
        put("EPUB/toc.ncx", book("ncx", paged, lambda: epub_book.ncx(ctx, **paged) if fast else render(
            "epub/toc.ncx", **paged), listed))
        put("EPUB/package.opf", book("opf", [images, paged], lambda: epub_book.package(
            ctx, images, **paged) if fast else render("epub/package.opf", images=images, **paged), listed))
        z.close()
    return path


def colophon(env, ctx: dict, marks: Markers, page_list: bool, cite: str, render) -> str:
    """The colophon (its fixity table a row a source): written without jinja2 when the templates are
    the tool's own (builder/writers/epub_book.py), scanned by its parts; else rendered."""
    if not epub_pages.own(env):
        return render("epub/colophon.xhtml", page_list=page_list, cite=cite)
    marks.file = "colophon.xhtml"
    return written("epub/colophon.xhtml", epub_book.colophon, ctx, page_list, cite, marks.block)


def written(template: str, write, *args, **kwargs) -> str:
    """A page of the book written by write (builder/writers/epub_book.py), scanned by its parts."""
    scan = epub_pages.Scan()
    page = write(*args, scan=scan, **kwargs)
    inert.refuse_own(template, scan.findings(page))
    return page


@dataclass
class Job:
    """What every source's entries are made from (builder/writers/epub_sources.py)."""
    archive: Archive
    anchors: dict
    env: object  # the jinja2 environment
    ctx: dict  # the archive's context for templates
    ids: set
    pages: PageMap | None
    at: "PagesAt | None"
    index: "Index"
    digests: tuple | None = None  # each source's parts, once made() has them (epub_sources.book_page)
    every: dict = field(default_factory=dict)  # epub_sources.book_page: every source's parts, digested once


@dataclass
class Made:
    """A source's zip entries (its images, page, provenance, original-file page and original), and
    what the book's own pages need of it: page-list markers, register references, images."""
    entries: list
    marks: list  # (page index, label, href)
    found: dict  # register entry id -> [{"href", "label"}]
    images: list  # {"id", "href", "media_type"}


def source_made(job: Job, source: Source, sctx: dict) -> Made:
    """Everything the EPUB holds of one source, made from job alone (so that it can be made in
    another process, or taken from the cache)."""
    archive, env = job.archive, job.env
    marks = Markers(job.pages, job.at)
    index = job.index.for_one()
    entries: list = []
    images: list[dict] = []

    def put(name: str, data: str | bytes, compress: bool = True) -> None:
        entries.append(zipwrite.entry(name, data, compress))

    def render(template: str, file: str, **extra) -> str:
        marks.file = file
        return templating.render(env, template, archive=job.ctx, pb=marks.block, **extra)

    notes = job.anchors.get(source.id, [])
    marks.file = f"{source.id}.xhtml"
    data = source.read_bytes()
    doc = readers.read(source, data)
    sctx = {**describe.with_document(sctx, doc), "direction": doc.direction}
    for k, image in enumerate(doc.images):
        name = image_name(source.id, k, image)
        put(f"EPUB/images/{name}", image.data, compress=False)
        images.append({"id": f"img-{source.id}-{k + 1}", "href": f"images/{name}",
                       "media_type": image.media_type})
    linked = links_of(source) if archive.register else []  # register links: no note, no number
    index.linked(source.id, linked, sctx["title"])
    def written(template: str, file: str, page: str | None, scan: epub_pages.Scan, **extra) -> str:
        """A page written by epub_pages (the tool's own templates), scanned for active content by its
        parts (builder/inert.py active_in_parts); or rendered from its template (page None)."""
        if page is None:
            return render(template, file, **extra)
        inert.refuse_own(template, scan.findings(page))
        return page

    fast = epub_pages.own(env)  # the tool's own templates: its pages written without jinja2
    text = Markup(source_xhtml(source, notes + linked, marks, doc, css_numbers=True))
    contexts = [note_context(source.id, a, job.ids, describe.page_of(doc.pages, a.start), index, sctx["title"])
                for a in notes]
    marks.file, scan = f"{source.id}.xhtml", epub_pages.Scan()
    put(f"EPUB/text/{source.id}.xhtml", written(
        "epub/source.xhtml", f"{source.id}.xhtml",
        epub_pages.source(job.ctx, sctx, text, contexts, marks.block, scan) if fast else None, scan,
        source=sctx, text=text, notes=contexts))
    cite = cite_line(archive, source)
    marks.file, scan = f"{source.id}-provenance.xhtml", epub_pages.Scan()
    put(f"EPUB/text/{source.id}-provenance.xhtml", written(
        "epub/provenance.xhtml", f"{source.id}-provenance.xhtml",
        epub_pages.provenance(job.ctx, sctx, cite, marks.block, scan) if fast else None, scan,
        source=sctx, cite=cite))
    marks.file, scan = f"{source.id}-original.xhtml", epub_pages.Scan()
    put(f"EPUB/text/{source.id}-original.xhtml", written(
        "epub/original.xhtml", f"{source.id}-original.xhtml",
        epub_pages.original(job.ctx, sctx, scan) if fast else None, scan, source=sctx))
    put(f"EPUB/originals/{source.file_name}", data,
        compress=source.media_type.startswith("text/"))  # a PDF or an image is compressed already
    return Made(entries, marks.written, index.found, images)


def markdown_blocks(text: str) -> list[str]:
    """templating.markdown(text) cut before each top-level block (their concatenation is the same
    XHTML): block k is the one the PDF's Markdown tree marks "<...>/b<k>" (builder/pdf.py)."""
    md = templating._markdown(typographic=True)
    env: dict = {}
    tokens = md.parse(text, env)
    cuts = [k for k, t in enumerate(tokens) if t.level == 0 and t.nesting >= 0] + [len(tokens)]
    return [md.renderer.render(tokens[a:b], md.options, env) for a, b in zip(cuts, cuts[1:])]


def _max_page(page_list: list[dict]) -> int:
    """dtb:maxPageNumber: the largest arabic page number (0 if none)."""
    numbers = (p["label"].rsplit(":", 1)[-1] for p in page_list)  # "2:123": a PDF in volumes (docs/pdf.md)
    return max((int(n) for n in numbers if n.isdigit()), default=0)


def source_xhtml(source: Source, notes: list[Anchored], marks: Markers | None = None,
                 doc: document.Document | None = None, css_numbers: bool = False) -> str:
    """The source reproduced in full, as XHTML: every character of its reading text kept, notes
    marked in place, and the PDF edition's page breaks marked where they fall (exactly, in a
    plain-text source; before the block where they fall, in any other)."""
    marks = marks or Markers(None)
    doc = doc or readers.read(source)
    breaks = marks.in_text(source.id) if doc.plain else {}
    render = Xhtml(source.id, layout.Placement(doc, notes, breaks), marks, breaks,
                   [f"../images/{image_name(source.id, k, i)}" for k, i in enumerate(doc.images)], css_numbers)
    if doc.plain:
        render.direction = "rtl" if doc.direction == "rtl" else "ltr"
        return str(marks.block(f"{source.id}/text")) + "\n".join(render.block(b) for b in doc.blocks)
    return "\n".join(str(marks.block(f"{source.id}/b{k}")) + render.block(b) for k, b in enumerate(doc.blocks))


class Xhtml:
    """A document's blocks as XHTML (builder/document.py), its text runs cut where notes and page
    breaks fall (builder/writers/layout.py). Headings go one level under the chapter's own <h1>."""

    def __init__(self, sid: str, place: layout.Placement, marks: Markers, breaks: dict, images=(),
                 css_numbers: bool = False):
        self.sid, self.place, self.marks, self.breaks = sid, place, marks, breaks
        self.images = list(images)  # hrefs of the document's images, by index
        self.css_numbers = css_numbers  # note numbers drawn by the style sheet, not in the text (noteref)
        self.slight = {a.number for a in place.placed if slight(a.note.selector.exact)}
        self.entries = {a.number: a.note.entry for a in place.placed if a.number < 0}  # register links
        self.direction: str | None = None  # a plain-text document's direction: its lines each in their own

    def block(self, b) -> str:
        d = document
        if isinstance(b, d.Paragraph) and self.direction is not None:
            return f"<p>{self.lines(b.inlines)}</p>"
        if isinstance(b, d.Paragraph):
            return f"<p>{self.inlines(b.inlines)}</p>"
        if isinstance(b, d.Heading):
            level = min(b.level + 1, 6)
            return f"<h{level}>{self.inlines(b.inlines)}</h{level}>"
        if isinstance(b, d.ListBlock):
            tag = "ol" if b.ordered else "ul"
            start = f' start="{b.start}"' if b.ordered and b.start != 1 else ""
            return f"<{tag}{start}>" + "".join(f"<li>{self.item(i)}</li>" for i in b.items) + f"</{tag}>"
        if isinstance(b, d.Quote):
            return "<blockquote>" + "".join(self.block(x) for x in b.blocks) + "</blockquote>"
        if isinstance(b, d.Preformatted):
            return f"<pre>{shown_xhtml(b.text, b.start)}</pre>"
        if isinstance(b, d.Table):
            head = "".join("<tr>" + "".join(f"<th>{self.inlines(c)}</th>" for c in row) + "</tr>" for row in b.head)
            body = "".join("<tr>" + "".join(f"<td>{self.inlines(c)}</td>" for c in row) + "</tr>" for row in b.body)
            return ("<table>" + (f"<thead>{head}</thead>" if head else "")
                    + (f"<tbody>{body}</tbody>" if body else "") + "</table>")
        if isinstance(b, d.ThematicBreak):
            return "<hr/>"
        if isinstance(b, d.Fields):
            return ('<dl class="fields">' + "".join(
                f"<dt>{html.escape(f.name, quote=False)}</dt><dd>{self.inlines(f.inlines)}</dd>" for f in b.fields)
                + "</dl>")
        if isinstance(b, d.Figure):
            caption = f"<figcaption>{self.inlines(b.caption)}</figcaption>" if b.caption else ""
            return f'<figure><img src="{html.escape(self.images[b.image])}" alt="{html.escape(b.alt)}"/>{caption}</figure>'
        if isinstance(b, d.PageBoundary):
            label = html.escape(b.label or str(b.page))
            return f'<div class="page-of-original" role="separator" aria-label="Page {label} of the original"/>'
        raise TypeError(f"no XHTML for {type(b).__name__}")

    def item(self, blocks) -> str:
        """A list item: a lone paragraph's inlines (a tight list), else its blocks."""
        if len(blocks) == 1 and isinstance(blocks[0], document.Paragraph):
            return self.inlines(blocks[0].inlines)
        return "".join(self.block(x) for x in blocks)

    def lines(self, nodes) -> str:
        """A plain-text paragraph: a line whose direction is not the document's (builder/bidi.py)
        in a <span dir>, so that it reads in its own direction."""
        d = document
        lines: list[list] = [[]]
        for n in nodes:
            lines[-1].append(n)
            if isinstance(n, d.LineBreak):
                lines.append([])
        out = []
        for line in lines:
            text = "".join(n.text for n in line if isinstance(n, d.Text))
            own = bidi.line_direction(text, self.direction)
            body = [n for n in line if not isinstance(n, d.LineBreak)]
            rendered = self.inlines(body)
            if own != self.direction and rendered:
                rendered = f'<span dir="{own}">{rendered}</span>'
            out.append(rendered + "".join(self.inline(n) for n in line if isinstance(n, d.LineBreak)))
        return "".join(out)

    def inlines(self, nodes) -> str:
        return "".join(self.inline(n) for n in nodes)

    def inline(self, n) -> str:
        d = document
        if isinstance(n, d.Text):
            return "".join(self.segment(seg) for seg in self.place.segments(n))
        if isinstance(n, d.LineBreak):
            return "<br/>" if n.hard else "\n"
        if isinstance(n, d.Code):
            return f"<code>{shown_xhtml(n.text, n.start)}</code>"
        if isinstance(n, d.Emphasis):
            return f"<em>{self.inlines(n.children)}</em>"
        if isinstance(n, d.Strong):
            return f"<strong>{self.inlines(n.children)}</strong>"
        if isinstance(n, d.Link):
            return f'<a href="{html.escape(n.href)}">{self.inlines(n.children)}</a>'
        if isinstance(n, d.Span):
            lang = f' lang="{html.escape(n.lang)}" xml:lang="{html.escape(n.lang)}"' if n.lang else ""
            return f"<span{lang}>{self.inlines(n.children)}</span>" if lang else self.inlines(n.children)
        raise TypeError(f"no XHTML for {type(n).__name__}")

    def segment(self, seg: layout.Segment) -> str:
        marks, breaks, sid = self.marks, self.breaks, self.sid
        before = "".join(marks.span(page) for b in seg.breaks for page in breaks.get(b, ())) \
            if seg.breaks and breaks else ""
        text = shown_xhtml(seg.text, seg.at) if self.place.marked else html.escape(seg.text, quote=False)
        for n in (n for n in seg.marks if n < 0):  # a register link: the passage links to the glossary
            rid = f' id="{sid}-link-{-n}"' if n in seg.starts else ""
            text = f'<a class="register-link"{rid} href="glossary.xhtml#{self.entries[n]}">{text}</a>'
        if any(n > 0 for n in seg.marks):
            notes = " ".join(f"{sid}-note-{n}" for n in seg.marks if n > 0)
            # aria-details takes one id (EPUBCheck RSC-005): the first note; data-notes lists all
            cls = "passage slight" if any(n in self.slight for n in seg.marks) else "passage"
            first = next(n for n in seg.marks if n > 0)
            text = (f'<span class="{cls}" aria-details="{sid}-note-{first}" '
                    f'data-notes="{notes}">{text}</span>')
        return before + text + "".join(noteref(sid, n, self.css_numbers) for n in seg.refs if n > 0)


def shown_xhtml(text: str, at: int) -> str:
    """Source text as XHTML, each character no edition shows as it is (builder/characters.py) as
    its visible marker: `<span class="character">[U+XXXX]</span>`."""
    if not characters.any_marked(text, at):
        return html.escape(text, quote=False)
    return "".join(f'<span class="character">{piece}</span>' if marker else html.escape(piece, quote=False)
                   for piece, marker in characters.pieces(text, at))


def noteref(sid: str, n: int, css_number: bool = False) -> str:
    """A note's reference. css_number (the EPUB): the number is drawn by the style sheet from
    data-n (edition.css) and named by aria-label, so that text copied, searched or extracted from
    the source (calibre's text, a reader's selection) holds the source's words only, no digit fused
    into a word (issue 14)."""
    if css_number:
        return (f'<a class="noteref" epub:type="noteref" role="doc-noteref" id="{sid}-ref-{n}" '
                f'href="#{sid}-note-{n}" data-n="{n}" aria-label="Note {n}"></a>')
    return (f'<a class="noteref" epub:type="noteref" role="doc-noteref" id="{sid}-ref-{n}" '
            f'href="#{sid}-note-{n}">{n}</a>')


def note_context(sid: str, a: Anchored, ids: set[str], page: int | None = None,
                 index: "Index | None" = None, title: str = "") -> dict:
    note_id = f"{sid}-note-{a.number}"
    body = templating.link_sources(templating.markdown(a.note.body), ids, "{id}.xhtml")
    if index is not None:
        body = index.refer(body, f"{sid}.xhtml", note_id, f"{title}, note {a.number}")
    exact = a.note.selector.exact
    quote = describe.lemma(exact)
    return {"number": a.number, "id": note_id, "ref": f"{sid}-ref-{a.number}",
            "kind": a.note.kind, "whole": a.whole, "quote": quote,
            "unseen": "" if quote or a.whole else unseen(exact),
            "body": Markup(body), "note_id": a.note.id, "page": page}


def reflowing(html_: str) -> str:
    """Tables of editorial matter, marked to become lists of rows at a narrow width (edition.css):
    each cell labelled with its column's header, so that no column is lost on a phone."""
    import re

    def table(m) -> str:
        heads = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", m.group(0), re.S)]

        def row(r) -> str:
            k = iter(range(10 ** 6))
            return re.sub(r"<td(?=[ >])", lambda c: (f'<td data-label="{html.escape(heads[i])}"'
                                                        if (i := next(k)) < len(heads) else c.group(0)), r.group(0))
        body = re.sub(r"<tr>.*?</tr>", row, m.group(0), flags=re.S)
        return body.replace("<table>", '<table class="reflow">', 1)
    return re.sub(r"<table>.*?</table>", table, html_, flags=re.S)


def unseen(exact: str) -> str:
    """What a passage that shows as nothing holds (a no-break space, a line end): 'U+00A0 NO-BREAK
    SPACE', so that its note can say what it marks."""
    import unicodedata
    names = [f"U+{ord(c):04X} {unicodedata.name(c, 'character')}" for c in dict.fromkeys(exact)]
    return ", ".join(names)


def slight(exact: str) -> bool:
    """A passage too slight for an underline to be seen: blank, or a single mark."""
    return not exact.strip() or (len(exact.strip()) <= 2 and not any(c.isalnum() for c in exact))


def cite_line(archive: Archive, source: Source | None) -> str:
    """How to cite the edition (source None) or a source: the text form of `archive cite`, from the
    same CSL-JSON item as the deposit (builder/citation.py)."""
    item = citation.edition_item(archive) if source is None else citation.source_item(archive, source)
    return citation.text(item).strip()


class Index:
    """The register's entries (builder/register.py) and where the editions refer to them: every
    `#register:ID` link is pointed at the glossary and given an id, which the index links back to."""

    def __init__(self, archive: Archive):
        self.by_id = {e.id: e for e in archive.register}
        self.found: dict[str, list[dict]] = {e: [] for e in self.by_id}

    def for_one(self) -> "Index":
        """An index of the same entries that records one source's references alone (merged after)."""
        one = Index.__new__(Index)
        one.by_id, one.found = self.by_id, {}
        return one

    def merge(self, found: dict[str, list[dict]]) -> None:
        for eid, refs in found.items():
            self.found[eid].extend(refs)

    def refer(self, html_: str, file: str, where: str, label: str) -> str:
        if not self.by_id:
            return html_
        count: dict[str, int] = {}

        def one(m) -> str:
            eid = m.group(1)
            if eid not in self.by_id:
                return m.group(0)
            count[eid] = count.get(eid, 0) + 1
            rid = f"{where}-r-{eid}" + (f"-{count[eid]}" if count[eid] > 1 else "")
            if count[eid] == 1:
                self.found.setdefault(eid, []).append({"href": f"{file}#{rid}", "label": label})
            return f'id="{rid}" href="glossary.xhtml#{eid}"'
        return register.LINK.sub(one, html_)

    def linked(self, sid: str, links: list[Anchored], title: str) -> None:
        """Register links (a passage linked to an entry, with no note): the index links back to each."""
        for a in sorted(links, key=lambda a: a.start):
            if a.note.entry in self.by_id:
                self.found.setdefault(a.note.entry, []).append({"href": f"{sid}.xhtml#{sid}-link-{-a.number}", "label": title})

    def glossary(self) -> list[dict]:
        return [{"entry": e, "index": e.indexed and bool(self.found[e.id])}
                for e in register.ordered(tuple(self.by_id.values()))]

    def entries(self) -> list[dict]:
        return [{"entry": e, "found": self.found[e.id]}
                for e in register.ordered(tuple(self.by_id.values())) if e.indexed]

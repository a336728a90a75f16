"""The EPUB 3 edition: `write(archive, anchors, path)`.

The package (OPF, nav, NCX) is written from jinja2 templates rather than with ebooklib,
whose defects (docs/decisions.md) would each need a workaround. Sources are rendered and
written one at a time; the zip is repacked nowhere, because it is written reproducibly in
the first place: `mimetype` first and stored, fixed order, fixed timestamps.
"""

from __future__ import annotations

import html
import zipfile
from pathlib import Path

import nh3
from lxml import etree
from lxml import html as lxml_html
from markupsafe import Markup

from . import __version__, describe, layout, notes_io, templating
from .anchor import Anchored
from .model import Archive, Source
from .output import atomic_path

CSS_FILES = ("edition.css",)
NOTES_FILE = "EPUB/notes/annotations.jsonld"
XHTML_NS = "http://www.w3.org/1999/xhtml"


def write(archive: Archive, anchors: dict[str, list[Anchored]], path: Path) -> Path:
    env = templating.environment(archive.templates_dir)
    ctx = describe.archive_context(archive, __version__)
    ids = {s.id for s in archive.sources}
    stamp = archive.date.timetuple()[:6]
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w") as z:
        def put(name: str, data: str | bytes, compress: bool = True) -> None:
            info = zipfile.ZipInfo(name, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            z.writestr(info, data.encode("utf-8") if isinstance(data, str) else data, compresslevel=9)

        def render(template: str, **extra) -> str:
            return env.get_template(template).render(archive=ctx, **extra)

        put("mimetype", "application/epub+zip", compress=False)
        put("META-INF/container.xml", render("epub/container.xml"))
        for css in CSS_FILES:
            put(f"EPUB/css/{css}", env.get_template(f"epub/{css}").render())
        put("EPUB/images/cover.svg", render("epub/cover.svg"))
        put("EPUB/text/cover.xhtml", render("epub/cover.xhtml"))
        put("EPUB/text/titlepage.xhtml", render("epub/titlepage.xhtml"))
        put("EPUB/text/introduction.xhtml",
            render("epub/introduction.xhtml", body=Markup(templating.link_sources(
                templating.markdown(archive.introduction), ids, "{id}.xhtml"))))
        for source, sctx in zip(archive.sources, ctx["sources"]):
            notes = anchors.get(source.id, [])
            put(f"EPUB/text/{source.id}.xhtml",
                render("epub/source.xhtml", source=sctx, text=Markup(source_xhtml(source, notes)),
                       notes=[note_context(source.id, a, ids) for a in notes]))
            put(f"EPUB/text/{source.id}-provenance.xhtml", render("epub/provenance.xhtml", source=sctx))
            put(f"EPUB/originals/{source.file_name}", source.read_bytes())
        put("EPUB/text/colophon.xhtml", render("epub/colophon.xhtml"))
        # the notes as W3C Web Annotation JSON-LD, so that an EPUB alone can be checked for lost notes
        put(NOTES_FILE, notes_io.serialise(notes_io.collection_of(archive, anchors)))
        put("EPUB/nav.xhtml", render("epub/nav.xhtml"))
        put("EPUB/toc.ncx", render("epub/toc.ncx"))
        put("EPUB/package.opf", render("epub/package.opf"))
    return path


def source_xhtml(source: Source, notes: list[Anchored]) -> str:
    """The source reproduced in full, as XHTML: every character kept, notes marked in place."""
    if source.format == "txt":
        return plain_text_xhtml(source.id, layout.paragraphs(source.read_text(), notes))
    text = source.read_text()
    if source.format == "md":
        return sanitise(templating.markdown(text))
    return sanitise(text)


def plain_text_xhtml(sid: str, paragraphs: list[layout.Paragraph]) -> str:
    out = []
    for p in paragraphs:
        lines = []
        for line in p:
            parts = []
            for seg in line:
                text = html.escape(seg.text, quote=False)
                if seg.marks:
                    notes = " ".join(f"{sid}-note-{n}" for n in seg.marks)
                    # aria-details takes one id (EPUBCheck RSC-005): the first note; data-notes lists all
                    text = (f'<span class="passage" aria-details="{sid}-note-{seg.marks[0]}" '
                            f'data-notes="{notes}">{text}</span>')
                parts.append(text + "".join(noteref(sid, n) for n in seg.refs))
            lines.append("".join(parts))
        out.append("<p>" + "<br/>".join(lines) + "</p>")
    return "\n".join(out)


def noteref(sid: str, n: int) -> str:
    return (f'<a class="noteref" epub:type="noteref" role="doc-noteref" id="{sid}-ref-{n}" '
            f'href="#{sid}-note-{n}">{n}</a>')


def note_context(sid: str, a: Anchored, ids: set[str]) -> dict:
    body = templating.link_sources(templating.markdown(a.note.body), ids, "{id}.xhtml")
    return {"number": a.number, "id": f"{sid}-note-{a.number}", "ref": f"{sid}-ref-{a.number}",
            "kind": a.note.kind, "whole": a.whole, "quote": _lemma(a.note.selector.exact),
            "body": Markup(body), "note_id": a.note.id}


def _lemma(exact: str, width: int = 60) -> str:
    s = " ".join(exact.split())
    return s if len(s) <= width else s[: width // 2 - 1] + " … " + s[-(width // 2 - 2):]


ALLOWED_TAGS = {"p", "br", "em", "strong", "i", "b", "u", "s", "sub", "sup", "span", "a", "blockquote", "q",
                "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
                "pre", "code", "hr", "dl", "dt", "dd", "abbr", "cite", "small", "figure", "figcaption"}


def sanitise(markup: str) -> str:
    """HTML or Markdown output as well-formed XHTML: text content kept whole, active content removed."""
    clean = nh3.clean(markup, tags=ALLOWED_TAGS, attributes={"a": {"href"}, "*": {"lang"}},
                      url_schemes={"http", "https", "mailto"}, link_rel=None,
                      clean_content_tags={"script", "style"})
    root = lxml_html.fragment_fromstring(clean or "<p></p>", create_parent="div")
    for el in root.iter("h1", "h2", "h3", "h4", "h5", "h6"):  # under the chapter's own <h1>
        el.tag = f"h{min(int(el.tag[1]) + 1, 6)}"
    parts = [html.escape(root.text or "", quote=False)]
    for child in root:
        parts.append(etree.tostring(child, method="xml", encoding="unicode"))
    return "".join(parts)

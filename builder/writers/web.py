"""The web edition: `write(archive, anchors, folder)` writes a static site, no server needed.

From the same document model as the EPUB: the source text is the EPUB writer's rendering
(builder.writers.epub.source_xhtml: every character kept, notes marked in place), written as
HTML. Pages: index (contents), introduction, each source with its notes (pop-ups by
js/notes.js; without JavaScript, links to the notes below), each source's provenance with its
citation, a register of the sources, a glossary (the corpus register's people, organisations and
terms, then the glosses), an index of people and organisations with a link back to each note,
passage and paragraph of the introduction that refers to them (as in the EPUB: the writer's
Index), search (Pagefind, added by builder.web), about (colophon and citation). The originals are copied byte for byte into
originals/ and the notes into notes/annotations.jsonld. Nothing reads a clock: same corpus,
same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

from markupsafe import Markup

from .. import __version__, citation, describe, notes_io, readers, register, templating
from ..anchor import Anchored, links_of
from ..model import Archive
from . import image_name
from .epub import Index, markdown_blocks, source_xhtml

STATIC = ("css/web.css", "js/notes.js", "js/search.js")
VOID = {"br", "hr", "img", "wbr", "col", "input", "meta", "link", "source", "area", "base", "embed", "track"}
SELF_CLOSED = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^<>]*?)?)\s*/>")
EPUB_TYPE = re.compile(r'\s+epub:type="[^"]*"')


def html_of(xhtml: str) -> str:
    """XHTML written by the EPUB writer, as HTML a browser parses to the same tree: a non-void
    element closed with "/>" gets its end tag (in HTML "<p/>" would open a paragraph); epub:type,
    which HTML does not know, goes (the ARIA roles stay); note references are left out of the
    search index."""
    text = SELF_CLOSED.sub(lambda m: m.group(0) if m.group(1).lower() in VOID else
                           f"<{m.group(1)}{m.group(2)}></{m.group(1)}>", xhtml)
    # a note's number is not words of the source: the search index leaves it out
    return EPUB_TYPE.sub("", text).replace('<a class="noteref" ', '<a class="noteref" data-pagefind-ignore ')


def web_hrefs(html_: str) -> str:
    """The EPUB writer's links to its glossary (register references, register links) as the site's."""
    return html_.replace(' href="glossary.xhtml#', ' href="glossary.html#')


def note_context(sid: str, a: Anchored, ids: set[str], index: Index | None = None, title: str = "") -> dict:
    body = templating.link_sources(templating.markdown(a.note.body), ids, "{id}.html")
    body = web_hrefs(index.refer(body, f"{sid}.html", f"{sid}-note-{a.number}", f"{title}, note {a.number}")
                     if index is not None else register.plain(body))
    return {"number": a.number, "id": f"{sid}-note-{a.number}", "ref": f"{sid}-ref-{a.number}",
            "kind": a.note.kind, "whole": a.whole, "quote": describe.lemma(a.note.selector.exact),
            "body": Markup(html_of(body)), "note_id": a.note.id}


def write(archive: Archive, anchors: dict[str, list[Anchored]], folder: Path, searchable: bool = True) -> int:
    """Write the site into folder (which exists and is empty); return the number of pages."""
    folder = Path(folder)
    env = templating.environment(archive.templates_dir)
    ctx = describe.archive_context(archive, __version__)
    ctx["register"] = bool(archive.register)  # a glossary of its entries and an index (builder/register.py)
    ids = {s.id for s in archive.sources}
    pages = 0

    def put(rel: str, data: str | bytes) -> None:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    def page(name: str, template: str, **extra) -> None:
        nonlocal pages
        put(name, env.get_template(f"web/{template}").render(archive=ctx, page=name[:-5], **extra))
        pages += 1

    for rel in STATIC:
        put(rel, env.get_template(f"web/{rel}").render())
    edition_citation = citation.text(citation.edition_item(archive)).strip()
    page("index.html", "index.html")
    index = Index(archive) if archive.register else None  # the register's entries, and who refers to them
    intro = templating.link_sources("".join(markdown_blocks(archive.introduction)), ids, "{id}.html")
    intro = web_hrefs(index.refer(intro, "introduction.html", "introduction", "Introduction")) if index \
        else register.plain(intro)
    page("introduction.html", "introduction.html", body=Markup(html_of(intro)))
    sctxs = ctx["sources"]
    for k, (source, sctx) in enumerate(zip(archive.sources, sctxs)):
        notes = anchors.get(source.id, [])
        doc = readers.read(source)
        sctx = describe.with_document(sctx, doc)
        for n, image in enumerate(doc.images):  # page facsimiles, figures: beside the pages, as in the EPUB
            put(f"images/{image_name(source.id, n, image)}", image.data)
        linked = links_of(source) if index else []  # register links: a passage linked to an entry, no note
        if index:
            index.linked(source.id, linked, sctx["title"])
        text = Markup(web_hrefs(html_of(source_xhtml(source, notes + linked, None, doc)))
                      .replace(' src="../images/', ' src="images/'))
        page(f"{source.id}.html", "source.html", source=sctx, text=text,
             notes=[note_context(source.id, a, ids, index, sctx["title"]) for a in notes],
             previous=sctxs[k - 1] if k else None, next=sctxs[k + 1] if k + 1 < len(sctxs) else None)
        page(f"{source.id}-provenance.html", "provenance.html", source=sctx,
             citation=citation.text(citation.source_item(archive, source)).strip())
        put(f"originals/{source.file_name}", source.read_bytes())
    page("register.html", "register.html", note_counts={s.id: len(anchors.get(s.id, [])) for s in archive.sources})
    found = [{**x, "found": [{**f, "href": f["href"].replace(".xhtml#", ".html#")} for f in x["found"]]}
             for x in index.entries()] if index else []
    page("glossary.html", "glossary.html", entries=glossary(archive, anchors, ids),
         register_entries=index.glossary() if index else [], indexed=bool(found))
    if found:
        page("names.html", "names.html", entries=found)
    page("search.html", "search.html", searchable=searchable)
    page("about.html", "about.html", citation=edition_citation)
    put("notes/annotations.jsonld", notes_io.jsonld(archive, anchors))
    return pages


def glossary(archive: Archive, anchors: dict[str, list[Anchored]], ids: set[str]) -> list[dict]:
    """Every gloss, by its passage in alphabetical order (then by source and number)."""
    entries = []
    for source in archive.sources:
        for a in anchors.get(source.id, []):
            if a.note.kind != "gloss":
                continue
            term = describe.lemma(a.note.selector.exact) or describe.title(source.provenance)
            target = f"{source.id}-note-{a.number}" if a.whole else f"{source.id}-ref-{a.number}"
            body = register.plain(templating.link_sources(templating.markdown(a.note.body), ids, "{id}.html"))
            entries.append({"term": term, "source_id": source.id, "note_id": a.note.id, "number": a.number,
                            "source_title": describe.title(source.provenance), "href": f"{source.id}.html#{target}",
                            "body": Markup(html_of(body)), "key": (term.casefold(), source.id, a.number)})
    return sorted(entries, key=lambda e: e["key"])

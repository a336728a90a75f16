"""The book's package and NCX (templates/epub/package.opf, toc.ncx), written without jinja2: the same
bytes as the templates render, in about a tenth of the time. Each lists every source (the package
four manifest items, a spine entry and a dc:source line a source), and at 10,000 sources the two
renderings took about 0.6 s of the build's single-process time (docs/performance.md, "The book's own
pages").

As for each source's pages (builder/writers/epub_pages.py): used only when the templates are the
tool's own; a corpus with templates/ of its own has them rendered by jinja2 in its sandbox. The
templates stay what a corpus's own templates start from and what these functions follow, line by
line; tests/test_epub_book.py renders both with hostile values in every field and compares the
bytes. What is written is scanned as a rendering is (templating.refuse_active; for these two kinds
of file builder/inert.py has nothing to look for, as for the rendered ones).
"""

from __future__ import annotations

from markupsafe import escape as e

PAGES = ("epub/package.opf", "epub/toc.ncx")


def _checked(name: str, text: str) -> str:
    """As templating.render checks a rendering of the tool's own templates: its size, its content."""
    from .. import inert, templating

    if len(text) > templating.RENDER_BYTES:
        raise templating.Budget(f"the template writes more than {templating.RENDER_BYTES // (1024 * 1024)} MiB")
    inert.refuse_own(name, inert.active(text, inert.kind_of(name)))
    return text


def ncx(archive: dict, page_list: list[dict], max_page: int, **_) -> str:
    """templates/epub/toc.ncx."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" '
           'version="2005-1" xml:lang="', e(archive["language"]), '">\n<head>\n<meta name="dtb:uid" content="',
           e(archive["identifier"]), '"/>\n<meta name="dtb:depth" content="2"/>\n<meta name="dtb:totalPageCount" '
           f'content="{len(page_list)}"/>\n<meta name="dtb:maxPageNumber" content="', e(max_page),
           '"/>\n</head>\n<docTitle><text>', e(archive["full_title"]), '</text></docTitle>\n<navMap>\n'
           '<navPoint id="np-titlepage" playOrder="1"><navLabel><text>Title page</text></navLabel>'
           '<content src="text/titlepage.xhtml"/></navPoint>\n'
           '<navPoint id="np-introduction" playOrder="2"><navLabel><text>Introduction</text></navLabel>'
           '<content src="text/introduction.xhtml"/></navPoint>\n']
    order = 2
    for s in archive["sources"]:
        sid = e(s["id"])
        out += [f'<navPoint id="np-{sid}" playOrder="{order + 1}"><navLabel><text>', e(s["title"]),
                f'</text></navLabel><content src="text/{sid}.xhtml"/>\n<navPoint id="np-{sid}-provenance" '
                f'playOrder="{order + 2}"><navLabel><text>Provenance</text></navLabel><content '
                f'src="text/{sid}-provenance.xhtml"/></navPoint>\n</navPoint>\n']
        order += 2
    if archive["register"]:
        out += [f'<navPoint id="np-glossary" playOrder="{order + 1}"><navLabel><text>Glossary</text></navLabel>'
                f'<content src="text/glossary.xhtml"/></navPoint>\n<navPoint id="np-index" playOrder="{order + 2}">'
                '<navLabel><text>Index of people and organisations</text></navLabel><content '
                'src="text/index.xhtml"/></navPoint>\n']
        order += 2
    order += 1
    out += [f'<navPoint id="np-colophon" playOrder="{order}"><navLabel><text>Colophon</text></navLabel>'
            '<content src="text/colophon.xhtml"/></navPoint>\n</navMap>\n']
    if page_list:
        out += ['<pageList>\n<navLabel><text>Pages of the PDF edition</text></navLabel>\n']
        for k, p in enumerate(page_list, 1):
            label = p["label"]
            digits = label.isdigit()
            out += [f'<pageTarget id="pt-{k}" type="', "normal" if digits else "front", '"',
                    *((' value="', e(label), '"') if digits else ()), f' playOrder="{order + k}"><navLabel><text>',
                    e(label), '</text></navLabel><content src="', e(p["href"]), '"/></pageTarget>\n']
        out += ['</pageList>\n']
    out += ['</ncx>\n']
    return _checked("epub/toc.ncx", "".join(out))


ACCESS_IMAGES = ('<meta property="schema:accessibilitySummary">Every source is reproduced as text, in reading '
                 'order, with headings, a table of contents and landmarks; the pages of a scan or a PDF source are '
                 'also shown as images (facsimiles) beside its text. Editorial notes are linked footnotes with '
                 'back-links. Every image (the cover, the facsimiles, and those of the sources, the introduction '
                 'and the notes) has a text alternative. No colour is used to carry meaning, and the styles leave '
                 'font, size and colours to the reader.</meta>\n')
ACCESS_TEXT = ('<meta property="schema:accessibilitySummary">A text-only edition: every source is reproduced as '
               'text, in reading order, with headings, a table of contents and landmarks. Editorial notes are '
               'linked footnotes with back-links. The only image is the cover, which has a text alternative. No '
               'colour is used to carry meaning, and the styles leave font, size and colours to the reader.</meta>\n')
FEATURES = "".join(f'<meta property="schema:accessibilityFeature">{f}</meta>\n' for f in (
    "structuralNavigation", "tableOfContents", "readingOrder", "alternativeText", "displayTransformability",
    "annotations"))


def package(archive: dict, images: list[dict], page_list: list[dict], page_source: str, **_) -> str:
    """templates/epub/package.opf."""
    lang = e(archive["language"])
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
           f'unique-identifier="pub-id" xml:lang="{lang}" prefix="a11y: http://www.idpf.org/epub/vocab/package/a11y/#">'
           '\n<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">\n<dc:identifier id="pub-id">',
           e(archive["identifier"]), '</dc:identifier>\n<dc:title id="title">', e(archive["title"]),
           '</dc:title>\n<meta refines="#title" property="title-type">main</meta>\n']
    if archive["subtitle"]:
        out += ['<dc:title id="subtitle">', e(archive["subtitle"]), '</dc:title>\n'
                '<meta refines="#subtitle" property="title-type">subtitle</meta>\n']
    out += [f'<dc:language>{lang}</dc:language>\n']
    for k, editor in enumerate(archive["editors"], 1):
        out += [f'<dc:creator id="editor-{k}">', e(editor["name"]), f'</dc:creator>\n<meta refines="#editor-{k}" '
                'property="role" scheme="marc:relators">', "edt" if editor["role"] == "editor" else "ctb", '</meta>\n']
    out += ['<dc:publisher>', e(archive["publisher"]), '</dc:publisher>\n<dc:date>', e(archive["date"]),
            '</dc:date>\n<dc:rights>', e(archive["rights"]), '</dc:rights>\n']
    if archive["license"]:
        out += ['<meta property="dcterms:license">', e(archive["license"]), '</meta>\n']
    out += ['<dc:description>', e(archive["description"]), '</dc:description>\n']
    for subject in archive["subjects"]:
        out += ['<dc:subject>', e(subject), '</dc:subject>\n']
    out += ['<dc:type>Text</dc:type>\n<dc:format>application/epub+zip</dc:format>\n']
    sources = archive["sources"]
    for s in sources:
        out += ['<dc:source>', e(s["title"]), *(('. ', e(s["publication"])) if s["publication"] else ()), '. ',
                e(s["date"]), '. Received as ', e(s["received_file_name"] or s["file_name"]), ', SHA-256 ',
                e(s["sha256"]), '</dc:source>\n']
    out += ['<meta property="dcterms:modified">', e(archive["modified"]), '</meta>\n'
            '<meta property="schema:accessMode">textual</meta>\n']
    if images:
        out += ['<meta property="schema:accessMode">visual</meta>\n']
    out += ['<meta property="schema:accessModeSufficient">textual</meta>\n']
    if images:
        out += ['<meta property="schema:accessMode">visual</meta>\n'
                '<meta property="schema:accessModeSufficient">textual,visual</meta>\n']
    out += [FEATURES]
    if page_list:
        out += ['<meta property="schema:accessibilityFeature">printPageNumbers</meta>\n'
                '<meta property="schema:accessibilityFeature">pageNavigation</meta>\n'
                '<meta property="pageBreakSource">', e(page_source), '</meta>\n']
    out += ['<meta property="schema:accessibilityHazard">none</meta>\n', ACCESS_IMAGES if images else ACCESS_TEXT,
            '<meta name="cover" content="cover-image"/>\n</metadata>\n<manifest>\n'
            '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>\n'
            '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>\n'
            '<item id="css" href="css/edition.css" media-type="text/css"/>\n'
            '<item id="cover-image" href="images/cover.svg" media-type="image/svg+xml" properties="cover-image"/>\n'
            '<item id="cover" href="text/cover.xhtml" media-type="application/xhtml+xml"/>\n'
            '<item id="titlepage" href="text/titlepage.xhtml" media-type="application/xhtml+xml"/>\n'
            '<item id="introduction" href="text/introduction.xhtml" media-type="application/xhtml+xml"/>\n']
    for s in sources:
        sid, carried = e(s["id"]), e(s["carried_as"])
        out += [f'<item id="s-{sid}" href="text/{sid}.xhtml" media-type="application/xhtml+xml"/>\n'
                f'<item id="p-{sid}" href="text/{sid}-provenance.xhtml" media-type="application/xhtml+xml"/>\n'
                f'<item id="f-{sid}" href="text/{sid}-original.xhtml" media-type="application/xhtml+xml"/>\n'
                f'<item id="o-{sid}" href="originals/', e(s["file_name"]), f'" media-type="{carried}"',
                f' fallback="f-{sid}"' if s["carried_as"] != "application/xhtml+xml" else "", '/>\n']
    for img in images:
        out += ['<item id="', e(img["id"]), '" href="', e(img["href"]), '" media-type="', e(img["media_type"]),
                '"/>\n']
    if archive["register"]:
        out += ['<item id="glossary" href="text/glossary.xhtml" media-type="application/xhtml+xml"/>\n'
                '<item id="index" href="text/index.xhtml" media-type="application/xhtml+xml"/>\n']
    out += ['<item id="colophon" href="text/colophon.xhtml" media-type="application/xhtml+xml"/>\n'
            '<item id="notes" href="notes/annotations.jsonld" media-type="application/ld+json"/>\n</manifest>\n'
            '<spine toc="ncx">\n<itemref idref="cover" linear="yes"/>\n<itemref idref="titlepage"/>\n'
            '<itemref idref="nav"/>\n<itemref idref="introduction"/>\n']
    for s in sources:
        sid = e(s["id"])
        out += [f'<itemref idref="s-{sid}"/>\n<itemref idref="p-{sid}"/>\n<itemref idref="f-{sid}" linear="no"/>\n']
    if archive["register"]:
        out += ['<itemref idref="glossary"/>\n<itemref idref="index"/>\n']
    out += ['<itemref idref="colophon"/>\n</spine>\n<guide>\n'
            '<reference type="cover" title="Cover" href="text/cover.xhtml"/>\n'
            '<reference type="toc" title="Contents" href="nav.xhtml"/>\n'
            '<reference type="text" title="Introduction" href="text/introduction.xhtml"/>\n</guide>\n</package>\n']
    return _checked("epub/package.opf", "".join(out))


def colophon(archive: dict, page_list: bool, cite: str, pb, scan) -> str:
    """templates/epub/colophon.xhtml (in base.xhtml): a row of its fixity table a source, each with
    its page marker. Scanned by its parts as each source's pages are (epub_pages.Scan)."""
    from .epub_pages import _base, _marking

    pb = _marking(pb, scan)
    editors = ", ".join(str(e(x["name"])) for x in archive["editors"])
    out = ['<section class="colophon" epub:type="colophon" role="doc-colophon" aria-labelledby="colophon">\n',
           pb("colophon"), '\n<h1 id="colophon">Colophon</h1>\n<p>', pb("colophon/p1"), e(archive["full_title"]),
           '. Edited by ', editors, '. Published by ', e(archive["publisher"]), ', ', e(archive["date_text"]),
           '. Identifier <code>', e(archive["identifier"]), '</code>.</p>\n<p>', pb("colophon/p2"),
           'Built with annotated-archive ', e(archive["version"]), ' from the corpus as it stood on the edition’s '
           'date. Every source was hashed at build time and compared with the SHA-256 recorded when it was '
           'received; the build refuses a source that has changed. Each source is reproduced in full, exactly as '
           'received; the original files travel inside this EPUB, in <code>originals/</code>, so that this copy '
           'can be verified on its own.</p>\n<p>', pb("colophon/p3"), 'This EPUB edition is made to EPUB 3.3 and '
           'EPUB Accessibility 1.1, to pass W3C’s EPUBCheck and DAISY Ace without a message; <code>archive '
           'check</code> runs EPUBCheck on any copy. A PDF edition (PDF/A-3a and PDF/UA-1 claimed, checked '
           'structurally) is made from the same corpus',
           ', and the page numbers of this edition are those of that PDF: a page marker stands where each PDF '
           'page begins, to the character within a source and to the paragraph elsewhere' if page_list else '',
           '.</p>\n', pb("colophon/fixity"), '\n<h2>Fixity</h2>\n<table class="fixity reflow">\n<thead><tr><th '
           'scope="col">Source</th><th scope="col">File</th><th scope="col">SHA-256</th></tr></thead>\n<tbody>\n']
    for k, s in enumerate(archive["sources"], 1):
        scan.link("a", href=f"{s['id']}.xhtml")
        out += ['<tr><td data-label="Source">', pb(f"colophon/row{k}"), '<a href="', e(s["id"]), '.xhtml">',
                e(s["title"]), '</a></td><td data-label="File"><code>', e(s["file_name"]), '</code></td><td '
                'data-label="SHA-256"><code class="hash">', e(s["sha256"]), '</code></td></tr>\n']
    out += ['</tbody>\n</table>\n<p>', pb("colophon/rights"), e(archive["rights"]), '</p>\n', pb("colophon/cite"),
            '\n<h2 id="colophon-cite">How to cite</h2>\n<p class="cite">', e(cite), '</p>\n<p class="cite-note">'
            'Each source’s provenance page gives its own citation; <code>archive cite</code> gives them as '
            'CSL-JSON, BibTeX or RIS, from the same data as the deposit’s CSL-JSON.</p>\n</section>\n']
    return _base(archive, ["Colophon"], out)


def nav(archive: dict, contents_marker, page_list: list[dict], scan, **_) -> str:
    """templates/epub/nav.xhtml (the contents, the landmarks and the page-list: a source two
    links, a page one). Scanned by its parts as each source's pages are (epub_pages.Scan)."""
    lang = e(archive["language"])
    sources = archive["sources"]
    first = sources[0]["id"] if sources else "colophon"
    scan.link("a", href=f"text/{first}.xhtml")
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" '
           f'xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="{lang}" lang="{lang}">\n<head>\n<meta charset="UTF-8"/>'
           '\n<title>Contents</title>\n<link rel="stylesheet" type="text/css" href="css/edition.css"/>\n</head>\n'
           '<body>\n', scan.markup(e(contents_marker)), '\n<nav epub:type="toc" role="doc-toc" id="toc" '
           'aria-labelledby="toc-title">\n<h1 id="toc-title">Contents</h1>\n<ol>\n<li><a href="text/titlepage.xhtml">'
           'Title page</a></li>\n<li><a href="text/introduction.xhtml">Introduction</a></li>\n<li><a href="text/',
           e(first), '.xhtml">Sources</a>\n<ol>\n']
    for s in sources:
        raw, sid = s["id"], e(s["id"])
        scan.link("a", href=f"text/{raw}.xhtml")
        scan.link("a", href=f"text/{raw}-provenance.xhtml")
        out += [f'<li><a href="text/{sid}.xhtml">', e(s["title"]), f'</a>\n<ol><li><a href="text/{sid}-provenance'
                '.xhtml">Provenance</a></li></ol>\n</li>\n']
    out += ['</ol>\n</li>\n']
    if archive["register"]:
        out += ['<li><a href="text/glossary.xhtml">Glossary</a></li>\n<li><a href="text/index.xhtml">Index of people '
                'and organisations</a></li>\n']
    out += ['<li><a href="text/colophon.xhtml">Colophon</a></li>\n</ol>\n</nav>\n<nav epub:type="landmarks" '
            'id="landmarks" aria-labelledby="landmarks-title" hidden="hidden">\n<h2 id="landmarks-title">Landmarks</h2>'
            '\n<ol>\n<li><a epub:type="cover" href="text/cover.xhtml">Cover</a></li>\n<li><a epub:type="titlepage" '
            'href="text/titlepage.xhtml">Title page</a></li>\n<li><a epub:type="toc" href="nav.xhtml#toc">Contents</a>'
            '</li>\n<li><a epub:type="bodymatter" href="text/introduction.xhtml">Introduction</a></li>\n']
    if archive["register"]:
        out += ['<li><a epub:type="glossary" href="text/glossary.xhtml">Glossary</a></li>\n<li><a epub:type="index" '
                'href="text/index.xhtml">Index</a></li>\n']
    out += ['<li><a epub:type="colophon" href="text/colophon.xhtml">Colophon</a></li>\n</ol>\n</nav>\n']
    if page_list:
        out += ['<nav epub:type="page-list" role="doc-pagelist" id="page-list" aria-labelledby="page-list-title" '
                'hidden="hidden">\n<h2 id="page-list-title">Pages of the PDF edition</h2>\n<ol>\n']
        for p in page_list:
            scan.link("a", href=p["href"])
            out += ['<li><a href="', e(p["href"]), '">', e(p["label"]), '</a></li>\n']
        out += ['</ol>\n</nav>\n']
    out += ['</body>\n</html>\n']
    return "".join(out)

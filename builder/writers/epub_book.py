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
    from ..errors import ArchiveError

    if len(text) > templating.RENDER_BYTES:
        raise templating.Budget(f"the template writes more than {templating.RENDER_BYTES // (1024 * 1024)} MiB")
    found = inert.active(text, inert.kind_of(name))
    if found:
        raise ArchiveError(f"{name}: the written document holds active content ({'; '.join(dict.fromkeys(found))}); "
                           "this is a fault of the tool, please report it")
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

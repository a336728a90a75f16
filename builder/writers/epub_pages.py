"""Each source's three pages (templates/epub/source.xhtml, provenance.xhtml, original.xhtml, in
base.xhtml), written without jinja2: the same bytes as the templates render, at a fraction of
the cost (jinja2 was two fifths of the EPUB's time at 10,000 sources; docs/performance.md).

Used only when the templates are the tool's own: a corpus with templates/ of its own has every
page rendered by jinja2 in its sandbox. The templates stay what a corpus's own templates start
from and what these functions follow, line by line; tests/test_epub_pages.py renders every source
of several corpora (the default one, hostile values in every field) both ways and compares the
bytes. A page written here is scanned for active content by its parts (Scan; builder/inert.py
active_in_parts; docs/security.md).

    scan = epub_pages.Scan()
    page = epub_pages.provenance(archive_ctx, source_ctx, cite, pb, scan)  # None: render the template
    found = scan.findings(page)                                           # what is active in it
"""

from __future__ import annotations

from typing import Callable

from markupsafe import escape as e

PAGES = ("epub/source.xhtml", "epub/provenance.xhtml", "epub/original.xhtml")


class Scan:
    """What of a page written here can hold anything active (builder/inert.py active_in_parts): the
    markup fragments put in it as they are (the source's text, notes, page-break markers), and the
    page's own elements whose URL attributes hold a value of the corpus (their values unescaped)."""

    def __init__(self):
        self.fragments: list[str] = []
        self.elements: list[tuple[str, dict]] = []

    def markup(self, fragment):
        self.fragments.append(str(fragment))
        return fragment

    def link(self, tag: str, **attributes: str) -> None:
        self.elements.append((tag, attributes))

    def findings(self, page: str) -> list[str]:
        from .. import inert

        return inert.active_in_parts(page, self.fragments, self.elements)


def own(env) -> bool:
    """Are the templates the tool's own (no corpus templates/ before them)?"""
    return len(getattr(env.loader, "loaders", ())) == 1


def _base(archive: dict, title: list, body: list) -> str:
    lang = e(archive["language"])
    return "".join(['<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
                    '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
                    'xml:lang="', lang, '" lang="', lang, '">\n<head>\n<meta charset="UTF-8"/>\n<title>', *title,
                    '</title>\n<link rel="stylesheet" type="text/css" href="../css/edition.css"/>\n</head>\n<body>\n',
                    *body, '</body>\n</html>\n'])


def _capitalize(value) -> str:
    return str(value).capitalize()  # jinja2's capitalize filter


def source(archive: dict, s: dict, text, notes: list[dict], pb: Callable, scan: Scan) -> str:
    """templates/epub/source.xhtml."""
    sid, raw = e(s["id"]), s["id"]
    pb = _marking(pb, scan)
    scan.link("a", href=f"{raw}-provenance.xhtml")
    scan.link("a", href=f"{raw}-original.xhtml")
    out = [f'<section class="source" epub:type="chapter" role="doc-chapter" aria-labelledby="{sid}">\n'
           '<header class="headnote">\n', pb(s["id"]), '\n<p class="kind">', e(_capitalize(s["kind"])),
           f'</p>\n<h1 id="{sid}">', e(s["title"]), '</h1>\n<p class="meta">', e(s["date"]), ' · ',
           e(s["authors"]) if s["author_list"] else ["Author ", e(s["authors"])],
           f'</p>\n<p class="meta"><a href="{sid}-provenance.xhtml" id="{sid}-to-provenance">Provenance and '
           'condition</a>']
    out = _flat(out)
    for n in notes:
        if n["whole"]:
            num = e(n["number"])
            scan.link("a", href=f"#{n['id']}")
            out += [' · Note on the whole source<a class="noteref" epub:type="noteref" role="doc-noteref" id="',
                    e(n["ref"]), '" href="#', e(n["id"]), f'" data-n="{num}" aria-label="Note {num}"></a>']
    out += [f'</p>\n<p class="meta original"><a href="{sid}-original.xhtml" id="{sid}-original">The original '
            'file</a> (', e(s["media_type"]), ', ', e("{:,}".format(s["size"])), ' bytes), exactly as received.</p>\n']
    if s["transcription_note"]:
        out += ['<p class="meta transcription-note" role="note">', e(s["transcription_note"]), '</p>\n']
    out += [f'</header>\n<div class="source-text" id="{sid}-text"']
    if s["language"]:
        lang = e(s["language"])
        out += [f' xml:lang="{lang}" lang="{lang}"']
    if s.get("direction") in ("rtl", "auto"):
        out += [' dir="', e(s["direction"]), '"']
    out += ['>\n', scan.markup(e(text)), '\n</div>\n<p class="end-of-source">', pb(s["id"] + "/end"),
            f'End of the source. <a href="{sid}-provenance.xhtml">Provenance and condition</a></p>\n']
    if notes:
        out += [f'<section class="notes" epub:type="endnotes" role="doc-endnotes" aria-labelledby="{sid}-notes">\n'
                f'<h2 id="{sid}-notes">Notes</h2>\n<ol class="notes">\n']
        for n in notes:
            num = e(n["number"])
            scan.link("a", href=f"#{n['ref']}")
            out += ['<li class="note note-', e(n["kind"]), '" epub:type="endnote" id="', e(n["id"]), '">\n'
                    f'<p class="note-head"><span class="note-number">{num}.</span> <span class="note-kind">',
                    e(n["kind"]), '</span>']
            if n["quote"]:
                out += [' <span class="lemma">', e(n["quote"]), '</span>']
                if n["page"]:
                    out += [' <span class="page-of-original">(page ', e(n["page"]), ' of the original)</span>']
                out += [' ]']
            elif n["unseen"]:
                out += [' <span class="scope">on a passage that shows as blank: ', e(n["unseen"]), '</span>']
            else:
                out += [' <span class="scope">on the whole source</span>']
            out += ['</p>\n', scan.markup(e(n["body"])), '\n<p class="note-back"><a href="#', e(n["ref"]),
                    f'" role="doc-backlink">Back to the text at note {num}</a></p>\n</li>\n']
        out += ['</ol>\n</section>\n']
    out += ['</section>\n']
    return _base(archive, [e(s["title"])], out)


def provenance(archive: dict, s: dict, cite: str, pb: Callable, scan: Scan) -> str | None:
    """templates/epub/provenance.xhtml; None for a source with attachments or attached to an email
    (rare: its page names other sources, and is rendered from the template)."""
    if s["attached_to"] or s["attachments"]:
        return None
    sid, raw = e(s["id"]), s["id"]
    pb = _marking(pb, scan)
    scan.link("a", href=f"{raw}.xhtml#{raw}")
    scan.link("a", href=f"{raw}-original.xhtml")

    def f(k: int):  # a field's page-break marker, called in the order of the page (as the template does)
        return pb(f"{raw}/provenance/f{k}")

    out = [f'<section class="provenance" aria-labelledby="{sid}-provenance">\n', pb(raw + "/provenance"),
           f'\n<h1 id="{sid}-provenance">Provenance: ', e(s["title"]),
           f'</h1>\n<p class="back"><a href="{sid}.xhtml#{sid}">Back to the source</a></p>\n']
    if not s["recorded"]:
        out += ['<p class="warning">', pb(raw + "/provenance/unrecorded"), 'Provenance not recorded: this source '
                'was imported without a provenance record. Nothing is known here of its author, date, origin or '
                'condition beyond what its text shows.</p>\n']
    out += ['<dl>\n<dt>', f(1), 'Title</dt><dd>', e(s["title"])]
    if s["title_derived"]:
        out += [' (title derived by the tool from the document’s first line)']
    elif s["title_supplied"]:
        out += [' (title supplied by the editor)']
    out += ['</dd>\n<dt>', f(2), 'Kind</dt><dd>', e(s["kind"]), '</dd>\n<dt>', f(3), 'Author</dt><dd>']
    if s["author_list"]:
        last = len(s["author_list"]) - 1
        for k, a in enumerate(s["author_list"]):
            out += [e(a["name"])]
            if a["role"] != "author":
                out += [' (', e(a["role"]), ')']
            out += [', ', e(a["certainty"])]
            if a["evidence"]:
                out += [': ', e(a["evidence"])]
            if k != last:
                out += ['<br/>']
    else:
        out += [e(_capitalize(s["authors"]))]
    out += ['</dd>\n<dt>', f(4), 'Date</dt><dd>', e(s["date"])]
    if s["date_evidence"]:
        out += ['. ', e(s["date_evidence"])]
    out += ['</dd>\n<dt>', f(5), 'Origin</dt><dd>', e(s["origin"] or "Not recorded")]
    if s["publication"]:
        out += [' (publication: ', e(s["publication"]), ')']
    out += ['</dd>\n<dt>', f(6), 'Original URL</dt><dd>']
    if s["url_link"]:
        scan.link("a", href=s["url_link"])
        out += ['<a href="', e(s["url_link"]), '">', e(s["url"]), '</a>']
    elif s["url"]:
        out += [e(s["url"]), ' (not a web address: shown as text)']
    else:
        out += ['None known']
    out += ['</dd>\n<dt>', f(7), 'How received</dt><dd>', e(s["received_how"] or "Not recorded")]
    if s["received_date"]:
        out += [' Received ', e(s["received_date"]), '.']
    out += ['</dd>\n<dt>', f(8), 'File as received</dt><dd><code>', e(s["received_file_name"]), '</code>']
    if s["received_format"]:
        out += [', ', e(s["received_format"])]
    out += ['; ', e(s["size"]), ' bytes']
    if s["characters"]:
        out += [', ', e(s["characters"]), ' characters']
    if s["encoding"]:
        out += ['; ', e(s["encoding"])]
    out += ['</dd>\n<dt>', f(9), 'SHA-256 on receipt</dt><dd><code class="hash">',
            e(s["recorded_sha256"] or "not recorded"), '</code></dd>\n<dt>', f(10),
            'SHA-256 verified at build</dt><dd><code class="hash">', e(s["sha256"]), '</code></dd>\n<dt>', f(11),
            f'Copy in this edition</dt><dd><a href="{sid}-original.xhtml"><code>originals/', e(s["file_name"]),
            '</code></a> (the file exactly as received: ', e(s["media_type"]), ', ', e("{:,}".format(s["size"])),
            ' bytes)</dd>\n<dt>', f(12), 'Condition</dt><dd>', e(s["condition"] or "Not recorded")]
    if s["flaws"]:
        out += ['<ul>', *[x for flaw in s["flaws"] for x in ('<li>', e(flaw), '</li>')], '</ul>']
    out += ['</dd>\n<dt>', f(13), 'Rights</dt><dd>', e(s["rights"] or "Not recorded"), '</dd>\n</dl>\n',
            pb(raw + "/provenance/cite"), f'\n<h2 id="{sid}-cite">How to cite</h2>\n<p class="cite">', e(cite),
            f'</p>\n<p class="cite-note">This source’s own place in the edition: <code>{sid}.xhtml#{sid}</code>; '
            f'each of its notes has the anchor <code>{sid}-note-N</code>. <code>archive cite {sid}</code> gives '
            'the same citation as CSL-JSON, BibTeX or RIS.</p>\n']
    if s["summary"]:
        out += [pb(raw + "/provenance/summary"), '\n<h2>Editor’s summary</h2>\n<p>', e(s["summary"]), '</p>\n']
    out += ['</section>\n']
    return _base(archive, ['Provenance: ', e(s["title"])], out)


def original(archive: dict, s: dict, scan: Scan) -> str:
    """templates/epub/original.xhtml."""
    sid, name, media = e(s["id"]), e(s["file_name"]), e(s["media_type"])
    raw = s["id"]
    scan.link("a", href=f"{raw}.xhtml#{raw}")
    scan.link("a", href=f"{raw}-provenance.xhtml")
    scan.link("object", **{"class": "original-object", "data": f"../originals/{s['file_name']}",
                           "type": s["carried_as"], "aria-label": f"The original file, {s['media_type']}"})
    scan.link("a", href=f"{raw}.xhtml#{raw}-text")
    title = e(s["title"])
    out = [f'<section class="original-file" aria-labelledby="{sid}-original-file">\n'
           f'<h1 id="{sid}-original-file">The original file: ', title,
           f'</h1>\n<p class="back"><a href="{sid}.xhtml#{sid}">Back to the source</a> · '
           f'<a href="{sid}-provenance.xhtml">Provenance</a></p>\n<p><code>originals/{name}</code>: {media}, ',
           e("{:,}".format(s["size"])), ' bytes, SHA-256 <code class="hash">', e(s["sha256"]),
           f'</code>. It travels inside this EPUB exactly as received; a reading system that can show {media} '
           'shows it below, and any unzip tool takes it out whole.</p>\n'
           f'<object class="original-object" data="../originals/{name}" type="', e(s["carried_as"]),
           f'" aria-label="The original file, {media}"><p>This reading system does not show {media} files. The '
           f'text of the source, exactly as received, is in <a href="{sid}.xhtml#{sid}-text">the edition’s page '
           'for it</a>.</p></object>\n</section>\n']
    return _base(archive, ['The original file: ', title], out)


def _marking(pb: Callable, scan: Scan) -> Callable:
    """pb, each marker it writes kept as a fragment to scan."""
    return lambda where: scan.markup(pb(where))


def _flat(parts: list) -> list:
    out = []
    for p in parts:
        out.extend(p) if isinstance(p, list) else out.append(p)
    return out

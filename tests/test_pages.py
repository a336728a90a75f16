"""Page numbers that match between the editions: the EPUB's page-list and page-break markers
follow the PDF edition's pages (docs/pages.md)."""

from __future__ import annotations

import re
import subprocess
import zipfile

from conftest import CORPUS, epubcheck_problems, need, tool
from lxml import etree

from builder import validators, verify, verify_pdf
from builder.writers import layout
from builder.build import build
from builder.corpus import load

NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def page_list(epub) -> list[tuple[str, str]]:
    with zipfile.ZipFile(epub) as z:
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
    navs = nav.xpath("//x:nav[@epub:type='page-list']", namespaces=NS)
    assert len(navs) <= 1
    if not navs:
        return []
    return [(a.text, a.get("href")) for a in navs[0].xpath(".//x:ol/x:li/x:a", namespaces=NS)]


def pdf_labels(pdf) -> list[str]:
    import pikepdf
    with pikepdf.open(pdf) as p:
        return [str(page.label) for page in p.pages]


def documents(epub) -> dict[str, etree._Element]:
    with zipfile.ZipFile(epub) as z:
        return {n[len("EPUB/"):]: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")}


def test_page_list_has_every_pdf_page_in_order_with_its_label(default_build):
    entries = page_list(default_build.editions["epub"])
    labels = pdf_labels(default_build.editions["pdf"])
    assert [label for label, _ in entries] == labels
    assert labels[:4] == ["i", "ii", "iii", "iv"] and labels[4] == "1"  # roman front matter, then arabic


def test_every_page_list_link_resolves_to_a_pagebreak_in_reading_order(default_build):
    epub = default_build.editions["epub"]
    docs = documents(epub)
    with zipfile.ZipFile(epub) as z:
        opf = etree.fromstring(z.read("EPUB/package.opf"))
    manifest = {i.get("id"): i.get("href") for i in opf.xpath("//opf:item", namespaces=NS)}
    spine = [manifest[r.get("idref")] for r in opf.xpath("//opf:itemref", namespaces=NS)]
    last = (-1, -1)
    all_ids = []
    entries = page_list(epub)
    assert entries, "the EPUB built with its PDF has no page-list"
    for label, href in entries:
        doc, frag = href.split("#")
        found = docs[doc].xpath("//*[@id=$i]", i=frag)
        assert len(found) == 1, href
        el = found[0]
        assert el.get(EPUB_TYPE) == "pagebreak" and el.get("role") == "doc-pagebreak"
        assert el.get("aria-label") == label and len(el) == 0 and not (el.text or "").strip()
        order = (spine.index(doc), list(docs[doc].iter()).index(el))
        assert order > last, f"page {label} is out of reading order"
        last = order
        all_ids.append(frag)
    # every marker in the book is in the page-list, once
    markers = [el.get("id") for root in docs.values() for el in root.iter() if el.get(EPUB_TYPE) == "pagebreak"]
    assert sorted(markers) == sorted(all_ids) and len(set(markers)) == len(markers)


def _text_after(el, n: int) -> str:
    """The chapter text that follows el (note markers left out), squeezed: n characters."""
    out = ""
    for t in el.xpath("following::text()"):
        parent = t.getparent().getparent() if t.is_tail else t.getparent()
        if any(a.get(EPUB_TYPE) == "noteref" for a in [parent, *parent.iterancestors()]):
            continue
        if any(a.get("class") == "notes" for a in [parent, *parent.iterancestors()]):
            break
        out += verify_pdf.squeeze(str(t))
        if len(out) >= n:
            break
    return out[:n]


def _text_before(el, n: int) -> str:
    out = ""
    for t in el.xpath("preceding::text()")[::-1]:
        parent = t.getparent().getparent() if t.is_tail else t.getparent()
        if any(a.get(EPUB_TYPE) == "noteref" for a in [parent, *parent.iterancestors()]):
            continue
        out = verify_pdf.squeeze(str(t)) + out
        if len(out) >= n:
            break
    return out[-n:]


def _page_text(pdf, number: int) -> str:
    """Page `number` (1-based) alone, by pdftotext -raw: squeezed, note-marker digits removed."""
    out = subprocess.run([tool("pdftotext"), "-raw", "-enc", "UTF-8", "-f", str(number), "-l", str(number), str(pdf), "-"],
                         capture_output=True, check=True).stdout.decode()
    return re.sub(r"\d", "", verify_pdf.squeeze(verify_pdf.logical(out)))


def test_pages_that_begin_inside_a_source_begin_at_the_same_character(default_build):
    """Independent of the page map: for each marker inside a plain-text source's text, the text
    after it is on that PDF page (pdftotext of that page alone), and the text before it ends the
    previous page."""
    epub, pdf = default_build.editions["epub"], default_build.editions["pdf"]
    docs = documents(epub)
    labels = pdf_labels(pdf)
    exact = 0
    for label, href in page_list(epub):
        doc, frag = href.split("#")
        el = docs[doc].xpath("//*[@id=$i]", i=frag)[0]
        text_block = [a for a in el.iterancestors() if (a.get("class") or "") == "source-text"]
        if not text_block or el.getparent() is text_block[0]:
            continue  # editorial matter, or the page that opens with the text's first line
        exact += 1
        number = labels.index(label) + 1
        after = re.sub(r"\d", "", _text_after(el, 60))[:40]
        before = re.sub(r"\d", "", _text_before(el, 40))[-20:]
        here, previous = _page_text(pdf, number), _page_text(pdf, number - 1)
        assert after in here, f"page {label}: «{after}» is not on it"
        assert before in previous, f"page {label}: «{before}» does not end page {labels[number - 2]}"
        # nothing of the source on this page comes before the marker: the page's source text
        # starts with what follows the marker
        source_part = here[here.index(after[:12]):]
        assert source_part.startswith(after)
    assert exact >= 10  # the default corpus: 15 pages begin inside a source's text


def test_the_markers_leave_the_text_whole(default_build):
    archive = load(CORPUS)
    assert verify.epub_findings(default_build.editions["epub"], archive) == []


def test_package_names_the_pdf_as_the_source_of_pagination(default_build):
    with zipfile.ZipFile(default_build.editions["epub"]) as z:
        opf = z.read("EPUB/package.opf").decode()
        ncx = etree.fromstring(z.read("EPUB/toc.ncx"))
    source = re.search(r'<meta property="pageBreakSource">([^<]+)</meta>', opf).group(1)
    assert "PDF edition" in source and default_build.editions["pdf"].name in source
    assert '<meta property="schema:accessibilityFeature">printPageNumbers</meta>' in opf
    assert '<meta property="schema:accessibilityFeature">pageNavigation</meta>' in opf
    targets = ncx.xpath("//ncx:pageList/ncx:pageTarget", namespaces=NS)
    assert [t.findtext("ncx:navLabel/ncx:text", namespaces=NS) for t in targets] == \
        pdf_labels(default_build.editions["pdf"])
    count = ncx.xpath("//ncx:meta[@name='dtb:totalPageCount']/@content", namespaces=NS)[0]
    assert int(count) == len(targets)


def test_an_epub_alone_has_no_page_list_and_no_page_source(tmp_path):
    built = build(CORPUS, tmp_path / "out", formats=("epub",))
    epub = built.editions["epub"]
    assert epubcheck_problems(epub) == []
    assert page_list(epub) == []
    with zipfile.ZipFile(epub) as z:
        opf = z.read("EPUB/package.opf").decode()
        text = b"".join(z.read(n) for n in z.namelist() if n.endswith(".xhtml"))
    assert "pageBreakSource" not in opf and "printPageNumbers" not in opf
    assert b"pagebreak" not in text


def test_a_page_list_entry_pointing_nowhere_is_caught(default_build, tmp_path):
    src = default_build.editions["epub"]
    entries = page_list(src)
    assert entries
    target = entries[len(entries) // 2][1]  # a page-list link in the middle of the book
    broken = tmp_path / "broken.epub"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(broken, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "EPUB/nav.xhtml":
                old = f'href="{target}"'.encode()
                assert old in data, target
                data = data.replace(old, f'href="{target.split("#")[0]}#page-nowhere"'.encode(), 1)
            zout.writestr(info, data)
    problems = epubcheck_problems(broken)
    assert any("RSC-012" in p and "nav.xhtml" in p for p in problems), problems  # fragment not defined


def test_the_default_edition_passes_epubcheck_and_ace_with_its_page_list(default_build, tmp_path):
    epub = default_build.editions["epub"]
    assert page_list(epub)
    assert epubcheck_problems(epub) == []
    assert [str(m) for m in need(validators.ace, epub, tmp_path)] == []


# ---------------------------------------------------------------- units

def test_layout_cuts_segments_at_page_breaks_and_keeps_the_text():
    text = "First line of text.\nSecond line.\n\nA new paragraph here."
    plain = layout.paragraphs(text)
    cut = layout.paragraphs(text, breaks=[6, 34, 20])
    assert layout.plain_text(cut) == layout.plain_text(plain)
    starts = {b: seg.text for p in cut for line in p for seg in line for b in seg.breaks}
    assert starts == {6: "line of text.", 20: "Second line.", 34: "A new paragraph here."}


def test_a_break_in_white_space_moves_to_the_next_shown_character():
    text = "One.\n\n  \nTwo."
    cut = layout.paragraphs(text, breaks=[5])
    assert [(seg.text, seg.breaks) for p in cut for line in p for seg in line] == [("One.", ()), ("Two.", (5,))]


def test_squeezed_offsets_point_into_the_decoded_text():
    text = "Cafe\u0301 \u00a0x\u00adyz\n\nA"
    squeezed = verify_pdf.squeeze(text)
    offsets = verify_pdf.squeezed_offsets(text)
    assert len(offsets) == len(squeezed)
    assert text[offsets[squeezed.index("x")]] == "x" and text[offsets[squeezed.index("y")]] == "y"
    assert text[offsets[-1]] == "A"


def test_match_reports_where_the_text_crosses_pages():
    text = "alpha beta\ngamma delta\n\nepsilon"
    lines = [(0, "alpha beta"), (1, "3 Running head"), (1, "gamma delta"), (2, "epsilon")]
    problem, crossings = verify_pdf.match_pages(text, lines)
    assert problem is None
    squeezed = verify_pdf.squeeze(text)
    assert [(p, squeezed[i:i + 5]) for p, i in crossings] == [(1, "gamma"), (2, "epsil")]


def _labelled(path, nums: list) -> None:
    """A PDF of 14 blank pages with /PageLabels /Nums nums (pairs: first page, label dictionary)."""
    import pikepdf
    pdf = pikepdf.new()
    for _ in range(14):
        pdf.add_blank_page()
    pdf.Root.PageLabels = pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(nums)))
    pdf.save(path)


def test_page_labels_read_from_their_ranges_are_pikepdfs_page_by_page(tmp_path):
    """pagemap.labels reads the /PageLabels ranges once (pagemap._ranged) and gives what pikepdf's
    Page.label gives page by page: styles D, R, r, A, a, a prefix, /St, a prefix alone, pages before
    the first range; a range it does not read plainly (a /St that is not a whole number) is read
    page by page instead, with the same result."""
    import pikepdf

    from builder import pagemap
    D = pikepdf.Dictionary
    N = pikepdf.Name
    cases = {
        "plain": [2, D(S=N.r), 4, D(S=N.D, St=5), 6, D(S=N.A, P=pikepdf.String("A-"), St=25), 8, D(S=N.a),
                  10, D(P=pikepdf.String("Plate ")), 12, D(S=N.R, St=48)],
        "from-zero": [0, D(S=N.D)],
        "odd-start": [0, D(S=N.D, St=pikepdf.Object.parse(b"2.5"))],
    }
    for name, nums in cases.items():
        path = tmp_path / f"{name}.pdf"
        _labelled(path, nums)
        with pikepdf.open(path) as pdf:
            expected = [str(page.label or "") or f"p{i + 1}" for i, page in enumerate(pdf.pages)]
            ranged = pagemap._ranged(pdf.Root.PageLabels, len(pdf.pages))
        assert pagemap.labels(path) == expected, name
        assert (ranged is None) == (name == "odd-start"), name  # read page by page only where not plain
    assert pagemap.labels(tmp_path / "plain.pdf")[:13] == [
        "1", "2", "i", "ii", "5", "6", "A-Y", "A-Z", "a", "b", "Plate ", "Plate ", "XLVIII"]

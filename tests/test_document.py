"""The one document model (builder/document.py) and the readers of today's kinds: every run
carries its offsets in the reading text, check() catches a reader that gets them wrong, and a
passage note on a Markdown and an HTML source anchors and shows in both editions."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import epubcheck_problems, tool
from lxml import etree

from builder import document as d
from builder.build import build
from builder.readers import READERS, html, markdown, text

NS = {"h": "http://www.w3.org/1999/xhtml"}


def run_texts(doc: d.Document) -> list[str]:
    return [doc.text[r.start:r.end] for r in d.runs(doc) if not isinstance(r, d.LineBreak)]


# ---------------------------------------------------------------- the model

def test_check_accepts_consistent_runs_and_refuses_each_inconsistency():
    good = d.Document("ab\ncd", (d.Paragraph((d.Text("ab", 0, 2), d.LineBreak(2, 3), d.Text("cd", 3, 5))),))
    assert d.check(good) is good
    bad = [
        d.Document("ab cd", (d.Paragraph((d.Text("ab", 0, 2),)),)),  # "cd" covered by no run
        d.Document("ab", (d.Paragraph((d.Text("ax", 0, 2),)),)),  # text is not the slice
        d.Document("abc", (d.Paragraph((d.Text("ab", 0, 2), d.Text("bc", 1, 3))),)),  # overlap
        d.Document("ab", (d.Paragraph((d.Text("b", 1, 2), d.Text("a", 0, 1))),)),  # out of order
        d.Document("ab", (d.Paragraph((d.Text("a", 0, 1), d.LineBreak(1, 2))),)),  # a break over text
        d.Document("ab", (d.Paragraph((d.Text("ab", 0, 2),)),), pages=(5,)),  # a page outside the text
    ]
    for doc in bad:
        with pytest.raises(d.Inconsistent):
            d.check(doc)


def test_the_readers_table_has_one_reader_per_kind_of_today():
    assert {"txt", "md", "html"} <= set(READERS)


# ---------------------------------------------------------------- plain text

def test_text_reader_keeps_every_character_and_makes_paragraphs_of_lines():
    source = "First line\r\nsecond\tline\n \t\nNew paragraph\rafter a lone CR\n\n\n"
    doc = d.check(text.document(source))
    assert doc.text == source and doc.plain
    assert [len(p.inlines) for p in doc.blocks] == [3, 3]
    first = doc.blocks[0].inlines
    assert first[0] == d.Text("First line", 0, 10)
    assert first[1] == d.LineBreak(10, 12)  # CRLF: one line end
    assert run_texts(doc) == ["First line", "second\tline", "New paragraph", "after a lone CR"]


# ---------------------------------------------------------------- Markdown

def test_markdown_reader_makes_blocks_and_leaves_markup_out_of_the_reading_text():
    source = ("# Title\n\nSome *emphasis*, **strong**, `code` and a [link](https://example.org)\n"
              "over two lines.\n\n- one\n- two\n\n> quoted\n\n```\npre  formatted\n```\n\n"
              "| A | B |\n|---|--:|\n| 1 | 2 |\n\n---\n\n[relative](other.md)\n")
    doc = d.check(markdown.document(source))
    kinds = [type(b).__name__ for b in doc.blocks]
    assert kinds == ["Heading", "Paragraph", "ListBlock", "Quote", "Preformatted", "Table", "ThematicBreak",
                     "Paragraph"]
    assert "*" not in doc.text and "`" not in doc.text and "#" not in doc.text and "|" not in doc.text
    assert doc.text.startswith("Title\n\nSome emphasis, strong, code and a link\nover two lines.")
    para = doc.blocks[1].inlines
    assert isinstance(para[1], d.Emphasis) and isinstance(para[3], d.Strong) and isinstance(para[5], d.Code)
    assert isinstance(para[7], d.Link) and para[7].href == "https://example.org"
    assert isinstance(para[8], d.LineBreak) and not para[8].hard  # a soft line end
    assert isinstance(doc.blocks[-1].inlines[0], d.Span)  # a relative link does not leave the edition
    assert doc.blocks[4].text == "pre  formatted"
    table = doc.blocks[5]
    assert table.align == ("left", "right") and len(table.head) == 1 and len(table.body) == 1
    for run in d.runs(doc):  # every offset right
        if not isinstance(run, d.LineBreak):
            assert doc.text[run.start:run.end] == run.text


# ---------------------------------------------------------------- HTML

def test_html_reader_drops_active_content_keeps_all_text_and_records_the_loss():
    source = ("<html><head><style>p{}</style></head><body><h2>Head</h2>Loose text"
              "<p>Para <b>bold</b><br>next <a href='javascript:x()'>bad</a> <a href='https://x.org'>ok</a></p>"
              "<script>steal()</script><ul><li>one<li><p>two</p></ul><table><tr><th>h</th><td>c</td></tr></table>"
              "<pre>a\n  b</pre></body></html>")
    doc = d.check(html.document(source))
    assert "steal" not in doc.text and "p{}" not in doc.text
    for word in ("Head", "Loose text", "Para", "bold", "next", "bad", "ok", "one", "two", "h", "c", "a\n  b"):
        assert word in doc.text
    assert {loss.what for loss in doc.losses} == {"<script> elements (active content)",
                                                  "<style> elements (active content)"}
    kinds = [type(b).__name__ for b in doc.blocks]
    assert kinds == ["Heading", "Paragraph", "Paragraph", "ListBlock", "Table", "Preformatted"]
    links = [n for b in doc.blocks for n in d.children(b) if isinstance(n, (d.Link, d.Span))]
    assert [type(n).__name__ for n in links] == ["Span", "Link"]  # javascript: is no link


# ---------------------------------------------------------------- passage notes on .md and .html, both editions

MD = "# A heading\n\nSome *emphasised* text in a Markdown source.\n\n- an item of a list\n- another item\n"
HTML = ("<h1>Page</h1><p>A paragraph of <em>HTML</em> with a passage to note.</p>"
        "<script>evil()</script><ul><li>first item</li><li>second item</li></ul>\n")


def small_corpus(root: Path) -> Path:
    from corpora import write_corpus

    write_corpus(root)
    (root / "sources" / "mdsource.md").write_text(MD, encoding="utf-8")
    (root / "sources" / "htmlsource.html").write_text(HTML, encoding="utf-8")
    (root / "sources" / "mdsource.notes.toml").write_text(
        '[[notes]]\nid = "emph"\nkind = "gloss"\nexact = "emphasised text"\nbody = "A note on Markdown."\n\n'
        '[[notes]]\nid = "item"\nkind = "sic"\nexact = "another item"\nbody = "A note on a list item."\n',
        encoding="utf-8")
    (root / "sources" / "htmlsource.notes.toml").write_text(
        '[[notes]]\nid = "pass"\nkind = "gloss"\nexact = "HTML with a passage"\nbody = "A note on HTML."\n',
        encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("doc")
    return build(small_corpus(root / "corpus"), root / "out")


def test_passage_notes_on_markdown_and_html_show_in_the_epub(built):
    epub = built.editions["epub"]
    assert epubcheck_problems(epub) == []
    with zipfile.ZipFile(epub) as z:
        for sid, passages, notes in (("mdsource", ["emphasised", " text", "another item"], 2),
                                     ("htmlsource", ["HTML", " with a passage"], 1)):
            root = etree.fromstring(z.read(f"EPUB/text/{sid}.xhtml"))
            shown = ["".join(s.itertext()) for s in root.iterfind(".//h:span[@class='passage']", NS)]
            assert shown == passages
            refs = root.findall(".//h:a[@role='doc-noteref']", NS)
            assert len(refs) == notes
            assert "evil" not in z.read(f"EPUB/text/{sid}.xhtml").decode()


def test_passage_notes_on_markdown_and_html_show_in_the_pdf(built):
    pdf = built.editions["pdf"]
    out = subprocess.run([tool("pdftotext"), "-raw", str(pdf), "-"], capture_output=True,
                                       text=True, check=True).stdout
    for body in ("A note on Markdown.", "A note on a list item.", "A note on HTML."):
        assert body in out
    assert "emphasised text" in out and "HTML with a passage" in out


def test_the_pdf_read_back_checks_markdown_and_html_text_too(built, tmp_path):
    """A word of an .md source missing from the PDF is damage the read-back finds (before: .txt only)."""
    from builder import verify_pdf

    archive = built.archive
    assert verify_pdf.findings(built.editions["pdf"], archive) == []
    changed = tmp_path / "mdsource.md"
    changed.write_text(MD.replace("another item", "another missing item"), encoding="utf-8")
    source = next(s for s in archive.sources if s.id == "mdsource")
    other = type(archive)(**{**archive.__dict__, "sources": tuple(
        type(s)(**{**s.__dict__, "path": changed}) if s is source else s for s in archive.sources)})
    found = verify_pdf.findings(built.editions["pdf"], other)
    assert any("mdsource" in str(f) and "missing" in str(f) for f in found), found


# ---------------------------------------------------------------- figures: images of a source in both editions

def png(width: int = 8, height: int = 8) -> bytes:
    """A small red PNG, made here."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_a_figure_of_a_document_shows_in_both_editions(tmp_path, monkeypatch):
    """A reader that gives images (page facsimiles, figures): the EPUB carries the image in its
    manifest with its alt text, the PDF a tagged figure with /Alt."""
    import pikepdf

    from builder import readers

    def with_figure(data, source=None):
        doc = markdown.read(data, source)
        return d.Document(doc.text, doc.blocks + (d.Figure(0, "A red square, the facsimile"),), kind="md",
                          images=(d.Image("page-1.png", "image/png", png()),))

    monkeypatch.setitem(readers.READERS, "md", with_figure)
    root = tmp_path / "corpus"
    built_ = build(small_corpus(root), tmp_path / "out")
    epub = built_.editions["epub"]
    assert epubcheck_problems(epub) == []
    with zipfile.ZipFile(epub) as z:
        assert z.read("EPUB/images/mdsource-1.png") == png()
        chapter = etree.fromstring(z.read("EPUB/text/mdsource.xhtml"))
        [img] = chapter.iterfind(".//h:figure/h:img", NS)
        assert img.get("src") == "../images/mdsource-1.png" and img.get("alt") == "A red square, the facsimile"
        assert b'href="images/mdsource-1.png" media-type="image/png"' in z.read("EPUB/package.opf")
    with pikepdf.open(built_.editions["pdf"]) as pdf:
        alts = []

        def walk(node):
            if isinstance(node, pikepdf.Dictionary):
                if node.get("/S") == pikepdf.Name.Figure and "/Alt" in node:
                    alts.append(str(node.Alt))
                kids = node.get("/K")
                for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
                    walk(kid)

        walk(pdf.Root.StructTreeRoot)
        assert "A red square, the facsimile" in alts
        assert any("/Image" in str(x.get("/Subtype", "")) for page in pdf.pages
                   for x in page.get_images().values())


def test_a_right_to_left_document_is_set_right_to_left_in_both_editions(tmp_path, monkeypatch):
    """Document.direction: the EPUB's source text gets dir="rtl", the PDF sets it right to left,
    and both read back whole."""
    from corpora import ARABIC

    from builder import readers

    def rtl(data, source=None):
        doc = text.read(data, source)
        return d.Document(doc.text, doc.blocks, kind=doc.kind, plain=True,
                          direction="rtl" if source is not None and source.id == "arabic" else "ltr")

    monkeypatch.setitem(readers.READERS, "txt", rtl)
    built_ = build(small_corpus(tmp_path / "corpus"), tmp_path / "out")  # verified: read back whole
    assert epubcheck_problems(built_.editions["epub"]) == []
    with zipfile.ZipFile(built_.editions["epub"]) as z:
        div = etree.fromstring(z.read("EPUB/text/arabic.xhtml")).find(".//h:div[@id='arabic-text']", NS)
        assert div.get("dir") == "rtl"
        other = etree.fromstring(z.read("EPUB/text/letter.xhtml")).find(".//h:div[@id='letter-text']", NS)
        assert other.get("dir") is None
    out = subprocess.run([tool("pdftotext"), "-raw", str(built_.editions["pdf"]), "-"], capture_output=True,
                         text=True, check=True).stdout
    assert all(word in out for word in ARABIC.split()[-3:])

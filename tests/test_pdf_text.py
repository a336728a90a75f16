"""The PDF's text copies exactly (issue 14): every line of every source, read back by pdftotext
(plain and -raw) and PDFium, is the line as received (white space inside it aside), with no note
number fused into a word; the read-backs are strict (nothing inserted inside a source's text) and
the old output, with its markers typeset as digits, fails them. Also the layout of a source's
pages: summary first, each fact once on the provenance page, running heads that fit.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from conftest import CORPUS, need, tool

from builder import anchor, characters, corpus, typography, verify, verify_pdf
from builder.check import check
from builder.check.pdf_text import pdf_text_findings
from builder.writers.layout import Segment
from builder.writers import pdf as pdf_writer


def squeeze_ws(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text.replace("\u200b", "")).split())


def pages_pdftotext(path: Path, *args: str) -> list[str]:
    out = subprocess.run([tool("pdftotext"), *args, "-enc", "UTF-8", str(path), "-"],
                         capture_output=True, check=True).stdout.decode()
    return out.split("\f")[:-1]


def pages_pdfium(path: Path) -> list[str]:
    pdfium = pytest.importorskip("pypdfium2")
    doc = pdfium.PdfDocument(str(path))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def source_lines(archive) -> dict[str, list[str]]:
    """Each plain-text source's shown lines (white space squeezed), as the editions show them."""
    out = {}
    for s in archive.sources:
        reading, plain = verify.expected(s)
        if plain:
            out[s.id] = [squeeze_ws(line) for line in characters.shown(reading).splitlines() if line.strip()]
    return out


def missing_lines(lines: list[str], pages: list[str], across_pages: bool = False) -> list[str]:
    """The lines not found whole on one page (with across_pages, nor cut once across a page
    break), white space left out (a line wrapped after its own hyphen reads "anti- Semitism":
    white space only). The edition keeps each line of a source on one page (edition.typ)."""
    flat = ["".join(squeeze_ws(p).split()) for p in pages]
    missing = []
    for line in lines:
        want = "".join(line.split())
        if any(want in p for p in flat):
            continue
        if not across_pages or not any(want[:c] in a and want[c:] in b for c in range(1, len(want)) for a, b in zip(flat, flat[1:])):
            missing.append(line)
    return missing


@pytest.fixture(scope="module")
def default_pdf(default_build) -> Path:
    return default_build.editions["pdf"]


@pytest.fixture(scope="module")
def default_archive():
    return corpus.load(CORPUS)


@pytest.mark.parametrize("reader", ["pdftotext", "pdftotext -raw", "pdfium"])
def test_every_line_of_every_source_is_exact_in_the_pdf_text(default_pdf, default_archive, reader):
    pages = pages_pdfium(default_pdf) if reader == "pdfium" else pages_pdftotext(default_pdf, *reader.split()[1:])
    lines = source_lines(default_archive)
    assert sum(len(v) for v in lines.values()) > 50
    for source_id, want in lines.items():
        assert missing_lines(want, pages) == [], f"{reader}: {source_id}"


def test_the_issue_examples_read_as_written(default_pdf):
    text = squeeze_ws(" ".join(pages_pdftotext(default_pdf, "-raw")))
    for phrase in ("from October 2016, failed to meet", "Luciana Berger's decision",
                   "Berger and the Jewish Labour Movement in 2016 –"):
        assert phrase in text
    assert "October 20169" not in text and "in 201618" not in text


def test_the_strict_check_passes_the_edition(default_pdf, default_archive):
    pages = need(verify_pdf.extract_pages, default_pdf, len(pages_pdftotext(default_pdf, "-raw")))
    assert pdf_text_findings(pages, default_archive) == []
    assert verify_pdf.findings(default_pdf, default_archive) == []


# -- the old output (markers typeset as digits in the text) fails the strict read-backs ---------

def test_markers_typeset_as_digits_fail_both_read_backs(corpus_copy, tmp_path):
    """The edition as it was made before: the note marker as superscript digits, which every
    extractor fuses into the word before it ("October 20169")."""
    template = (pdf_writer.templating.packaged_templates() / "pdf" / "edition.typ").read_text()
    old = re.sub(r"(?m)^#let marker\(n\) = .*$", "#let marker(n) = super(str(n))", template)
    assert old != template
    own = corpus_copy / "templates" / "pdf"
    own.mkdir(parents=True)
    (own / "edition.typ").write_text(old, encoding="utf-8")
    archive, anchors = anchor.anchor(corpus.load(corpus_copy))
    path = pdf_writer.write(archive, anchors, tmp_path / "old.pdf")
    raw = " ".join(pages_pdftotext(path, "-raw"))
    assert re.search(r"October 2016,?\d", raw), "the old output fuses a marker into a word"
    report = check([path], epubcheck=False)
    assert report.exit_code == 1
    assert any("the pages' text differs from the source" in str(f) for f in report.findings), report.text()
    assert any("not whole" in f.message for f in verify_pdf.findings(path, archive))


# -- the strict check, on text -----------------------------------------------------------------

def _archive(text: str, tmp_path: Path):
    """One plain-text source holding text, as an archive (what `archive check` rebuilds)."""
    from builder.check.records import rebuilt_archive, rebuilt_source
    path = tmp_path / "s.txt"
    path.write_text(text, encoding="utf-8")
    return rebuilt_archive([rebuilt_source("s", path, "0" * 64)])


SOURCE = "They met in 2016 and again in 2017.\nThe JC understands that she left."


def test_strict_check_passes_the_text_as_received(tmp_path):
    assert pdf_text_findings(["head 1\n" + SOURCE + "\n1 A note."], _archive(SOURCE, tmp_path)) == []


@pytest.mark.parametrize("inserted", ["in 20161 and", "in 20161213 and", "in 2016- and", "in 2016 12 and"])
def test_strict_check_refuses_anything_inserted_inside_the_text(inserted, tmp_path):
    """A marker's digits fused into a word, two markers after one character ("1213", once read
    as one number and passed), a hyphen, a number set apart: all are damage now."""
    page = SOURCE.replace("in 2016 and", inserted)
    findings = pdf_text_findings([page], _archive(SOURCE, tmp_path))
    assert findings and "differs from the source" in findings[0].message


def test_strict_check_passes_a_page_break_with_notes_and_a_running_head(tmp_path):
    cut = SOURCE.index("again")
    pages = [SOURCE[:cut] + "\n1 A note.\n2", "again the running head 3\n" + SOURCE[cut:]]
    assert pdf_text_findings(pages, _archive(SOURCE, tmp_path)) == []


def test_strict_check_refuses_text_inserted_mid_page_after_a_page_break(tmp_path):
    cut = SOURCE.index("again")
    pages = [SOURCE[:cut], "head 3\n" + SOURCE[cut:].replace("2017", "2017 9")]
    assert pdf_text_findings(pages, _archive(SOURCE, tmp_path))


# -- where the markers go, and the editor's typography ------------------------------------------

def test_a_marker_moves_to_the_end_of_its_word():
    line = [Segment("Luciana Berger", marks=(4,), refs=(4,), at=0), Segment("'s decision", at=14)]
    out = pdf_writer.refs_at_word_end(line)
    assert [(s.text, s.refs) for s in out] == [("Luciana Berger", ()), ("'s", (4,)), (" decision", ())]
    assert "".join(s.text for s in out) == "Luciana Berger's decision"
    assert out[2].at == 16


def test_two_markers_on_one_word_keep_their_order():
    line = [Segment("2016", refs=(8,)), Segment(",", refs=(9,), at=4), Segment(" and", at=5)]
    out = pdf_writer.refs_at_word_end(line)
    assert [(s.text, s.refs) for s in out] == [("2016", ()), (",", (8, 9)), (" and", ())]


def test_editorial_typography_leaves_quotations_exact():
    said = typography.editorial('The report\'s words ("party - amid", "Berger\'s") - as received.')
    assert said == "The report\u2019s words (\u201cparty - amid\u201d, \u201cBerger's\u201d) \u2013 as received."


def test_a_running_head_is_cut_at_a_word_with_its_bracket_closed():
    head = typography.short_title("[News report on Dawn Butler's and Naz Shah's contacts with Luciana Berger]", 46)
    assert len(head) <= 46 and head.endswith("…]") and head.count("[") == head.count("]")
    assert "Shah's" in head or head.split()[-2] in "[News report on Dawn Butler's and Naz Shah's".split()


# -- the layout of a source's pages, read back --------------------------------------------------

def test_summary_before_the_text_and_provenance_after(default_pdf, default_archive):
    text = squeeze_ws(" ".join(pages_pdftotext(default_pdf, "-raw")))
    for s in default_archive.sources:
        if not s.provenance.summary:
            continue
        first_line = source_lines(default_archive)[s.id][0]
        summary = text.find(squeeze_ws(typography.editorial(s.provenance.summary))[:60])
        body = text.find(first_line, summary)
        provenance = text.find("Provenance and condition", body)
        assert 0 <= summary < body < provenance, s.id


def test_each_fact_once_on_a_provenance_page(default_pdf):
    # each page without its first line (the running head and folio), so a fact cut by a page break reads whole
    text = squeeze_ws(" ".join(p.split("\n", 1)[-1] for p in pages_pdftotext(default_pdf, "-raw")))
    evidence = typography.editorial('Named in the first line: "Joint statement by Labour Against the Witchhunt')
    assert text.count(squeeze_ws(evidence)) == 1  # four authors, one evidence
    sha = "75eb2d0a364dd8b40fa13773970380164447a143b2c7971140ea7e609546df9e"
    assert re.sub(r"\s", "", text).count(sha) == 2  # its provenance page and the colophon


def test_running_heads_close_their_brackets(default_pdf):
    heads = [p.split("\n", 1)[0] for p in pages_pdftotext(default_pdf, "-raw") if p.strip()]
    assert any("…" in h for h in heads), "a long title is shortened somewhere"
    for h in heads:
        assert h.count("[") == h.count("]"), h


def test_strict_check_passes_a_running_head_that_begins_like_the_source(tmp_path):
    """The joint statement's case: a page ends "...become the", the next page's running head
    reads "why you should not...", and the text goes on "way to define": the match must go back
    to the page's start rather than follow "w" into the head."""
    cut = SOURCE.index("she left")
    pages = [SOURCE[:cut], "she left the edition 3\n" + SOURCE[cut:]]
    assert pdf_text_findings(pages, _archive(SOURCE, tmp_path)) == []

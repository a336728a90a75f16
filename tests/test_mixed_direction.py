"""Right-to-left lines inside a left-to-right text, and the reverse (builder/bidi.py): each line of
a plain-text source is set in its own direction (its first strong character, UAX #9 P2-P3) in
both editions, and the PDF's read-back (the build's and `archive check`'s) reads every character
of it back, in order, strictly."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import epubcheck_problems, tool
from lxml import etree
from test_characters import corpus_of

from builder import bidi, document, readers, verify, verify_pdf
from builder.build import build
from builder.check import check
from builder.check.pdf_text import pdf_text_findings
from builder.readers import text as text_reader

NS = {"h": "http://www.w3.org/1999/xhtml"}

HEBREW_LINE = "שלום לכולם, נתראה ביום חמישי."
SOURCES = {
    # the example: Greek lines, then a Hebrew line
    "greek": (".txt", f"Καλημέρα σε όλους.\nΘα τα πούμε την Πέμπτη.\n{HEBREW_LINE}\nΕυχαριστώ.\n"),
    # a Hebrew word or phrase inside Latin lines, digits after it (its order cannot be told from the
    # visual order alone: the read-back compares with the source's own rendering)
    "phrase": (".txt", "The greeting שלום עולם means peace to the world.\n"
                       "He wrote שלום 12 times, then stopped.\nA last line.\n"),
    # an Arabic line, with punctuation and digits, inside an English text
    "arabic": (".txt", "A statement in English.\nمرحبا بكم، العدد ١٢٣ و 456 هنا.\nEnd of the statement.\n"),
    # a Hebrew text (most of its page right to left) with a Latin line and digits in its lines
    "hebrew": (".txt", "".join(f"שורה מספר {n} בעברית, עם פסיק.\n" for n in range(1, 9))
                       + "A Latin line, in English.\nשנת 1948 ושנת 2024 (בסוגריים).\n"),
}


def rtl_documents(data, source=None):
    """The plain-text reader, with the Hebrew text's Document.direction "rtl" (as a reader that
    knows the document's direction says)."""
    doc = text_reader.read(data, source)
    rtl = source is not None and source.id == "hebrew"
    return document.Document(doc.text, doc.blocks, kind=doc.kind, plain=True, direction="rtl" if rtl else "ltr")


@pytest.fixture(scope="module", params=["ltr", "rtl"])
def built(request, tmp_path_factory):
    """Built (and so read back whole by the build) with every document left to right, and with the
    Hebrew text's document right to left."""
    root = tmp_path_factory.mktemp("mixed")
    with pytest.MonkeyPatch.context() as m:
        if request.param == "rtl":
            m.setitem(readers.READERS, "txt", rtl_documents)
        corpus = corpus_of(root / "corpus", SOURCES)
        yield corpus, build(corpus, root / "out")


def pages_of(pdf: Path) -> list[str]:
    out = subprocess.run([tool("pdftotext"), "-raw", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                         check=True).stdout.decode()
    return out.split("\f")[:-1]


# ---------------------------------------------------------------- the direction of a line

def test_a_line_takes_the_direction_of_its_first_strong_character():
    assert bidi.line_direction(HEBREW_LINE) == "rtl"
    assert bidi.line_direction("«١٢٣» مرحبا") == "rtl"
    assert bidi.line_direction("The greeting שלום") == "ltr"
    assert bidi.line_direction("12, 13.") == "ltr" and bidi.line_direction("12, 13.", "rtl") == "rtl"


@pytest.mark.parametrize("line, direction, shown", [
    (HEBREW_LINE, "rtl", HEBREW_LINE[::-1]),
    ("The greeting שלום עולם means", "ltr", "The greeting םלוע םולש means"),
    ("He wrote שלום 12 times", "ltr", "He wrote 12 םולש times"),
    ("שנת 1948 (בסוגריים).", "rtl", ".)םיירגוסב( 1948 תנש"),  # code points: mirroring (L4) is the glyphs' business
    ("A Latin line.", "rtl", ".A Latin line"),
])
def test_a_line_is_rendered_as_the_bidi_algorithm_says(line, direction, shown):
    assert bidi.rendered(line, 0, len(line), direction) == shown
    assert bidi.reorder(line, direction) == shown


def test_pdftotext_marks_are_taken_back_to_visual_order():
    # pdftotext on a left-to-right page: each right-to-left run of a word in reading order, marked
    assert bidi.visual(".\u202bחמישי\u202c \u202bשלום\u202c") == ".ישימח םולש"
    # on a right-to-left page: the word marked whole, its left-to-right runs marked inside it
    assert bidi.visual("\u202bשנת\u202a1948\u202c\u202c") == "1948תנש"


# ---------------------------------------------------------------- both editions

def test_the_build_reads_every_character_back_and_archive_check_accepts_it(built):
    corpus, b = built
    assert verify_pdf.findings(b.editions["pdf"], b.archive) == []  # the build has already done so
    report = check([b.editions["pdf"].parent], corpus, epubcheck=False)
    assert report.exit_code == 0, report.text()
    alone = check([b.editions["pdf"]], epubcheck=False)  # the PDF read alone
    assert alone.exit_code == 0, alone.text()


def test_the_pdf_shows_each_line_in_its_own_direction(built):
    _, b = built
    text = "\n".join(pages_of(b.editions["pdf"]))
    lines = [line for line in text.splitlines() if "חמישי" in line]
    assert len(lines) == 1
    seen = bidi.visual(lines[0])
    assert seen.startswith(".") and seen.replace(" ", "") == HEBREW_LINE[::-1].replace(" ", "")  # the full stop at the left


def test_the_epub_marks_each_line_in_another_direction_and_is_valid(built):
    _, b = built
    epub = b.editions["epub"]
    assert epubcheck_problems(epub) == []
    rtl_doc = readers.read(next(s for s in b.archive.sources if s.id == "hebrew")).direction == "rtl"
    with zipfile.ZipFile(epub) as z:
        def spans(sid):
            page = etree.fromstring(z.read(f"EPUB/text/{sid}.xhtml"))
            return [("".join(s.itertext()), s.get("dir")) for s in page.iterfind(".//h:span[@dir]", NS)]
        assert spans("greek") == [(HEBREW_LINE, "rtl")]
        assert spans("phrase") == []  # a Hebrew phrase in a Latin line: the line is left to right
        assert spans("arabic") == [("مرحبا بكم، العدد ١٢٣ و 456 هنا.", "rtl")]
        if rtl_doc:
            assert spans("hebrew") == [("A Latin line, in English.", "ltr")]
        else:
            assert len(spans("hebrew")) == 9 and {d for _, d in spans("hebrew")} == {"rtl"}
        assert verify.chapter_text(z.read("EPUB/text/greek.xhtml"), "greek-text").count(HEBREW_LINE) == 1


# ---------------------------------------------------------------- the read-back stays strict

def _damaged(pages: list[str], old: str, new: str) -> list[str]:
    joined = "\f".join(pages)
    assert joined.count(old) == 1, old
    return joined.replace(old, new).split("\f")


@pytest.mark.parametrize("old, new", [
    ("\u202bחמישי\u202c", "\u202bחמשי\u202c"),   # a letter missing
    ("\u202bחמישי\u202c", "\u202bחמיסי\u202c"),  # a letter changed
    (",\u202bלכולם\u202c", "\u202bלכולם\u202c"),  # the comma missing
    ("\u202bביום\u202c \u202bנתראה\u202c", "\u202bנתראה\u202c \u202bביום\u202c"),  # two words swapped
    ("12 times", "13 times"),  # a digit changed after a Hebrew word in a Latin line
    ("\u202bبكم\u202c", "\u202bبك\u202c"),  # an Arabic letter missing
])
def test_a_damaged_character_in_a_mixed_line_is_caught(built, old, new):
    _, b = built
    pages = pages_of(b.editions["pdf"])
    damaged = _damaged(pages, old, new)
    found = verify_pdf.read_back(b.editions["pdf"], b.archive, damaged).findings
    assert found and "not whole" in " ".join(f.message for f in found), found
    assert pdf_text_findings(damaged, b.archive), "archive check's reading missed it"


def test_a_right_to_left_line_set_left_to_right_is_caught(built):
    """The defect's own symptom: a Hebrew line set in a left-to-right paragraph shows its full stop
    at the right (pdftotext: the stop after the first word). The read-back refuses it."""
    _, b = built
    pages = pages_of(b.editions["pdf"])
    line = next(line for page in pages for line in page.splitlines() if "חמישי" in line)
    assert line.startswith(".")
    damaged = _damaged(pages, line, line[1:] + ".")
    found = verify_pdf.read_back(b.editions["pdf"], b.archive, damaged).findings
    assert any("greek" in f.where for f in found), found


def test_digits_after_a_right_to_left_word_are_read_against_the_source_rendering():
    """Read back from its visual order alone, "He wrote 12 םולש times" would be "... 12 שלום ...":
    digits after a Hebrew word in a Latin line look the same as digits before it. The read-back then
    compares the line with the source's own rendering (bidi.rendered), which must match exactly."""
    text = "He wrote שלום 12 times.\n"
    directions = verify_pdf.Directions(text, plain=True)
    assert verify_pdf.match_pages(text, [(0, "He wrote 12 \u202bשלום\u202c times.")], directions)[0] is None
    for damaged in ("He wrote 13 \u202bשלום\u202c times.", "He wrote 12 \u202bשלו\u202c times.",
                    "He wrote \u202bשלום\u202c 21 times."):
        problem, _ = verify_pdf.match_pages(text, [(0, damaged)], directions)
        assert problem and "not whole" in problem, damaged


def test_a_document_in_an_archive_of_a_right_to_left_language_is_read_back(tmp_path):
    """An archive whose language is Arabic: an HTML source in Arabic (no dir of its own) is set left
    to right, as the read-back reads it, not right to left by Typst's default for the language
    (which failed the build: "the text is not whole"); a plain-text Arabic letter beside it keeps
    each line in its own direction."""
    html = ("<html><head><title>مذكرة</title></head><body><h1>مذكرة داخلية</h1>"
            "<p>نص المذكرة: اجتماع اللجنة يوم الخميس.</p></body></html>")
    corpus = corpus_of(tmp_path / "corpus", {"memo": (".html", html),
                                             "letter": (".txt", "عزيزي أحمد،\n\nالاجتماع في القاهرة.\n")})
    toml = corpus / "archive.toml"
    toml.write_text(toml.read_text("utf-8").replace('language = "en"', 'language = "ar"'), "utf-8")
    built = build(corpus, tmp_path / "out")  # read back whole, or DamageFound
    report = check([tmp_path / "out"], corpus, epubcheck=False)
    assert report.exit_code == 0, report.text()
    assert epubcheck_problems(built.editions["epub"]) == []
    assert "اجتماع" in subprocess.run([tool("pdftotext"), "-raw", "-enc", "UTF-8", str(built.editions["pdf"]), "-"],
                                      capture_output=True, text=True, check=True).stdout

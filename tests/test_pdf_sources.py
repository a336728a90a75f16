"""PDF sources: the text layer, page by page, is the reading text; a PDF without one is a scan.
Added with `archive add`, built into both editions (EPUBCheck clean), the original carried byte for
byte (in the PDF edition as an attachment), the reading text read back whole, a passage note shown,
facsimile pages where the provenance asks for them."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tomllib
import zipfile

import pikepdf
import pytest
from conftest import IN_CI, epubcheck_problems, rewrite_zip, tool
from corpora import write_corpus
from scan_material import (LETTER_PAGES, SCAN_TEXT, add_sources, make_pdf, render_scan, save_scan, unique_word,
                           write_notes)

from builder import corpus as corpus_mod
from builder import pdftext, readers, verify, verify_pdf
from builder.build import build

pytestmark = pytest.mark.slow


def squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def pdf_corpus(tmp_path_factory):
    if shutil.which("tesseract") is None:
        (pytest.fail if IN_CI else pytest.skip)("tesseract is not installed (./run setup installs it)")
    root = write_corpus(tmp_path_factory.mktemp("pdfs") / "corpus")
    received = root.parent / "received"
    received.mkdir()
    letter = make_pdf(LETTER_PAGES, received / "Letter to the Secretary.PDF")
    scanned = save_scan([render_scan(SCAN_TEXT, noise=0.01)], received / "minutes-scanned.pdf")
    add_sources(root, [letter], "--id", "branch-letter", "--kind", "letter")
    add_sources(root, [scanned], "--id", "minutes")
    sidecar = root / "sources" / "branch-letter.toml"
    sidecar.write_text(sidecar.read_text(encoding="utf-8") + "\n[facsimile]\npages = [2]\n", encoding="utf-8")
    write_notes(root, "branch-letter", "second ballot", "Never held: the regional office did not reply.")
    minutes = (root / "sources" / "minutes.transcription.txt").read_text(encoding="utf-8")
    write_notes(root, "minutes", unique_word(minutes), "A word of the scanned minutes.")
    return root


@pytest.fixture(scope="module")
def pdf_build(pdf_corpus, tmp_path_factory):
    return build(pdf_corpus, tmp_path_factory.mktemp("pdfs-out"))


def source(built, sid):
    return next(s for s in built.archive.sources if s.id == sid)


def test_add_records_kind_media_type_and_hash(pdf_corpus):
    letter = pdf_corpus / "sources" / "branch-letter.pdf"
    provenance = tomllib.loads((pdf_corpus / "sources" / "branch-letter.toml").read_text(encoding="utf-8"))
    assert provenance["kind"] == "letter"
    assert provenance["received"]["format"] == "application/pdf"
    assert provenance["received"]["file_name"] == "Letter to the Secretary.PDF"
    assert provenance["received"]["sha256"] == hashlib.sha256(letter.read_bytes()).hexdigest()
    assert provenance["title"] == "Dear Secretary,"  # the text layer's first line, marked as supplied
    assert "transcription" not in provenance  # a text layer: no OCR
    assert not (pdf_corpus / "sources" / "branch-letter.transcription.txt").exists()
    scanned = tomllib.loads((pdf_corpus / "sources" / "minutes.toml").read_text(encoding="utf-8"))
    assert scanned["received"]["format"] == "application/pdf"
    assert scanned["transcription"]["engine"] == "tesseract"  # no text layer: a scan, transcribed on adding
    assert (pdf_corpus / "sources" / "minutes.transcription.txt").is_file()


def test_text_layer_is_the_reading_text_page_by_page(pdf_corpus):
    archive = corpus_mod.load(pdf_corpus)
    letter = next(s for s in archive.sources if s.id == "branch-letter")
    doc = readers.read(letter)
    assert doc.kind == "pdf" and len(doc.pages) == 2
    assert squeeze(doc.text) == squeeze(" ".join(LETTER_PAGES))  # every word, nothing else
    second = doc.text[doc.pages[1]:]
    assert second.startswith("We therefore ask") and "fourth of March" not in second
    layer = pdftext.read(letter.read_bytes())
    assert layer.has_text_layer and doc.pages == layer.page_starts
    scanned = readers.read(next(s for s in archive.sources if s.id == "minutes"))
    assert scanned.kind == "scan" and scanned.transcription.engine == "tesseract"


def test_a_damaged_or_encrypted_pdf_is_unreadable_not_a_crash(tmp_path):
    with pytest.raises(pdftext.PdfUnreadable):
        pdftext.read(b"%PDF-1.7\n this is not a PDF at all")
    with pytest.raises(pdftext.PdfUnreadable):
        pdftext.read(b"plain text")
    good = make_pdf(LETTER_PAGES[:1], tmp_path / "one.pdf")
    with pikepdf.open(good) as pdf:
        pdf.save(tmp_path / "locked.pdf", encryption=pikepdf.Encryption(owner="o", user="secret"))
    with pytest.raises(pdftext.PdfUnreadable):
        pdftext.read((tmp_path / "locked.pdf").read_bytes())


def test_epub_is_clean_and_carries_each_original_byte_for_byte(pdf_build):
    epub = pdf_build.editions["epub"]
    assert epubcheck_problems(epub) == []
    with zipfile.ZipFile(epub) as z:
        for sid in ("branch-letter", "minutes"):
            s = source(pdf_build, sid)
            assert z.read(f"EPUB/originals/{s.file_name}") == s.path.read_bytes()


def test_pdf_edition_attaches_each_original_byte_for_byte(pdf_build):
    with pikepdf.open(pdf_build.editions["pdf"]) as pdf:
        for sid in ("branch-letter", "minutes"):
            s = source(pdf_build, sid)
            spec = pdf.attachments[s.file_name]
            assert spec.get_file().read_bytes() == s.path.read_bytes()
            assert spec.obj.get("/AFRelationship") == pikepdf.Name.Source


def test_reading_text_reads_back_whole_from_both_editions(pdf_build):
    assert verify.epub_findings(pdf_build.editions["epub"], pdf_build.archive) == []
    assert verify_pdf.findings(pdf_build.editions["pdf"], pdf_build.archive) == []
    text = subprocess.run([tool("pdftotext"), "-raw", str(pdf_build.editions["pdf"]), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "regional office to examine the record" in " ".join(text.split())


def test_the_read_back_catches_a_word_of_a_pdf_source_dropped(pdf_build, tmp_path):
    epub = pdf_build.editions["epub"]
    damaged = rewrite_zip(epub, tmp_path / "damaged.epub", lambda name, data: data.replace(b"regional", b"")
                          if name == "EPUB/text/branch-letter.xhtml" else data)
    found = verify.epub_findings(damaged, pdf_build.archive)
    assert any("branch-letter" in f.where and "differs" in f.message for f in found), found


def test_a_passage_note_on_a_pdf_source_anchors_and_shows(pdf_build):
    with zipfile.ZipFile(pdf_build.editions["epub"]) as z:
        chapter = z.read("EPUB/text/branch-letter.xhtml").decode("utf-8")
        minutes = z.read("EPUB/text/minutes.xhtml").decode("utf-8")
    assert re.search(r'second ballot</span><a class="noteref"|second ballot.{0,200}noteref', chapter, re.S)
    assert "Never held: the regional office did not reply." in chapter
    assert "(page 2 of the original)" in chapter  # the note names the original's page
    assert "A word of the scanned minutes." in minutes
    text = subprocess.run([tool("pdftotext"), "-raw", str(pdf_build.editions["pdf"]), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Never held: the regional office did not reply." in " ".join(text.split())
    assert "(page 2 of the original)" in " ".join(text.split())


def test_facsimile_pages_where_the_provenance_asks(pdf_build):
    with zipfile.ZipFile(pdf_build.editions["epub"]) as z:
        letter = z.read("EPUB/text/branch-letter.xhtml").decode("utf-8")
        minutes = z.read("EPUB/text/minutes.xhtml").decode("utf-8")
        names = z.namelist()
    assert letter.count("<img ") == 1 and 'alt="Page 2 of 2 of the PDF' in letter  # page 2 only, as asked
    assert minutes.count("<img ") == 1  # a scan: every page by default
    src = re.search(r'<img src="\.\./([^"]+)"', letter).group(1)
    assert f"EPUB/{src}" in names and src.endswith(".png")
    assert all(re.search(r'alt="Page \d of \d', img) for img in re.findall(r"<img [^>]+>", letter + minutes))
    assert "machine transcription" in minutes and "machine transcription" not in letter
    with pikepdf.open(pdf_build.editions["pdf"]) as pdf:
        alts = figure_alts(pdf.Root.StructTreeRoot)
    assert len(alts) == 2 and all(alt.startswith("Page 1 of 1") or alt.startswith("Page 2 of 2") for alt in alts)


def figure_alts(node) -> list[str]:
    """The /Alt of every /Figure in a PDF's structure tree."""
    found = []
    if isinstance(node, pikepdf.Dictionary):
        if node.get("/S") == pikepdf.Name.Figure:
            found.append(str(node.get("/Alt", "")))
        kids = node.get("/K")
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
            found += figure_alts(kid)
    return found

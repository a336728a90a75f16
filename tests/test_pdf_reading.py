"""The copy of a PDF the read-back gives pdftotext (builder/pdf_reading.py): the PDF's own bytes
with an incremental update whose catalogue has no /OutputIntents. The text it gives is the text
of the PDF page by page; the PDF is not changed; a PDF it cannot update is read as it is."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pikepdf
import pytest
import typst
from conftest import tool

from builder import pdf_reading, verify_pdf

DOC = """#set page(width: 120mm, height: 90mm)
#set text(font: "Libertinus Serif")
#set document(title: "Reading copy")
#for k in range(6) [
  = Page #(k + 1)
  Eine Zeile, une ligne, a line: «#k» — ῥόδον, ﬁne. #text(fill: rgb("#7a1f1f"))[In colour.]
  #pagebreak(weak: true)
]
"""


def made(tmp_path: Path) -> Path:
    src = tmp_path / "doc.typ"
    src.write_text(DOC, encoding="utf-8")
    out = tmp_path / "doc.pdf"
    typst.compile(str(src), output=str(out), format="pdf", pdf_standards=["a-3a"], ignore_system_fonts=True)
    return out


def texts(path: Path) -> list[str]:
    out = subprocess.run([tool("pdftotext"), "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8").split("\f")[:-1]


def test_the_copy_reads_as_the_pdf(tmp_path):
    pdf = made(tmp_path)
    with pikepdf.open(pdf) as p:
        assert "/OutputIntents" in p.Root  # PDF/A: the output intent the copy leaves out
    before = hashlib.sha256(pdf.read_bytes()).hexdigest()
    copy = tmp_path / "copy.pdf"
    assert pdf_reading.without_output_intents(pdf, copy)
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == before  # the PDF itself untouched
    assert copy.read_bytes().startswith(pdf.read_bytes())  # its bytes, then the update
    with pikepdf.open(copy) as p:
        assert "/OutputIntents" not in p.Root and "/StructTreeRoot" in p.Root and len(p.pages) == 6
    check = subprocess.run([tool("qpdf"), "--check", str(copy)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert texts(copy) == texts(pdf) and len(texts(pdf)) == 6 and "ῥόδον" in texts(pdf)[2]
    assert verify_pdf.extract_pages(pdf, 6) == texts(pdf)  # the read-back reads the copy


def test_a_part_read_in_pieces_reads_as_read_whole(tmp_path):
    """A part read while no other is (a rebuild's one part) is read by a pdftotext a piece, at once:
    the same pages' text as one pdftotext reading them all; a piece that fails fails the whole."""
    import shutil

    from builder.writers import pdf_part_text
    pdf = made(tmp_path)
    reader = pdf_part_text.PartReader(tmp_path / "reading")
    whole = texts(pdf)
    for ways in (1, 2, 3, 6):
        copy = tmp_path / f"copy-{ways}.pdf"
        shutil.copyfile(pdf, copy)
        assert reader._read(copy, 1, 6, ways) == whole
        assert not copy.exists()  # the copy removed once read
        shutil.copyfile(pdf, copy)
        assert reader._read(copy, 2, 4, ways) == whole[1:5]
    copy = tmp_path / "copy.pdf"
    shutil.copyfile(pdf, copy)
    assert reader._read(copy, 1, 7, 2) is None  # a page past the end: pdftotext fails on the second piece
    reader.finish()


def test_what_cannot_be_updated_is_read_as_it_is(tmp_path):
    pdf = made(tmp_path)
    streams = tmp_path / "streams.pdf"  # a cross-reference stream: not updated
    with pikepdf.open(pdf) as p:
        p.save(streams, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    plain = tmp_path / "plain.pdf"  # no output intent: nothing to leave out
    with pikepdf.open(pdf) as p:
        del p.Root["/OutputIntents"]
        p.save(plain, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    for path in (streams, plain):
        assert not pdf_reading.without_output_intents(path, tmp_path / "copy.pdf")
        assert not (tmp_path / "copy.pdf").exists()
        with pdf_reading.to_read(path, tmp_path) as read:
            assert read == path
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(pdf.read_bytes()[:-300])
    assert not pdf_reading.without_output_intents(damaged, tmp_path / "copy.pdf")


# ---------------------------------------------------------------- a book in parts: each part read as it is made

def parts_build(corpus: Path, out: Path, monkeypatch, workers: int = 2):
    from builder.build import build
    from builder.writers import pdf_parts
    monkeypatch.setattr(pdf_parts, "PART_PAGES", 12)  # the default archive in several parts
    monkeypatch.setattr(pdf_parts, "WORKERS", workers)
    return build(corpus, out, ("pdf",))


def test_each_part_is_read_from_its_own_pdf_and_gives_the_books_text(corpus_copy, tmp_path, monkeypatch):
    from builder.writers import pdf_part_text
    read, given = [], {}
    real_read, real_texts = pdf_part_text.PartReader._read, pdf_part_text.page_texts

    def spied_read(self, copy, first, n, ways=1):
        read.append(copy.name)
        return real_read(self, copy, first, n, ways)

    def spied_texts(path, store=None):
        given["pages"] = real_texts(path, store)
        return given["pages"]

    monkeypatch.setattr(pdf_part_text.PartReader, "_read", spied_read)
    monkeypatch.setattr(pdf_part_text, "page_texts", spied_texts)
    built = parts_build(corpus_copy, tmp_path / "out", monkeypatch)
    book = built.editions["pdf"]
    with pikepdf.open(book) as p:
        assert len(read) >= 4 and len(given["pages"]) == len(p.pages)  # front, sources' parts, back
    assert given["pages"] == texts(book)  # page by page, the text pdftotext reads in the book


def test_a_wrong_text_read_from_a_part_is_found(corpus_copy, tmp_path, monkeypatch):
    from builder.errors import DamageFound
    from builder.writers import pdf_part_text
    real_read = pdf_part_text.PartReader._read

    def dropping(self, copy, first, n, ways=1):  # every "e" of every part's text lost
        pages = real_read(self, copy, first, n, ways)
        return [page.replace("e", "") for page in pages] if pages else pages

    monkeypatch.setattr(pdf_part_text.PartReader, "_read", dropping)
    with pytest.raises(DamageFound):
        parts_build(corpus_copy, tmp_path / "out", monkeypatch)


def test_a_part_that_could_not_be_read_is_read_from_the_book(corpus_copy, tmp_path, monkeypatch):
    from builder.writers import pdf_part_text
    monkeypatch.setattr(pdf_part_text.PartReader, "_read", lambda self, copy, first, n, ways=1: None)
    built = parts_build(corpus_copy, tmp_path / "out", monkeypatch, workers=1)
    assert built.editions["pdf"].is_file()

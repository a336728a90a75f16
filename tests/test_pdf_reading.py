"""The copy of a PDF the read-back gives pdftotext (builder/pdf_reading.py): the PDF's own bytes
with an incremental update whose catalogue has no /OutputIntents. The text it gives is the text
of the PDF page by page; the PDF is not changed; a PDF it cannot update is read as it is."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pikepdf
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

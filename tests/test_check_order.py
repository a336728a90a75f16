"""`archive check` on a PDF alone reads the sources in the book's order, not in the attachments'.

The PDF's /AF array lists the attached originals by file name; a corpus whose order is not
alphabetical must still check clean, and a PDF whose sources really are out of order must not.
"""

from __future__ import annotations

import pikepdf
from corpora import write_corpus

from builder.build import build
from builder.check import check


def test_a_pdf_in_a_non_alphabetical_order_checks_clean_on_its_own(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    pdf = build(corpus, tmp_path / "out", formats=("pdf",)).editions["pdf"]
    with pikepdf.open(pdf) as doc:
        names = [str(s.get("/UF", s.get("/F"))) for s in doc.Root.AF]
    sources = [n for n in names if not n.endswith(".jsonld")]
    assert sources == sorted(sources) and sources[0] != "letter.txt"  # /AF is by name; the book starts with the letter
    report = check([pdf], epubcheck=False)
    assert report.exit_code == 0, report.text()

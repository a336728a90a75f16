"""Issue 12's whole promise, in one corpus: a Windows-1252 letter, a UTF-16 file, a Big5 text,
an email with an attachment, a born-digital PDF, a scanned page, a Markdown and an HTML source,
each added with `archive add` (kind found from the content) and each with a passage note, build
into both editions and a deposit: EPUBCheck and Ace clean, every original carried byte for byte,
`archive check` against the corpus finding every reading text whole in both editions.

Everything is made by the test (tests/receiving.py, tests/scan_material.py); nothing is read from
outside the repository.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile

import bagit
import pikepdf
import pytest
from conftest import IN_CI, epubcheck_problems, need
from receiving import kinds_corpus
from scan_material import LETTER_PAGES, SCAN_TEXT, add_sources, make_pdf, render_scan, save_scan, unique_word, write_notes

from builder import corpus, readers, validators
from builder.build import build
from builder.check import check
from builder.deposit import deposit

pytestmark = pytest.mark.slow

MARKDOWN = "# Branch notice\n\nThe *branch* meeting moves to the Corn Exchange on Thursday.\n"
HTML = "<html><body><h1>Circular</h1><p>Members are asked to bring their <em>membership</em> cards.</p></body></html>\n"


@pytest.fixture(scope="module")
def every_kind(tmp_path_factory):
    if shutil.which("tesseract") is None and not IN_CI:
        pytest.skip("tesseract is not installed (./run installs it)")
    root = tmp_path_factory.mktemp("every-kind")
    received = root / "received"
    files = kinds_corpus(root / "corpus", received)  # Windows-1252, UTF-16, Big5, an email and its attachment
    more = root / "more"
    more.mkdir()
    make_pdf(LETTER_PAGES, more / "born-digital.pdf")
    save_scan([render_scan(SCAN_TEXT)], more / "scanned-page.png")
    (more / "branch-notice.md").write_text(MARKDOWN, encoding="utf-8")
    (more / "circular.html").write_text(HTML, encoding="utf-8")
    added = sorted(more.iterdir())
    add_sources(root / "corpus", added)  # OCR runs here, once, for the scan
    for path in added:
        files[path.name] = (path.read_bytes(), "")
    archive = corpus.load(root / "corpus")
    for source in archive.sources:
        if not (root / "corpus" / "sources" / f"{source.id}.notes.toml").exists():
            text, _ = readers.reading_text(source)
            write_notes(root / "corpus", source.id, unique_word(text, 6), f"A passage of {source.id}.")
    archive = corpus.load(root / "corpus")
    built = build(root / "corpus", root / "output")
    return root, archive, built, files


def test_every_kind_is_recorded_as_received(every_kind):
    _, archive, _, files = every_kind
    kinds = {s.format for s in archive.sources}
    assert {"txt", "eml", "pdf", "png", "md", "html"} <= kinds, kinds
    assert len(archive.sources) == 9
    for s in archive.sources:
        data = files[s.provenance.received_file_name][0]
        assert s.read_bytes() == data
        assert hashlib.sha256(data).hexdigest() == s.provenance.received_sha256 == s.sha256
    encodings = {s.id: s.provenance.received_encoding for s in archive.sources
                 if getattr(s.provenance, "received_encoding", "")}
    assert {"windows-1252", "utf-16", "big5"} <= {e.lower() for e in encodings.values()}, encodings


def test_every_source_has_a_placed_passage_note(every_kind):
    root, archive, built, _ = every_kind
    from builder import anchor

    _, anchors = anchor.anchor(archive)
    for s in archive.sources:
        placed = anchors.get(s.id, [])
        assert placed and all(a.end > a.start for a in placed), s.id


def test_epub_is_epubcheck_and_ace_clean(every_kind, tmp_path):
    _, _, built, _ = every_kind
    assert epubcheck_problems(built.editions["epub"]) == []
    assert [str(m) for m in need(validators.ace, built.editions["epub"], tmp_path)] == []


def test_originals_carried_byte_for_byte_in_both_editions(every_kind):
    _, archive, built, _ = every_kind
    with zipfile.ZipFile(built.editions["epub"]) as z:
        for s in archive.sources:
            assert z.read(f"EPUB/originals/{s.file_name}") == s.read_bytes(), s.id
    with pikepdf.open(built.editions["pdf"]) as pdf:
        attached = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
    for s in archive.sources:
        assert attached[s.file_name] == s.read_bytes(), s.id


def test_check_against_the_corpus_finds_every_reading_text_whole(every_kind):
    root, archive, built, _ = every_kind
    report = check(list(built.editions.values()), corpus_dir=root / "corpus", epubcheck=False)
    assert report.exit_code == 0, report.text()
    assert f"{len(archive.sources)} sources whole and in order" in report.text()


def test_a_deposit_of_every_kind_is_a_valid_bag(every_kind):
    root, archive, _, _ = every_kind
    made = deposit(root / "corpus", root / "deposit-out")
    bagit.Bag(str(made.bag)).validate()
    carried = {p.name for p in (made.bag / "data").rglob("*") if p.is_file()}
    assert {s.file_name for s in archive.sources} <= carried

"""A corpus of received kinds (texts in Windows-1252, UTF-16 and Big5; an email with an
attachment), added with `archive add`, builds both editions: EPUBCheck clean, every original
carried byte for byte, every reading text whole, a passage note on each."""

from __future__ import annotations

import hashlib
import re
import subprocess
import zipfile

import pikepdf
import pytest
from conftest import epubcheck_problems, need, tool
from receiving import NOTES, kinds_corpus

from builder import validators, verify
from builder.build import build

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kinds_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("kinds")
    files = kinds_corpus(root / "corpus", root / "received")
    return build(root / "corpus", root / "output"), files


def test_epubcheck_clean(kinds_build):
    built, _ = kinds_build
    assert epubcheck_problems(built.editions["epub"]) == []


def test_ace_clean(kinds_build, tmp_path):
    built, _ = kinds_build
    assert [str(m) for m in need(validators.ace, built.editions["epub"], tmp_path)] == []


def test_originals_carried_byte_for_byte(kinds_build):
    built, files = kinds_build
    sources = built.archive.sources
    with zipfile.ZipFile(built.editions["epub"]) as z:
        carried = {s.id: z.read(f"EPUB/originals/{s.file_name}") for s in sources}
    with pikepdf.open(built.editions["pdf"]) as pdf:
        attached = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
    for s in sources:
        received = files[s.provenance.received_file_name][0]
        assert carried[s.id] == received == s.read_bytes()
        assert attached[s.file_name] == received
        assert hashlib.sha256(received).hexdigest() == s.provenance.received_sha256


def reading_texts(built, files) -> dict[str, str]:
    """source id -> the text a reader must see, as the test made it (not as the code decodes it)."""
    return {s.id: files[s.provenance.received_file_name][1] for s in built.archive.sources}


def test_reading_text_whole_in_both_editions(kinds_build):
    built, files = kinds_build
    texts = reading_texts(built, files)
    with zipfile.ZipFile(built.editions["epub"]) as z:
        for s in built.archive.sources:
            shown = verify.chapter_text(z.read(f"EPUB/text/{s.id}.xhtml"), f"{s.id}-text")
            # plain text keeps its spaces; an email's header block and body are blocks, spaced by the writer
            same = verify.normalise if s.format == "txt" else (lambda t: "".join(t.split()))
            assert same(shown) == same(texts[s.id]), s.id
    raw = subprocess.run([tool("pdftotext"), "-raw", str(built.editions["pdf"]), "-"], capture_output=True,
                         text=True, check=True).stdout
    # note markers are superscript digits that pdftotext joins to the word before: digits left out
    compact = re.sub(r"[\s0-9]", "", raw)
    for s in built.archive.sources:
        for line in texts[s.id].splitlines():
            if line.strip():
                assert re.sub(r"[\s0-9]", "", line) in compact, (s.id, line)


def test_a_passage_note_on_each(kinds_build):
    built, _ = kinds_build
    with zipfile.ZipFile(built.editions["epub"]) as z:
        for sid, exact in NOTES.items():
            chapter = z.read(f"EPUB/text/{sid}.xhtml").decode("utf-8")
            assert f'aria-details="{sid}-note-1"' in chapter and f">{exact}</span>" in chapter.replace("&amp;", "&")
    raw = subprocess.run([tool("pdftotext"), "-raw", str(built.editions["pdf"]), "-"], capture_output=True,
                         text=True, check=True).stdout
    for sid in NOTES:
        assert f"The closing line of {sid}." in raw


def test_provenance_shows_encoding_and_links_both_ways(kinds_build):
    built, _ = kinds_build
    with zipfile.ZipFile(built.editions["epub"]) as z:
        page = {s.id: z.read(f"EPUB/text/{s.id}-provenance.xhtml").decode("utf-8") for s in built.archive.sources}
    assert "text in windows-1252 (charset-normalizer" in page["brief-1998"]
    assert "text in utf-16 (byte-order mark, confidence 1)" in page["export"]
    assert "text in big5 (charset-normalizer" in page["big5-letter"]
    assert 'Its attachments: <a href="minutes-minutes.xhtml">' in page["minutes"]
    assert 'Came attached to the email <a href="minutes.xhtml">Minutes of the meeting</a>' in page["minutes-minutes"]
    raw = subprocess.run([tool("pdftotext"), "-raw", str(built.editions["pdf"]), "-"], capture_output=True,
                         text=True, check=True).stdout
    compact = "".join(raw.split())
    for phrase in ("text in windows-1252 (charset-normalizer", "text in big5 (charset-normalizer",
                   "Came attached to the email Minutes of the meeting", "Its attachments: [Minutes of the meeting"):
        assert "".join(phrase.split()) in compact, phrase


def test_archive_check_finds_the_editions_whole(kinds_build):
    """`archive check` against the corpus: every kind read back as the build did."""
    from builder.check import check

    built, _ = kinds_build
    report = check(list(built.editions.values()), built.archive.root, epubcheck=False)
    assert report.exit_code == 0, report.text()


def test_archive_check_on_an_epub_alone_reads_every_kind(kinds_build):
    """Without the corpus, `archive check` reads the originals the EPUB carries: a text not
    UTF-8 in the encoding detected, an email by the email reader (it used to stop with a
    UnicodeDecodeError). The PDF alone is not checked here: builder/check/pdf.py takes its
    attachments' order (/AF, sorted by name) for the reading order, which this corpus's is not."""
    from builder.check import check

    built, _ = kinds_build
    report = check([built.editions["epub"]], epubcheck=False)
    assert report.exit_code == 0, report.text()


def test_a_changed_email_body_is_caught(kinds_build, tmp_path):
    """The read-back has teeth for an email: a word dropped from its chapter is damage."""
    from conftest import rewrite_zip

    from builder.check import check

    built, _ = kinds_build
    bad = rewrite_zip(built.editions["epub"], tmp_path / "bad.epub",
                      lambda n, d: d.replace(b"those present", b"those") if n == "EPUB/text/minutes.xhtml" else d)
    report = check([bad], built.archive.root, epubcheck=False)
    assert report.exit_code == 1 and "minutes.xhtml" in report.text(), report.text()

"""Scans (PNG, JPEG, a TIFF of two pages) in both editions: the facsimile and the transcription
together, said plainly to be a machine transcription; EPUBCheck and Ace clean; each original byte
for byte; the transcription read back whole; a passage note shown; builds never run OCR; what is
wrong with a scan in the corpus reported, every problem in one run."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tomllib
import zipfile

import pikepdf
import pytest
from conftest import IN_CI, epubcheck_problems, need, tool
from corpora import write_corpus
from scan_material import SCAN_TEXT, add_sources, render_scan, save_scan, unique_word, write_notes
from test_pdf_sources import figure_alts

from builder import corpus as corpus_mod
from builder import deposit
from builder import transcription, validators, verify, verify_pdf
from builder.build import build
from builder.errors import CorpusError

pytestmark = pytest.mark.slow
SCANS = {"minutes-png": ".png", "minutes-jpeg": ".jpg", "minutes-tiff": ".tif"}


@pytest.fixture(scope="module")
def scan_corpus(tmp_path_factory):
    if shutil.which("tesseract") is None:
        (pytest.fail if IN_CI else pytest.skip)("tesseract is not installed (./run setup installs it)")
    root = write_corpus(tmp_path_factory.mktemp("scans") / "corpus")
    received = root.parent / "received"
    received.mkdir()
    cut = SCAN_TEXT.index(". ", 200) + 2
    files = [save_scan([render_scan(SCAN_TEXT, noise=0.01, seed=4)], received / "Minutes 1987.png"),
             save_scan([render_scan(SCAN_TEXT, noise=0.01, seed=5)], received / "minutes-jpeg.jpeg"),
             save_scan([render_scan(SCAN_TEXT[:cut], noise=0.01, seed=6),
                        render_scan(SCAN_TEXT[cut:], noise=0.01, seed=7)], received / "minutes-tiff.tiff")]
    add_sources(root, files[:1], "--id", "minutes-png", "--kind", "minutes")
    add_sources(root, files[1:])
    text = (root / "sources" / "minutes-png.transcription.txt").read_text(encoding="utf-8")
    write_notes(root, "minutes-png", unique_word(text), "A passage of the scanned minutes.")
    return root


@pytest.fixture(scope="module")
def scan_build(scan_corpus, tmp_path_factory):
    return build(scan_corpus, tmp_path_factory.mktemp("scans-out"))


def test_add_records_kind_media_type_hash_and_transcription(scan_corpus):
    for sid, suffix in SCANS.items():
        original = scan_corpus / "sources" / f"{sid}{suffix}"
        provenance = tomllib.loads((scan_corpus / "sources" / f"{sid}.toml").read_text(encoding="utf-8"))
        assert provenance["received"]["format"] == {".png": "image/png", ".jpg": "image/jpeg",
                                                    ".tif": "image/tiff"}[suffix]
        assert provenance["received"]["sha256"] == hashlib.sha256(original.read_bytes()).hexdigest()
        assert provenance["transcription"]["revised"] is False
        assert (scan_corpus / "sources" / f"{sid}.transcription.txt").is_file()
    assert tomllib.loads((scan_corpus / "sources" / "minutes-png.toml").read_text())["kind"] == "minutes"
    tiff = (scan_corpus / "sources" / "minutes-tiff.transcription.txt").read_text(encoding="utf-8")
    assert tiff.count("\f") == 1  # two pages


def test_epub_passes_epubcheck_and_ace(scan_build, tmp_path):
    epub = scan_build.editions["epub"]
    assert epubcheck_problems(epub) == []
    assert [str(m) for m in need(validators.ace, epub, tmp_path)] == []


def test_both_editions_carry_each_original_byte_for_byte(scan_build):
    with zipfile.ZipFile(scan_build.editions["epub"]) as z, pikepdf.open(scan_build.editions["pdf"]) as pdf:
        for sid, suffix in SCANS.items():
            original = next(s for s in scan_build.archive.sources if s.id == sid).path.read_bytes()
            assert z.read(f"EPUB/originals/{sid}{suffix}") == original
            assert pdf.attachments[f"{sid}{suffix}"].get_file().read_bytes() == original


def test_facsimile_and_transcription_together_said_plainly(scan_build):
    with zipfile.ZipFile(scan_build.editions["epub"]) as z:
        chapters = {sid: z.read(f"EPUB/text/{sid}.xhtml").decode("utf-8") for sid in SCANS}
    for sid, chapter in chapters.items():
        images = re.findall(r"<img [^>]+>", chapter)
        assert len(images) == (2 if sid == "minutes-tiff" else 1)
        assert all('alt="Page ' in img and "machine (OCR)" in img for img in images)
        assert "machine transcription of the scan" in chapter and "not been revised by an editor" in chapter
        figure = chapter.index("<img ")
        assert figure < chapter.index("<p>", figure)  # the page, then its text
    with pikepdf.open(scan_build.editions["pdf"]) as pdf:
        assert len(figure_alts(pdf.Root.StructTreeRoot)) == 4
    text = " ".join(subprocess.run([tool("pdftotext"), "-raw", str(scan_build.editions["pdf"]), "-"],
                                   capture_output=True, text=True, check=True).stdout.split())
    assert text.count("machine transcription of the scan") == 3
    assert "Figure 1" not in text  # tagged figures, but no "Figure N" label in the text


def test_transcription_reads_back_whole_from_both_editions(scan_build):
    assert verify.epub_findings(scan_build.editions["epub"], scan_build.archive) == []
    assert verify_pdf.findings(scan_build.editions["pdf"], scan_build.archive) == []


def test_the_read_back_catches_a_changed_transcription(scan_build, scan_corpus, tmp_path):
    """The editions are checked against the stored transcription: edit it after the build, and both
    read-backs see the difference."""
    copy = tmp_path / "corpus"
    shutil.copytree(scan_corpus, copy)
    stored = copy / "sources" / "minutes-jpeg.transcription.txt"
    stored.write_text(stored.read_text(encoding="utf-8") + "\nA line the editions do not have.\n", encoding="utf-8")
    archive = corpus_mod.load(copy)
    assert any("minutes-jpeg" in f.where for f in verify.epub_findings(scan_build.editions["epub"], archive))
    assert verify_pdf.findings(scan_build.editions["pdf"], archive)


def test_a_passage_note_on_a_scan_anchors_and_shows(scan_build):
    with zipfile.ZipFile(scan_build.editions["epub"]) as z:
        chapter = z.read("EPUB/text/minutes-png.xhtml").decode("utf-8")
    assert 'class="noteref"' in chapter and "A passage of the scanned minutes." in chapter
    text = subprocess.run([tool("pdftotext"), "-raw", str(scan_build.editions["pdf"]), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "A passage of the scanned minutes." in " ".join(text.split())


def test_a_build_never_runs_ocr(scan_corpus, tmp_path, monkeypatch):
    def no_ocr(*args, **kwargs):
        raise AssertionError("OCR ran during a build")
    monkeypatch.setattr(transcription, "ocr_page", no_ocr)
    monkeypatch.setattr(transcription, "transcribe", no_ocr)
    built = build(scan_corpus, tmp_path / "out", ("epub",))
    assert built.editions["epub"].is_file()


def test_what_is_wrong_with_scans_is_reported_at_once(scan_corpus, tmp_path):
    root = tmp_path / "corpus"
    shutil.copytree(scan_corpus, root)
    sources = root / "sources"
    (sources / "minutes-png.transcription.txt").unlink()  # C180
    tiff = sources / "minutes-tiff.transcription.txt"  # C182: one page transcribed of two
    tiff.write_text(tiff.read_text(encoding="utf-8").replace("\f", ""), encoding="utf-8")
    jpeg = sources / "minutes-jpeg.toml"  # C186 and C183
    text = jpeg.read_text(encoding="utf-8")
    jpeg.write_text(text[: text.index("[transcription]")] + "[facsimile]\npages = [1, 5]\n", encoding="utf-8")
    with pytest.raises(CorpusError) as e:
        corpus_mod.load(root)
    codes = sorted(p.code for p in e.value.problems)
    assert codes == ["C180", "C182", "C183", "C186"], [str(p) for p in e.value.problems]
    assert "archive transcribe minutes-png" in str(e.value)


def test_the_deposit_carries_scans_and_their_transcriptions(scan_corpus, tmp_path):
    import bagit

    root = tmp_path / "corpus"  # the scans alone
    shutil.copytree(scan_corpus, root)
    for path in (root / "sources").iterdir():
        if not path.name.startswith("minutes-"):
            path.unlink()
    order = (root / "archive.toml").read_text(encoding="utf-8")
    (root / "archive.toml").write_text(re.sub(r"\nsources = \[.*?\]\n", "\n", order, flags=re.S), encoding="utf-8")
    (root / "introduction.md").write_text("## Scope\n\nThree scans of the same minutes.\n", encoding="utf-8")
    made = deposit.deposit(root, tmp_path / "out")
    bag = bagit.Bag(str(made.bag))
    bag.validate()
    data = made.bag / "data"
    for sid, suffix in SCANS.items():
        assert (data / "sources" / f"{sid}{suffix}").read_bytes() == (root / "sources" / f"{sid}{suffix}").read_bytes()
        stored = f"{sid}.transcription.txt"
        assert (data / "transcriptions" / stored).read_bytes() == (scan_corpus / "sources" / stored).read_bytes()
        assert f"transcriptions/{stored}" in (data / "metadata" / "mets.xml").read_text(encoding="utf-8")


def test_archive_check_of_an_epub_with_scans_says_what_it_cannot_read_back(scan_build, scan_corpus):
    """An EPUB alone carries each scan, not its transcription: `archive check` checks the rest and
    says which scans' text it did not read back (it raised a fault before); with --corpus it reads
    them back too."""
    from builder.check import check as run_check

    epub = scan_build.editions["epub"]
    alone = run_check([epub])
    assert not alone.findings, alone.findings
    said = next(line for line in alone.passed if "not read back" in line)
    unread = said.split("not read back (", 1)[1].split(")", 1)[0].split(", ")
    assert sorted(unread) == sorted(SCANS)
    with_corpus = run_check([epub], corpus_dir=scan_corpus)
    assert not with_corpus.findings and "not read back" not in " ".join(with_corpus.passed)

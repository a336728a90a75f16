"""Scans: OCR made once and stored (`archive transcribe`), its record in the provenance, its quality
measured against known text (a loose floor only: the figures are in docs/scans.md)."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import IN_CI
from scan_material import LETTER_PAGES, SCAN_TEXT, make_pdf, render_scan, save_scan, typeset_scan

from builder import facsimile, transcription
from builder.cli import main

ACCURACY_FLOOR = 0.85  # far below what is measured (docs/scans.md): a floor against a broken pipeline


@pytest.fixture(autouse=True)
def tesseract():
    if shutil.which("tesseract") is None:
        if IN_CI:
            pytest.fail("tesseract is not installed (./run setup installs tesseract-ocr)")
        pytest.skip("tesseract is not installed")


def scan_corpus(tmp_path: Path, name: str, images: list) -> Path:
    """A minimal corpus folder holding one scan and its provenance."""
    root = tmp_path / "corpus"
    (root / "sources").mkdir(parents=True)
    (root / "archive.toml").write_text('title = "T"\n', encoding="utf-8")
    save_scan(images, root / "sources" / name)
    (root / "sources" / f"{Path(name).stem}.toml").write_text(
        '# the editor\'s comment\ntitle = "Minutes"\nkind = "minutes"\nlanguage = "en-GB"\n', encoding="utf-8")
    return root


def transcribe(root: Path, *args: str):
    return CliRunner().invoke(main, ["transcribe", *args, "--corpus", str(root)])


def test_character_accuracy_counts_edits():
    text = "abcdefghij" * 10
    assert transcription.character_accuracy(text, text) == 1.0
    assert transcription.character_accuracy(text, text[:50] + "X" + text[51:]) == pytest.approx(0.99)
    assert transcription.character_accuracy(text, text[:90]) == pytest.approx(0.90)
    assert transcription.character_accuracy("a  b\nc", "a b c") == 1.0


def test_noisy_skewed_scan_is_read_above_the_floor():
    image = render_scan(SCAN_TEXT, seed=7)
    result = transcription.transcribe(facsimile.edition_png(image, image.width), "image/png")
    accuracy = transcription.character_accuracy(SCAN_TEXT, result.file_text)
    assert accuracy >= ACCURACY_FLOOR, result.file_text
    assert 0 < result.mean_confidence <= 100
    assert result.engine_version[0].isdigit() and result.language == "eng"


def test_transcribe_stores_text_beside_the_original_and_records_how(tmp_path):
    root = scan_corpus(tmp_path, "minutes.png", [render_scan(SCAN_TEXT)])
    original = (root / "sources" / "minutes.png").read_bytes()
    result = transcribe(root, "minutes")
    assert result.exit_code == 0, result.output
    assert "page 1 of 1" in result.output  # progress is shown
    stored = (root / "sources" / "minutes.transcription.txt").read_text(encoding="utf-8")
    assert transcription.character_accuracy(SCAN_TEXT, stored) >= ACCURACY_FLOOR
    sidecar = (root / "sources" / "minutes.toml").read_text(encoding="utf-8")
    assert sidecar.startswith("# the editor's comment\n")  # the editor's file is kept as it was
    table = tomllib.loads(sidecar)["transcription"]
    assert table["engine"] == "tesseract" and table["engine_version"] == transcription.engine_version()
    assert table["language"] == "eng" and table["revised"] is False
    assert 0 < table["mean_confidence"] <= 100 and len(table["date"]) == 10
    assert (root / "sources" / "minutes.png").read_bytes() == original


def test_a_revised_transcription_is_kept_unless_forced(tmp_path):
    root = scan_corpus(tmp_path, "minutes.png", [render_scan(SCAN_TEXT)])
    assert transcribe(root, "minutes").exit_code == 0
    text_file, sidecar = root / "sources" / "minutes.transcription.txt", root / "sources" / "minutes.toml"
    text_file.write_text("Minutes of the General Meeting, as corrected by the editor.\n", encoding="utf-8")
    sidecar.write_text(sidecar.read_text(encoding="utf-8").replace("revised = false", "revised = true"),
                       encoding="utf-8")
    before = (text_file.read_bytes(), sidecar.read_bytes())
    refused = transcribe(root, "minutes")
    assert refused.exit_code == 2 and "A322" in refused.output
    assert (text_file.read_bytes(), sidecar.read_bytes()) == before
    forced = transcribe(root, "minutes", "--force")
    assert forced.exit_code == 0, forced.output
    assert "corrected by the editor" not in text_file.read_text(encoding="utf-8")
    assert tomllib.loads(sidecar.read_text(encoding="utf-8"))["transcription"]["revised"] is False


def test_every_page_of_a_tiff_is_transcribed_with_page_boundaries(tmp_path):
    cut = SCAN_TEXT.index(". ", 200) + 2
    first, second = SCAN_TEXT[:cut], SCAN_TEXT[cut:]
    root = scan_corpus(tmp_path, "minutes.tif", [render_scan(first, noise=0.01), render_scan(second, noise=0.01)])
    result = transcribe(root, "minutes")
    assert result.exit_code == 0, result.output
    assert "page 2 of 2" in result.output
    stored = (root / "sources" / "minutes.transcription.txt").read_text(encoding="utf-8")
    pages = stored.split(transcription.PAGE_SEPARATOR)
    assert len(pages) == 2
    assert transcription.character_accuracy(first, pages[0]) >= ACCURACY_FLOOR
    assert transcription.character_accuracy(second, pages[1]) >= ACCURACY_FLOOR
    text, starts = transcription.reading_text(stored)
    assert len(text) == len(stored) and "\f" not in text  # positions in the file are positions in the text
    assert starts[0] == 0 and text[starts[1]:].startswith(pages[1][:20])


def test_a_pdf_without_text_layer_is_a_scan_and_one_with_text_is_not(tmp_path):
    root = scan_corpus(tmp_path, "leaflet.pdf", [render_scan(SCAN_TEXT)])
    result = transcribe(root, "leaflet")
    assert result.exit_code == 0, result.output
    stored = (root / "sources" / "leaflet.transcription.txt").read_text(encoding="utf-8")
    assert transcription.character_accuracy(SCAN_TEXT, stored) >= ACCURACY_FLOOR
    make_pdf(LETTER_PAGES, root / "sources" / "letter.pdf")
    (root / "sources" / "letter.toml").write_text('title = "Letter"\n', encoding="utf-8")
    refused = transcribe(root, "letter")
    assert refused.exit_code == 2 and "A321" in refused.output
    assert not (root / "sources" / "letter.transcription.txt").exists()


def test_bad_requests_are_refused_with_nothing_written(tmp_path):
    root = scan_corpus(tmp_path, "minutes.png", [render_scan(SCAN_TEXT[:100])])
    before = sorted(p.name for p in (root / "sources").iterdir())
    unknown = transcribe(root, "nosuch")
    assert unknown.exit_code == 2 and "A320" in unknown.output
    bad_language = transcribe(root, "minutes", "--language", "English; rm -rf")
    assert bad_language.exit_code == 2 and "A327" in bad_language.output
    (root / "sources" / "minutes.toml").unlink()
    no_provenance = transcribe(root, "minutes")
    assert no_provenance.exit_code == 2 and "A323" in no_provenance.output
    (root / "sources" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    (root / "sources" / "broken.toml").write_text('title = "B"\n', encoding="utf-8")
    broken = transcribe(root, "broken")
    assert broken.exit_code == 2 and "A326" in broken.output
    assert sorted(p.name for p in (root / "sources").iterdir()) == sorted(set(before) - {"minutes.toml"}
                                                                         | {"broken.png", "broken.toml"})


def test_without_tesseract_transcribe_says_so_and_exits_3(tmp_path, monkeypatch):
    root = scan_corpus(tmp_path, "minutes.png", [render_scan(SCAN_TEXT[:100])])
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = transcribe(root, "minutes")
    assert result.exit_code == 3 and "tesseract" in result.output
    assert not (root / "sources" / "minutes.transcription.txt").exists()


def test_add_checks_tesseract_before_writing_and_no_ocr_defers_the_transcription(tmp_path, monkeypatch):
    from corpora import write_corpus

    from builder import corpus
    from builder.errors import CorpusError

    root = write_corpus(tmp_path / "corpus")
    scan = save_scan([render_scan(SCAN_TEXT[:120])], tmp_path / "minutes.png")
    before = sorted(p.name for p in (root / "sources").iterdir()), (root / "archive.toml").read_bytes()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    refused = CliRunner().invoke(main, ["add", str(scan), "--corpus", str(root)])
    assert refused.exit_code == 3 and "tesseract" in refused.output
    assert (sorted(p.name for p in (root / "sources").iterdir()), (root / "archive.toml").read_bytes()) == before
    deferred = CliRunner().invoke(main, ["add", str(scan), "--corpus", str(root), "--no-ocr"])
    assert deferred.exit_code == 0, deferred.output
    assert (root / "sources" / "minutes.png").is_file() and not (root / "sources" / "minutes.transcription.txt").exists()
    with pytest.raises(CorpusError) as e:
        corpus.load(root)
    assert [p.code for p in e.value.problems] == ["C180"] and "archive transcribe minutes" in str(e.value)


def test_a_transcription_not_utf8_beside_a_text_pdf_or_badly_recorded_is_reported(tmp_path):
    from corpora import write_corpus

    from builder import corpus
    from builder.errors import CorpusError

    root = write_corpus(tmp_path / "corpus")
    sources = root / "sources"
    save_scan([render_scan(SCAN_TEXT[:80])], sources / "minutes.png")
    (sources / "minutes.transcription.txt").write_bytes(b"Minutes \xff\n")  # C181
    (sources / "minutes.toml").write_text(
        'title = "M"\nkind = "minutes"\nsummary = "x"\nrights = "x"\n[date]\ncertainty = "unknown"\n'
        '[origin]\ndescription = "x"\n[condition]\nsummary = "x"\n'
        '[transcription]\nengine = "tesseract"\nmean_confidence = "high"\nrevised = "no"\n', encoding="utf-8")  # C187
    make_pdf(LETTER_PAGES, sources / "letter-pdf.pdf")
    (sources / "letter-pdf.transcription.txt").write_text("Dear Secretary,\n", encoding="utf-8")  # C185
    (sources / "orphan.transcription.txt").write_text("No scan.\n", encoding="utf-8")  # C126
    with pytest.raises(CorpusError) as e:
        corpus.load(root)
    codes = {p.code for p in e.value.problems}
    assert {"C181", "C185", "C187", "C126"} <= codes, [str(p) for p in e.value.problems]
    assert sum(p.code == "C187" for p in e.value.problems) == 2  # mean_confidence and revised


# minutes in French and in Hebrew (the tests' own sentences)
MINUTES_IN = {
    "fr": ("fra", "Procès-verbal de l'assemblée générale\n\nLa présidente a ouvert la séance à dix-neuf heures "
                  "et a souhaité la bienvenue aux nouveaux adhérents. Le trésorier, qui était à l'étranger, s'est "
                  "excusé. Le procès-verbal de la réunion précédente a été lu, corrigé à un endroit, puis approuvé."),
    "he": ("heb", "פרוטוקול האספה הכללית\n\nהיושבת ראש פתחה את הישיבה בשעה שבע וחצי ובירכה את החברים החדשים. "
                  "הגזבר, ששהה בחוץ לארץ, התנצל. הפרוטוקול של הישיבה הקודמת נקרא, תוקן במקום אחד ואושר."),
}


@pytest.mark.parametrize("tag", sorted(MINUTES_IN))
def test_add_with_a_language_records_it_and_reads_the_scan_in_it(tmp_path, tag):
    """`archive add --language` records the language and the OCR reads in it: Hebrew read as
    English is nonsense (about 15% of its characters right), read as Hebrew it is whole."""
    tesseract_name, text = MINUTES_IN[tag]
    if tesseract_name not in transcription.languages():
        message = f"Tesseract has no {tesseract_name} data (./run setup installs tesseract-ocr-{tesseract_name})"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    root = tmp_path / "corpus"
    assert CliRunner().invoke(main, ["init", str(root), "--title", "Minutes"]).exit_code == 0
    scan = tmp_path / "minutes.png"
    scan.write_bytes(typeset_scan(text, tag))
    result = CliRunner().invoke(main, ["add", str(scan), "--corpus", str(root), "--language", tag])
    assert result.exit_code == 0, result.output
    sidecar = tomllib.loads((root / "sources" / "minutes.toml").read_text(encoding="utf-8"))
    assert sidecar["language"] == tag and sidecar["transcription"]["language"] == tesseract_name
    stored = (root / "sources" / "minutes.transcription.txt").read_text(encoding="utf-8")
    assert transcription.character_accuracy(text, stored) >= 0.95, stored
    english = transcription.transcribe(scan.read_bytes(), "image/png", "eng").file_text
    assert transcription.character_accuracy(text, stored) > transcription.character_accuracy(text, english)


def test_add_refuses_a_language_that_is_no_bcp47_tag(tmp_path):
    root = tmp_path / "corpus"
    assert CliRunner().invoke(main, ["init", str(root), "--title", "Minutes"]).exit_code == 0
    before = sorted(p.name for p in root.rglob("*"))
    scan = tmp_path / "minutes.png"
    scan.write_bytes(typeset_scan("Minutes of the meeting.", "en"))
    result = CliRunner().invoke(main, ["add", str(scan), "--corpus", str(root), "--language", "French!"])
    assert result.exit_code == 2 and "A324" in result.output and "--language" in result.output
    assert sorted(p.name for p in root.rglob("*")) == before

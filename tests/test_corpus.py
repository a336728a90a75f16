"""The default archive's sources, and the loader's answers to bad input."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, DATA, REPO, epubcheck_problems

from builder.corpus import load
from builder.errors import CorpusError


def test_sources_match_their_recorded_sha256():
    archive = load(CORPUS)
    assert len(archive.sources) == 5
    for source in archive.sources:
        assert source.provenance.recorded, f"{source.id} has no provenance"
        digest = hashlib.sha256(source.path.read_bytes()).hexdigest()
        assert digest == source.provenance.received_sha256, source.id


def test_sources_are_the_seeds_byte_for_byte():
    """Against the seeds' SHA-256 as received (tests/data/seeds.sha256: see tests/data/README.md)."""
    archive = load(CORPUS)
    by_name = {s.provenance.received_file_name: s for s in archive.sources}
    seeds = dict(reversed(line.split()) for line in (DATA / "seeds.sha256").read_text().splitlines())
    assert len(seeds) == len(archive.sources) == 5
    for name, digest in seeds.items():
        assert name in by_name, f"no source records {name} as received"
        assert hashlib.sha256(by_name[name].path.read_bytes()).hexdigest() == digest, name


def test_provenance_is_complete_and_honest():
    archive = load(CORPUS)
    for s in archive.sources:
        p = s.provenance
        assert p.title and p.kind and p.summary and p.rights and p.condition_summary, s.id
        assert p.date.certainty in ("stated", "inferred", "unknown")
        if p.date.certainty == "inferred":
            assert len(p.date.evidence) > 40, f"{s.id}: inferred date needs its evidence"
        assert not p.url, f"{s.id}: no URL is known for any seed; none may be invented"
        assert p.received_file_name.endswith(".txt")


def run_cli(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "builder.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


def break_corpus(corpus: Path) -> None:
    """Five different faults in five different files."""
    toml = corpus / "archive.toml"
    toml.write_text(toml.read_text().replace('"butler-berger-report",', '"butler-berger-report", "no-such-source",'))
    (corpus / "sources" / "ealing-southall-clp-letter.toml").write_text(
        (corpus / "sources" / "ealing-southall-clp-letter.toml").read_text().replace("kind =", "kind = = ", 1))
    letter = corpus / "sources" / "butler-letter-to-jlm.txt"
    letter.write_bytes(letter.read_bytes().replace(b"Dear", b"Deer", 1))
    statement = corpus / "sources" / "joint-statement-jlm-training.txt"
    statement.write_bytes(statement.read_bytes() + b"\n\xff\xfe latin-1 bytes")
    notes = corpus / "sources" / "jlm-duty-of-care-report.notes.toml"
    notes.write_text(notes.read_text().replace('exact = "closeicon', 'exact = "close icon', 1))


def test_every_problem_reported_in_one_run_and_output_untouched(corpus_copy, tmp_path):
    break_corpus(corpus_copy)
    out = tmp_path / "output"
    out.mkdir()
    (out / "keep.txt").write_text("earlier result")
    before = sorted((p.name, p.read_bytes()) for p in out.iterdir())
    proc = run_cli("build", str(corpus_copy), "--out", str(out), cwd=REPO)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr
    assert "archive.toml" in err and "no-such-source" in err
    assert "ealing-southall-clp-letter.toml:" in err and "malformed TOML" in err
    assert "butler-letter-to-jlm.txt" in err and "has changed since it was received" in err
    assert "joint-statement-jlm-training.txt" in err and "not valid UTF-8" in err
    assert "jlm-duty-of-care-report.notes.toml" in err and "cannot be anchored" in err and "closeicon" in err
    assert err.count("fix:") >= 5
    assert sorted((p.name, p.read_bytes()) for p in out.iterdir()) == before


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in a corpus file, which must hold it (so the damage is real)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} has no {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def drop_line(path: Path, starts: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(starts))
    path.write_text("".join(lines[:at] + lines[at + 1:]), encoding="utf-8")


LETTER = "sources/butler-letter-to-jlm.toml"
LETTER_NOTES = "sources/butler-letter-to-jlm.notes.toml"

BAD_INPUTS = {
    "malformed TOML names the line": (
        lambda c: (c / "archive.toml").write_text((c / "archive.toml").read_text() + "\nbroken = [\n"),
        "C101", "archive.toml:"),
    "missing required field": (
        lambda c: (c / "archive.toml").write_text(
            "\n".join(l for l in (c / "archive.toml").read_text().splitlines() if not l.startswith("publisher"))),
        "C110", "'publisher' is missing"),
    "sidecar without its source": (
        lambda c: shutil.copy(c / "sources" / "butler-letter-to-jlm.toml", c / "sources" / "ghost.toml"),
        "C126", "ghost.toml"),
    "order names a missing source": (
        lambda c: (c / "archive.toml").write_text((c / "archive.toml").read_text().replace(
            '"butler-berger-report"', '"butler-berger-reprot"')),
        "C120", "butler-berger-reprot"),
    "duplicate ids": (
        lambda c: (c / "sources" / "butler-letter-to-jlm.md").write_text("# x\n"),
        "C124", "duplicate id"),
    "id of the wrong form": (
        lambda c: shutil.copy(c / "sources" / "butler-letter-to-jlm.txt", c / "sources" / "000_Seed.txt"),
        "C123", "000_Seed"),
    "changed source": (
        lambda c: (c / "sources" / "butler-berger-report.txt").write_bytes(
            (c / "sources" / "butler-berger-report.txt").read_bytes() + b" "),
        "C140", "has changed since it was received"),
    "not UTF-8": (
        lambda c: (c / "introduction.md").write_bytes(b"caf\xe9\n"),
        "C131", "not valid UTF-8"),
    "no archive.toml": (lambda c: (c / "archive.toml").unlink(), "C100", "the corpus has no archive.toml"),
    "no introduction": (lambda c: (c / "introduction.md").unlink(), "C102", "the corpus has no introduction.md"),
    "no sources folder": (lambda c: shutil.rmtree(c / "sources"), "C103", "the corpus has no sources/ folder"),
    "field of the wrong type": (
        lambda c: edit(c / "archive.toml", 'publisher = "The annotated-archive project"', "publisher = 2026"),
        "C111", "field 'publisher' should be a string, not int"),
    "unknown field": (
        lambda c: edit(c / "archive.toml", 'title = "', 'colour = "red"\ntitle = "'),
        "C112", "unknown field 'colour'"),
    "slug of the wrong form": (
        lambda c: edit(c / "archive.toml", 'slug = "labour-antisemitism-dispute-2019-2021"', 'slug = "Bad Slug"'),
        "C113", "slug 'Bad Slug' is not of the form"),
    "unknown page size": (
        lambda c: edit(c / "archive.toml", 'page_size = "a5"', 'page_size = "a3"'),
        "C114", "page_size 'a3' is not one of"),
    "date not ISO 8601": (
        lambda c: edit(c / LETTER, 'value = "2020"', 'value = "early 2020"'),
        "C115", "date.value 'early 2020' is not YYYY"),
    "unknown date with a value": (
        lambda c: edit(c / LETTER, 'value = "2020"\ncertainty = "inferred"', 'value = "2020"\ncertainty = "unknown"'),
        "C116", "date.certainty is 'unknown' but date.value is given"),
    "sha256 not hexadecimal": (
        lambda c: edit(c / LETTER, 'sha256 = "4458b9c4', 'sha256 = "not-hex-4458b9c4'),
        "C117", "received.sha256 is not 64 hexadecimal digits"),
    "unknown certainty": (
        lambda c: edit(c / LETTER, 'value = "2020"\ncertainty = "inferred"', 'value = "2020"\ncertainty = "guessed"'),
        "C118", "date.certainty 'guessed' is not one of"),
    "inferred without evidence": (
        lambda c: drop_line(c / LETTER, 'evidence = "The letter is not dated.'),
        "C119", "date is inferred but gives no evidence"),
    "source listed twice": (
        lambda c: edit(c / "archive.toml", '"butler-berger-report",', '"butler-berger-report", "butler-berger-report",'),
        "C121", "sources lists 'butler-berger-report' twice"),
    "source left out of the order": (
        lambda c: edit(c / "archive.toml", '  "joint-statement-jlm-training",\n', ""),
        "C122", "source 'joint-statement-jlm-training' is not in the sources list"),
    "file of another format": (
        lambda c: (c / "sources" / "letter.docx").write_bytes(b"PK\x03\x04"),
        "C125", "'.docx' is not a source format"),
    "damaged PDF": (
        lambda c: (c / "sources" / "scan.pdf").write_bytes(b"%PDF-1.7\n"),
        "C184", "scan.pdf: error C184: cannot be read"),
    "damaged scan": (
        lambda c: (c / "sources" / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n"),
        "C184", "scan.png: error C184: cannot be read"),
    "source not UTF-8": (
        lambda c: (c / "sources" / "butler-berger-report.txt").write_bytes(
            (c / "sources" / "butler-berger-report.txt").read_bytes() + b"\xff"),
        "C141", "butler-berger-report.txt:"),
    "note id of the wrong form": (
        lambda c: edit(c / LETTER_NOTES, 'id = "jlm"', 'id = "JLM"'),
        "C150", "id 'JLM' is not of the form"),
    "note id used twice": (
        lambda c: edit(c / LETTER_NOTES, 'id = "jlm"', 'id = "file-condition"'),
        "C151", "id 'file-condition' is used twice"),
    "unknown note kind": (
        lambda c: edit(c / LETTER_NOTES, 'kind = "gloss"', 'kind = "opinion"'),
        "C152", "kind 'opinion' is not one of"),
    "note without a body": (
        lambda c: edit(c / LETTER_NOTES, 'body = "The file begins', 'body = " "\nx = "The file begins'),
        "C153", "(file-condition) has no body"),
    "start without end": (
        lambda c: drop_line(c / LETTER_NOTES, "end = 29"),
        "C154", "(jlm): start and end must both be given"),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_is_a_clear_error(corpus_copy, case):
    damage, code, text = BAD_INPUTS[case]
    damage(corpus_copy)
    with pytest.raises(CorpusError) as e:
        load(corpus_copy)
    message = str(e.value)
    assert code in message and text in message, message
    assert all(p.fix for p in e.value.problems)


def test_notes_on_a_passage_of_a_markdown_source_anchor_in_its_reading_text(corpus_copy):
    """N202 is gone: a Markdown source's notes anchor in its reading text (markup left out)."""
    from builder import anchor
    (corpus_copy / "sources" / "extra.md").write_text("# Extra\n\nA *passage* in Markdown.\n", encoding="utf-8")
    (corpus_copy / "sources" / "extra.notes.toml").write_text(
        '[[notes]]\nkind = "gloss"\nexact = "A passage"\nbody = "b"\n', encoding="utf-8")
    edit(corpus_copy / "archive.toml", '"butler-berger-report",', '"butler-berger-report", "extra",')
    archive = load(corpus_copy)  # loads (with a warning: no provenance)
    _, anchors = anchor.anchor(archive)
    [placed] = anchors["extra"]
    assert (placed.start, placed.end) == (len("Extra\n\n"), len("Extra\n\nA passage"))
    (corpus_copy / "sources" / "extra.notes.toml").write_text(
        '[[notes]]\nkind = "gloss"\nexact = "A *passage*"\nbody = "b"\n', encoding="utf-8")
    with pytest.raises(CorpusError) as e:  # the markup is not text: a quote with it is not found
        anchor.anchor(load(corpus_copy))
    assert [p.code for p in e.value.problems] == ["N201"]


def test_source_without_provenance_builds_with_a_warning(corpus_copy, tmp_path):
    (corpus_copy / "sources" / "butler-berger-report.toml").unlink()
    proc = run_cli("build", str(corpus_copy), "--out", str(tmp_path), "--format", "epub", cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "W201" in proc.stderr and "butler-berger-report" in proc.stderr
    epub = tmp_path / "labour-antisemitism-dispute-2019-2021.epub"
    assert epub.is_file()
    assert epubcheck_problems(epub) == []


def test_build_reads_corpus_only(corpus_copy, tmp_path):
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in corpus_copy.rglob("*") if p.is_file()}
    proc = run_cli("build", str(corpus_copy), "--out", str(tmp_path), "--format", "epub", cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in corpus_copy.rglob("*") if p.is_file()}
    assert after == before
    assert epubcheck_problems(tmp_path / "labour-antisemitism-dispute-2019-2021.epub") == []


def test_cli_version_and_help():
    from builder import __version__
    assert run_cli("--version").stdout.strip().endswith(__version__)
    helped = run_cli("build", "--help")
    assert helped.returncode == 0 and "Example" in helped.stdout
    assert run_cli("build", "--format", "docx").returncode == 2

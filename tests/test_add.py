"""`archive add`: a source joins the corpus byte for byte, with a provenance skeleton; or nothing changes."""

from __future__ import annotations

import hashlib
import stat
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, epubcheck_problems

from builder import corpus, sources_io
from builder.build import build
from builder.cli import main

# BOM, CRLF line ends, a no-break space, a line of only a no-break space, no final newline
AWKWARD = "\ufeffLetter\u00a0to the\u00a0editor\r\n\r\nDear Sir,\r\n\u00a0\r\nIt is so.\r\nYours".encode("utf-8")
JLM = "jlm-duty-of-care-report"


def snapshot(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every path under root (hidden ones too), with its mode and, for a file, its bytes."""
    return {p.relative_to(root).as_posix(): (p.stat().st_mode, p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def add(*args) -> object:
    return CliRunner().invoke(main, ["add", *map(str, args)])


def received(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "received"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def order(root: Path) -> list[str]:
    return tomllib.loads((root / "archive.toml").read_text(encoding="utf-8"))["sources"]


# -- adding ------------------------------------------------------------------------------------

def test_add_keeps_the_bytes_and_the_build_accepts_it(tmp_path, corpus_copy):
    file = received(tmp_path, "Letter to the Editor (2021).TXT", AWKWARD)
    toml_before = (corpus_copy / "archive.toml").read_text(encoding="utf-8")
    result = add(file, "--corpus", corpus_copy, "--kind", "letter")
    assert result.exit_code == 0, result.output
    sid = "letter-to-the-editor-2021"
    copy = corpus_copy / "sources" / f"{sid}.txt"
    assert f"added {sid}: {copy}" in result.stdout
    sha = hashlib.sha256(AWKWARD).hexdigest()
    assert f"sha256 {sha}" in result.stdout and "to complete:" in result.stdout
    assert copy.read_bytes() == AWKWARD  # BOM, CRLF, NBSP and the missing final newline, all kept
    assert stat.S_IMODE(copy.stat().st_mode) == 0o444

    sidecar_path = corpus_copy / "sources" / f"{sid}.toml"
    text = sidecar_path.read_text(encoding="utf-8")
    assert text.startswith("# Provenance of the source") and "must complete" in text
    sidecar = tomllib.loads(text)
    assert sidecar["received"] == {
        "file_name": "Letter to the Editor (2021).TXT", "format": "text/plain", "sha256": sha,
        "how": "Added with `archive add`; how it was received is not recorded.",
        "encoding": "utf-8", "detected": "byte-order mark", "confidence": 1.0}
    assert (sidecar["title"], sidecar["title_derived"], sidecar["title_supplied"], sidecar["kind"]) == (
        "Letter to the editor", True, False, "letter")  # derived by the tool, not supplied by the editor
    assert corpus.load(corpus_copy).sources[-1].provenance.title_derived
    assert (sidecar["summary"], sidecar["rights"], sidecar["date"], sidecar["origin"], sidecar["condition"]) == (
        "Not yet written.", "Unknown.", {"certainty": "unknown"}, {"description": "Unknown."},
        {"summary": "Not yet examined."})

    toml_after = (corpus_copy / "archive.toml").read_text(encoding="utf-8")
    assert order(corpus_copy)[-1] == sid
    last = '  "joint-statement-jlm-training",\n'
    assert toml_after == toml_before.replace(last, last + f'  "{sid}",\n')  # comments and layout kept

    archive = corpus.load(corpus_copy)
    source = archive.sources[-1]
    assert source.id == sid and source.sha256 == sha and source.provenance.received_sha256 == sha
    assert source.read_bytes() == AWKWARD
    assert not [w for w in archive.warnings if sid in w]

    result = build(corpus_copy, tmp_path / "out", ("epub",))
    assert epubcheck_problems(result.editions["epub"]) == []


def test_add_markdown_and_html_with_options(tmp_path, corpus_copy):
    md = received(tmp_path, "2021 statement.md", b"\n\n# Joint statement\n\nWe say *this*.\n")
    page = received(tmp_path, "Page.html", b"<!DOCTYPE html>\n<html><head><style>p{}</style>"
                    b"<title>A  page &amp; its title</title></head><body><p>Text.</p></body></html>\n")
    result = add(md, page, "--corpus", corpus_copy, "--kind", "statement", "--how", "By post, 2024.")
    assert result.exit_code == 0, result.output
    assert order(corpus_copy)[-2:] == ["source-2021-statement", "page"]
    first = tomllib.loads((corpus_copy / "sources" / "source-2021-statement.toml").read_text(encoding="utf-8"))
    second = tomllib.loads((corpus_copy / "sources" / "page.toml").read_text(encoding="utf-8"))
    assert (first["title"], first["received"]["format"], first["received"]["how"]) == (
        "Joint statement", "text/markdown", "By post, 2024.")
    assert (second["title"], second["kind"], second["received"]["format"]) == ("A page & its title", "statement",
                                                                               "text/html")
    assert (corpus_copy / "sources" / "page.html").read_bytes() == page.read_bytes()
    ids = [s.id for s in corpus.load(corpus_copy).sources]
    assert ids[-2:] == ["source-2021-statement", "page"]


def test_add_with_id_and_title(tmp_path, corpus_copy):
    file = received(tmp_path, "x.txt", b"first line\n")
    result = add(file, "--corpus", corpus_copy, "--id", "branch-minutes-2020", "--title", "Branch minutes")
    assert result.exit_code == 0, result.output
    sidecar = tomllib.loads((corpus_copy / "sources" / "branch-minutes-2020.toml").read_text(encoding="utf-8"))
    assert (sidecar["title"], sidecar["title_supplied"], sidecar["received"]["file_name"]) == (
        "Branch minutes", False, "x.txt")
    assert "title_derived" not in sidecar
    assert corpus.load(corpus_copy).sources[-1].provenance.title == "Branch minutes"


def test_archive_toml_without_an_order_is_left_alone(tmp_path, corpus_copy):
    path = corpus_copy / "archive.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("sources = [")
    path.write_text(text[:start] + text[text.index("]\n", start) + 2:], encoding="utf-8")
    before = path.read_bytes()
    result = add(received(tmp_path, "aaa-first.txt", b"A.\n"), "--corpus", corpus_copy)
    assert result.exit_code == 0, result.output
    assert "has no sources list" in result.stdout
    assert path.read_bytes() == before
    assert corpus.load(corpus_copy).sources[0].id == "aaa-first"  # id order


def test_archive_toml_line_ends_are_kept(tmp_path, corpus_copy):
    path = corpus_copy / "archive.toml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert add(received(tmp_path, "new.txt", b"New.\n"), "--corpus", corpus_copy).exit_code == 0
    data = path.read_bytes()
    assert b'  "new",\r\n]' in data and data.count(b"\n") == data.count(b"\r\n")


def test_first_line_title_and_derived_ids():
    assert sources_io.first_line_title("\n \u00a0\n  A   title\u00a0here \n", ".txt") == "A title here"
    assert sources_io.first_line_title("## Heading\n", ".md") == "Heading"
    long = sources_io.first_line_title("word " * 40, ".txt")
    assert len(long) == 80 and long.endswith("…")
    assert sources_io.first_line_title("<script>x()</script><h1>Big</h1>", ".html") == "Big"
    assert sources_io.first_line_title(" \r\n", ".txt") == ""
    assert sources_io.derive_id("My Letter_v2.TXT") == "my-letter-v2"
    assert sources_io.derive_id("002_04ba.txt") == "source-002-04ba"
    assert sources_io.derive_id("Ärger.txt") == "rger"
    assert sources_io.derive_id("ÄÖ.txt") == "source"


# -- refusals: exit 2, the file named, the corpus byte for byte as it was ------------------------

REFUSALS = {
    "not-a-source-format": ("notes.docx", b"PK\x03\x04\x14\x00", (), ["not a source this archive can read",
                                                                       "binary file"]),
    "damaged-pdf": ("scan.pdf", b"%PDF-1.7\n", (), ["A326", "cannot be read as PDF"]),
    "damaged-image": ("scan.png", b"\x89PNG\r\n\x1a\n and no more", (), ["A326", "cannot be read as PNG"]),
    "bad-id": ("ok.txt", b"Fine.\n", ("--id", "9-Lives"), ["id '9-Lives' is not of the form"]),
    "id-taken": ("ok.txt", b"Fine.\n", ("--id", JLM), [f"id '{JLM}' is already in the corpus"]),
    "derived-id-taken": (f"{JLM}.md", b"Other bytes.\n", (), [f"id '{JLM}' is already in the corpus"]),
    "same-bytes": ("copy-of-report.txt", None, (), [f"are already in the corpus as '{JLM}'"]),
}


@pytest.mark.parametrize("name, data, options, messages", REFUSALS.values(), ids=list(REFUSALS))
def test_refusal_writes_nothing(tmp_path, corpus_copy, name, data, options, messages):
    file = received(tmp_path, name, data if data is not None else (CORPUS / "sources" / f"{JLM}.txt").read_bytes())
    before = snapshot(corpus_copy)
    result = add(file, "--corpus", corpus_copy, *options)
    assert result.exit_code == 2, result.output
    assert str(file) in result.stderr
    for message in messages:
        assert message in result.stderr
    assert "nothing was written" in result.stderr
    assert snapshot(corpus_copy) == before


def test_id_taken_by_a_sidecar_alone(tmp_path, corpus_copy):
    (corpus_copy / "sources" / "orphan.toml").write_text('title = "x"\n', encoding="utf-8")
    before = snapshot(corpus_copy)
    result = add(received(tmp_path, "orphan.txt", b"New.\n"), "--corpus", corpus_copy)
    assert result.exit_code == 2 and "already in the corpus (orphan.toml)" in result.stderr
    assert snapshot(corpus_copy) == before


def test_id_with_several_files_is_refused(tmp_path, corpus_copy):
    one, two = received(tmp_path, "one.txt", b"One.\n"), received(tmp_path, "two.txt", b"Two.\n")
    before = snapshot(corpus_copy)
    result = add(one, two, "--corpus", corpus_copy, "--id", "both")
    assert result.exit_code == 2
    assert "--id names one source, but 2 files were given" in result.stderr
    assert str(one) in result.stderr and str(two) in result.stderr
    assert snapshot(corpus_copy) == before


def test_several_files_every_problem_reported_and_nothing_written(tmp_path, corpus_copy):
    good = received(tmp_path, "good.txt", b"Good.\n")
    bad_format = received(tmp_path, "notes.docx", b"PK\x03\x04")
    old_text = received(tmp_path, "old.txt", b"\x93quoted\x94\n")  # not UTF-8: accepted (test_receive.py)
    twin = received(tmp_path, "twin.txt", b"Good.\n")  # the same bytes as good.txt
    before = snapshot(corpus_copy)
    result = add(good, bad_format, old_text, twin, "--corpus", corpus_copy)
    assert result.exit_code == 2
    assert f"{bad_format}: error A330" in result.stderr and str(old_text) not in result.stderr
    assert f"{twin}: error A317: the same bytes" in result.stderr and str(good) in result.stderr
    assert "2 problem(s) found; nothing was written." in result.stderr
    assert snapshot(corpus_copy) == before


def test_a_failed_write_leaves_the_corpus_as_it_was(tmp_path, corpus_copy, monkeypatch):
    real = sources_io.atomic_path

    def failing(path):
        if Path(path).name == "archive.toml":
            raise OSError(28, "No space left on device", str(path))
        return real(path)

    monkeypatch.setattr(sources_io, "atomic_path", failing)
    files = [received(tmp_path, "one.txt", b"One.\n"), received(tmp_path, "two.md", b"# Two\n")]
    before = snapshot(corpus_copy)
    result = add(*files, "--corpus", corpus_copy)
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr and "the corpus is as it was" in result.stderr
    assert snapshot(corpus_copy) == before


def test_add_has_help_with_an_example():
    result = CliRunner().invoke(main, ["add", "--help"])
    assert result.exit_code == 0 and "Example:" in result.output and "archive add" in result.output


@pytest.mark.parametrize("kind, code, said", [("fifo", "C162", "FIFO"), ("folder", "C162", "folder"),
                                               ("link out", "C160", "outside the corpus"),
                                               ("missing", "A300", "has no archive.toml")])
def test_an_archive_toml_that_is_no_file_is_named_for_what_it_is(tmp_path, kind, code, said):
    """A pipe, a folder or a link out where archive.toml should be is refused as what it is (it
    used to be reported as missing, which sent the editor to make one that was there)."""
    import os
    corpus_dir = tmp_path / "c"
    (corpus_dir / "sources").mkdir(parents=True)
    toml = corpus_dir / "archive.toml"
    if kind == "fifo":
        os.mkfifo(toml)
    elif kind == "folder":
        toml.mkdir()
    elif kind == "link out":
        outside = tmp_path / "elsewhere.toml"
        outside.write_text('title = "x"\n', encoding="utf-8")
        toml.symlink_to(outside)
    before = snapshot(corpus_dir)
    result = add(received(tmp_path, "a.txt", b"A letter.\n"), "--corpus", corpus_dir)
    assert result.exit_code == 2
    assert f"error {code}" in result.output and said in result.output, result.output
    assert snapshot(corpus_dir) == before


def test_a_long_file_name_gives_an_id_whose_files_fit(tmp_path, corpus_copy):
    """A received name of 250 characters (an email attachment's too): the id is cut to
    corpus.ID_MAX at a hyphen, so that <id>.notes.toml and the editions' file names fit (it used
    to stop with "File name too long", a fault of the tool)."""
    import sys
    sys.path.insert(0, str(Path(__file__).parent))
    from receiving import email_with_attachment
    long_name = "-".join(["minutes of the general meeting"] * 8)[:246] + ".txt"
    mail = email_with_attachment(attachment=b"Minutes.\n", attachment_name=long_name)
    result = add(received(tmp_path, long_name, b"A letter.\n"), received(tmp_path, "mail.eml", mail),
                 "--corpus", corpus_copy)
    assert result.exit_code == 0, result.output
    added = [p for p in (corpus_copy / "sources").glob("*.toml") if p.name.startswith(("minutes", "mail-"))
             and not p.name.endswith(".notes.toml")]
    assert len(added) == 2 and all(len(p.stem) <= corpus.ID_MAX for p in added), [p.stem for p in added]
    assert not any(p.stem.endswith("-") for p in added)
    assert build(corpus_copy, tmp_path / "out", ("epub",)).editions["epub"].is_file()

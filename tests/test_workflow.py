"""The editor's workflow, from a user's point of view: `init`, `add`, `status`, `build --strict`,
`deposit --strict`, `cite`; help with examples for every command; shell completion."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import tomlkit
from click.testing import CliRunner
from conftest import CORPUS, REPO, epubcheck_problems, need

from builder import corpus, status
from builder.cli import main


ARCHIVE = str(Path(sys.executable).parent / "archive")  # the console script, as a user runs it


def archive(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The `archive` command in a real subprocess."""
    return subprocess.run([sys.executable, "-m", "builder.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or REPO, timeout=600, env={**os.environ, "PYTHONPATH": str(REPO)})


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else None for p in sorted(root.rglob("*"))}


# -- archive init -----------------------------------------------------------------------------------

def test_init_makes_a_corpus_that_loads(tmp_path):
    done = archive("init", tmp_path / "letters", "--title", "Letters of 1921", "--editor", "Ann Editor",
                   "--language", "en-GB")
    assert done.returncode == 0, done.stderr
    assert "archive add FILE... --corpus" in done.stdout  # the next step
    toml = (tmp_path / "letters" / "archive.toml").read_text(encoding="utf-8")
    assert toml.count("\n# ") >= 10  # commented for the editor
    data = tomllib.loads(toml)
    assert (data["title"], data["slug"], data["language"], data["editors"]) == (
        "Letters of 1921", "letters-of-1921", "en-GB", [{"name": "Ann Editor", "role": "editor"}])
    assert data["date"] == dt.datetime.now(dt.timezone.utc).date()
    assert "https://creativecommons.org/licenses/by/4.0/" in data["rights"]
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", data["identifier"])
    loaded = corpus.load(tmp_path / "letters")
    assert loaded.sources == () and loaded.identifier == data["identifier"]
    # no edition of an empty corpus: a clear refusal, exit 2, nothing written (it once made an EPUB
    # with an empty contents list, which EPUBCheck rejects)
    for command in (["build"], ["build", "--format", "web"], ["deposit"]):
        empty = archive(*command, tmp_path / "letters", "--out", tmp_path / "out")
        assert empty.returncode == 2 and "C170" in empty.stderr and "archive add FILE" in empty.stderr, empty.stderr
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    other = archive("init", tmp_path / "other")
    assert other.returncode == 0
    assert tomllib.loads((tmp_path / "other" / "archive.toml").read_text())["identifier"] != data["identifier"]


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    folder = tmp_path / "received"
    folder.mkdir()
    (folder / "letter.txt").write_text("Dear Sir,\n")
    before = snapshot(tmp_path)
    done = archive("init", folder)
    assert done.returncode == 2 and "A340" in done.stderr and "archive add" in done.stderr
    assert snapshot(tmp_path) == before  # nothing written
    (tmp_path / "a-file").write_text("x")
    done = archive("init", tmp_path / "a-file")
    assert done.returncode == 2 and "A341" in done.stderr
    done = archive("init", tmp_path / "new", "--language", "en GB")
    assert done.returncode == 2 and "A342" in done.stderr and not (tmp_path / "new").exists()


def test_add_into_a_folder_without_a_corpus_says_to_init(tmp_path):
    (tmp_path / "letter.txt").write_text("Dear Sir,\n")
    done = archive("add", tmp_path / "letter.txt", "--corpus", tmp_path / "nowhere")
    assert done.returncode == 2 and "A300" in done.stderr and "archive init" in done.stderr


# -- from an empty folder to a deposit --------------------------------------------------------------

def complete(sidecar: Path, title: str) -> None:
    """What an editor does after `archive add`: the provenance record completed."""
    doc = tomlkit.parse(sidecar.read_text(encoding="utf-8"))
    doc["title"] = title
    del doc["title_derived"]
    doc["summary"] = "A letter of thanks."
    doc["rights"] = "Public domain (the author died in 1930)."
    doc["date"] = {"value": "1921-03-04", "certainty": "stated", "evidence": "Dated at its head."}
    doc["origin"]["description"] = "From the family's papers."
    doc["condition"]["summary"] = "Clean transcription."
    doc["received"]["how"] = "By e-mail from the family, 2024."
    authors = tomlkit.aot()
    authors.append(tomlkit.item({"name": "J. Smith", "role": "author", "certainty": "stated"}))
    doc["authors"] = authors
    sidecar.write_text(tomlkit.dumps(doc), encoding="utf-8")


def test_a_new_user_from_an_empty_folder_to_a_deposit(tmp_path):
    letters = tmp_path / "letters"
    assert archive("init", letters, "--title", "Letters of 1921", "--editor", "Ann Editor").returncode == 0
    received = tmp_path / "Letter 1.txt"
    received.write_bytes(b"Dear Sir,\n\nThank you for the books.\n\nYours,\nJ. Smith\n")
    done = archive("add", received, "--corpus", letters, "--kind", "letter")
    assert done.returncode == 0, done.stderr

    # status: what is still to do, per source and for the archive
    done = archive("status", letters)
    assert done.returncode == 0, done.stderr
    assert "letter-1" in done.stdout
    for code in ("S402", "S403", "S404", "S406", "S407", "S408", "S409", "S411", "S414"):
        assert code in done.stdout, code
    assert archive("status", letters, "--strict").returncode == 1
    report = json.loads(archive("status", letters, "--json").stdout)
    assert report["complete"] is False
    assert report["sources"][0]["lacks"] == ["title", "summary", "rights", "date", "origin", "condition",
                                             "how received", "notes"]

    # a strict build refuses, writing nothing; a plain one builds, and says where the title came from
    out = tmp_path / "output"
    done = archive("build", letters, "--out", out, "--strict", "--format", "epub")
    assert done.returncode == 2 and "S403" in done.stderr and not out.exists()
    done = archive("build", letters, "--out", out, "--format", "epub")
    assert done.returncode == 0, done.stderr
    assert "note: 10 thing(s) incomplete" in done.stderr and f"archive status {letters}" in done.stderr
    epub = out / "letters-of-1921.epub"
    with zipfile.ZipFile(epub) as z:
        assert "title derived by the tool" in z.read("EPUB/text/letter-1-provenance.xhtml").decode()
    assert epubcheck_problems(epub) == []

    # the editor completes the record, the description, the introduction, and writes a note
    complete(letters / "sources" / "letter-1.toml", "Letter of thanks from J. Smith")
    toml = letters / "archive.toml"
    doc = tomlkit.parse(toml.read_text(encoding="utf-8"))
    doc["description"] = "One letter of 1921."
    toml.write_text(tomlkit.dumps(doc), encoding="utf-8")
    (letters / "introduction.md").write_text("## About this archive\n\nA letter of thanks.\n", encoding="utf-8")
    (letters / "sources" / "letter-1.notes.toml").write_text(
        '[[notes]]\nid = "books"\nkind = "gloss"\nexact = "the books"\nbody = "Which books is not known."\n',
        encoding="utf-8")
    done = archive("status", letters, "--strict")
    assert done.returncode == 0, done.stdout
    assert "Nothing incomplete" in done.stdout

    # deposit --strict; then a changed note with the same identifier and date is caught
    result = need(lambda: invoke("deposit", letters, "--out", out, "--strict"))
    assert result.exit_code == 0, result.output
    bag_info = (out / "letters-of-1921-deposit" / "bag-info.txt").read_text()
    unchanged = {i.code for i in status.status(letters, out).items}
    assert not {"S416", "S417", "S418"} & unchanged  # nothing changed since the deposit: nothing to say
    notes = letters / "sources" / "letter-1.notes.toml"
    notes.write_text(notes.read_text().replace("is not known", "is unknown"), encoding="utf-8")
    found = status.status(letters, out)
    assert {i.code for i in found.blocking} == {"S416", "S417"}
    assert "S418" in {i.code for i in found.items}  # the editions are stale: a notice
    done = archive("deposit", letters, "--out", out, "--strict")
    assert done.returncode == 2 and "S416" in done.stderr
    assert (out / "letters-of-1921-deposit" / "bag-info.txt").read_text() == bag_info  # refused: as it was


def test_deposit_without_strict_warns_of_what_is_incomplete(tmp_path, monkeypatch):
    import builder.deposit
    from builder.errors import UsageError

    letters = tmp_path / "letters"
    assert invoke("init", letters).exit_code == 0
    (tmp_path / "a.txt").write_text("A letter\n")
    assert invoke("add", tmp_path / "a.txt", "--corpus", letters).exit_code == 0

    def stop(*args, **kwargs):  # the deposit itself is tested elsewhere: here, what comes before it
        raise UsageError("stopped before the deposit")
    monkeypatch.setattr(builder.deposit, "deposit", stop)
    result = CliRunner().invoke(main, ["deposit", str(letters), "--out", str(tmp_path / "out")])
    assert "stopped before the deposit" in result.output  # it went on to the deposit
    warned = re.findall(r"warning (S4\d\d)", result.output)
    assert set(warned) == {i.code for i in status.status(letters).blocking} and "S403" in warned


# -- status on the default archive and damaged copies -----------------------------------------------

def test_status_of_the_default_archive_is_complete():
    found = status.status(CORPUS)
    assert found.complete, found.text()
    assert [s.id for s in found.sources] == [s.id for s in corpus.load(CORPUS).sources]
    assert all(s.notes == len(src.notes) for s, src in zip(found.sources, corpus.load(CORPUS).sources))


def test_status_finds_a_stale_subtitle_and_an_unplaced_note(tmp_path, corpus_copy):
    sources = corpus.load(corpus_copy).sources
    (tmp_path / "x.txt").write_text("A new letter.\n")
    assert invoke("add", tmp_path / "x.txt", "--corpus", corpus_copy).exit_code == 0
    notes = sources[0].notes_path
    first = sources[0].notes[-1]
    notes.write_text(notes.read_text(encoding="utf-8").replace(f'exact = "{first.selector.exact}"',
                                                               'exact = "words not in the source"', 1))
    found = status.status(corpus_copy)
    codes = [i.code for i in found.blocking]
    assert "S413" in codes  # "Five Documents" with six
    assert any(i.code == "S413" and f"but the corpus has {len(sources) + 1}" in i.message for i in found.items)
    assert found.sources[0].unplaced == 1 and "S412" in codes
    result = invoke("status", corpus_copy, "--json", "--strict")
    assert result.exit_code == 1 and json.loads(result.output)["complete"] is False


def test_status_of_a_source_without_provenance_and_of_a_corpus_that_does_not_load(corpus_copy):
    sid = corpus.load(corpus_copy).sources[0].id
    (corpus_copy / "sources" / f"{sid}.toml").unlink()
    found = status.status(corpus_copy)
    assert [(i.code, i.source) for i in found.blocking] == [("S401", sid)]
    (corpus_copy / "archive.toml").write_text("title = [broken\n")
    result = invoke("status", corpus_copy)
    assert result.exit_code == 2 and "archive.toml" in result.output and "C101" in result.output


def test_status_counts_documents_in_words_and_digits():
    assert status.counted("An Annotated Archive of Five Documents") == [5]
    assert status.counted("12 letters and three printed sources") == [12, 3]
    assert status.counted("Documents of 2019") == []


# -- archive cite -----------------------------------------------------------------------------------

def test_cite_the_edition_a_source_and_a_note_in_every_format():
    data = tomllib.loads((CORPUS / "archive.toml").read_text(encoding="utf-8"))
    loaded = corpus.load(CORPUS)
    source = loaded.sources[1]
    note = source.notes[1]
    text = invoke("cite", "--edition")
    assert text.exit_code == 0 and data["identifier"] in text.output and data["title"] in text.output
    csl = json.loads(invoke("cite", source.id, "--format", "csl-json").output)
    assert csl[0]["id"] == source.id and csl[0]["archive_location"].endswith(f"#{source.id}")
    assert [a["literal"] for a in csl[0].get("author", [])] == [a.name for a in source.provenance.authors]
    bib = invoke("cite", f"{source.id}#{note.id}", "--format", "bibtex").output
    assert bib.startswith(f"@misc{{{source.id}:{note.id},") and bib.count("{") == bib.count("}")
    assert note.id in bib
    ris = invoke("cite", "--edition", "--format", "ris").output.splitlines()
    assert ris[0] == "TY  - BOOK" and ris[-1].startswith("ER  -")
    assert f"PY  - {data['date'].year}" in ris
    bad = invoke("cite", "no-such-source")
    assert bad.exit_code == 2 and "S419" in bad.output
    bad = invoke("cite", f"{source.id}#no-such-note")
    assert bad.exit_code == 2 and note.id in bad.output


# -- help and completion ----------------------------------------------------------------------------

def commands(group, prefix=()):
    import click
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


def test_every_command_has_help_with_an_example_and_is_in_the_readme():
    top = invoke("--help").output
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for path in commands(main):
        result = invoke(*path, "--help")
        assert result.exit_code == 0 and "Example" in result.output, path
        assert f"archive {' '.join(path)}" in top, path  # the top-level help shows each one in use
        assert f"`archive {' '.join(path)}" in readme, path


def test_shell_completion_script():
    done = subprocess.run([ARCHIVE], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "_ARCHIVE_COMPLETE": "bash_source"})
    assert "_archive_completion" in done.stdout and "complete " in done.stdout, done.stdout[:200]


@pytest.mark.parametrize("word", ["st", "pre"])
def test_completion_offers_commands(word):
    done = subprocess.run([ARCHIVE], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "_ARCHIVE_COMPLETE": "bash_complete", "COMP_WORDS": f"archive {word}",
                               "COMP_CWORD": "1"})
    names = [line.split(",", 1)[1] for line in done.stdout.splitlines() if "," in line]
    assert names and all(n.startswith(word) for n in names), done.stdout

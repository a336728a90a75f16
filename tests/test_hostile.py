"""Hostile corpora: reading, writing and errors (docs/security.md).

Each case damages a copy of the default corpus in one way and runs `archive build` on it: the
exit code, the error code, the file (and line) the message names, and that nothing was written.
A SIGALRM bounds every build: a case that hangs fails instead of stopping the suite.
"""

from __future__ import annotations

import os
import re
import signal
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS

from builder import files
from builder.cli import main
from builder.corpus import load
from builder.errors import CorpusError

LETTER = "sources/butler-letter-to-jlm"
OUTSIDE_TEXT = "a secret of the editor, outside the corpus\n"


@pytest.fixture
def outside(tmp_path) -> Path:
    """A file of the editor's, beside (not inside) the corpus."""
    path = tmp_path / "private" / "secret.txt"
    path.parent.mkdir()
    path.write_text(OUTSIDE_TEXT)
    return path


@pytest.fixture(autouse=True)
def bounded():
    """No case may hang: 60 s and the test fails."""
    def hung(signum, frame):
        raise TimeoutError("the build hung")
    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def build(corpus: Path, out: Path, *more: str, env: dict | None = None):
    return CliRunner().invoke(main, ["build", str(corpus), "--out", str(out), "--format", "epub", *more],
                              env=env)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} has no {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, text: str) -> int:
    """The line of path holding text (1-based): where the error must point."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def link(at: Path, to: Path | str) -> Path:
    if at.exists() or at.is_symlink():
        at.unlink()
    at.symlink_to(to)
    return at


# Each case: damage(corpus, outside) -> (code, what the message must hold: file[:line] first).
def source_link_out(c, o):
    link(c / "sources" / "leak.txt", o)
    return "C160", f"{c}/sources/leak.txt: error C160", "leads outside the corpus"


def source_link_out_with_its_sha256(c, o):
    """The target's SHA-256 in a sidecar once silenced even the warning."""
    import hashlib
    link(c / f"{LETTER}.txt", o)
    sidecar = c / f"{LETTER}.toml"
    text = sidecar.read_text()
    old = text.split('sha256 = "')[1].split('"')[0]
    sidecar.write_text(text.replace(old, hashlib.sha256(o.read_bytes()).hexdigest()))
    return "C160", f"{c}/{LETTER}.txt: error C160", "outside the corpus"


def absolute_link_to_passwd(c, o):
    link(c / "sources" / "passwd.txt", "/etc/passwd")
    return "C160", f"{c}/sources/passwd.txt: error C160", "/etc/passwd"


def introduction_link_out(c, o):
    link(c / "introduction.md", o)
    return "C160", f"{c}/introduction.md: error C160", "outside the corpus"


def sidecar_link_out(c, o):
    link(c / f"{LETTER}.toml", o)
    return "C160", f"{c}/{LETTER}.toml: error C160", "outside the corpus"


def notes_link_out(c, o):
    link(c / f"{LETTER}.notes.toml", o)
    return "C160", f"{c}/{LETTER}.notes.toml: error C160", "outside the corpus"


def archive_toml_link_out(c, o):
    link(c / "archive.toml", o)
    return "C160", f"{c}/archive.toml: error C160", "outside the corpus"


def sources_folder_link_out(c, o):
    elsewhere = o.parent / "sources"
    (c / "sources").rename(elsewhere)
    link(c / "sources", elsewhere)
    return "C160", f"{c}/sources: error C160", "outside the corpus"


def link_through_dotdot(c, o):
    link(c / "sources" / "up.txt", Path("..") / ".." / "private" / "secret.txt")
    return "C160", f"{c}/sources/up.txt: error C160", "outside the corpus"


def link_into_hidden(c, o):
    (c / ".git").mkdir()
    (c / ".git" / "config").write_text("[remote]\nurl = secret\n")
    link(c / "sources" / "config.txt", Path("..") / ".git" / "config")
    return "C161", f"{c}/sources/config.txt: error C161", "hidden path"


def link_loop(c, o):
    link(c / "sources" / "loop.txt", "loop.txt")
    return "C163", f"{c}/sources/loop.txt: error C163", "loop of symbolic links"


def dangling_link(c, o):
    link(c / "sources" / "gone.txt", "nowhere.txt")
    return "C163", f"{c}/sources/gone.txt: error C163", "which does not exist"


def fifo_source(c, o):
    os.mkfifo(c / "sources" / "pipe.txt")
    return "C162", f"{c}/sources/pipe.txt: error C162", "FIFO"


def fifo_sidecar(c, o):
    (c / f"{LETTER}.toml").unlink()
    os.mkfifo(c / f"{LETTER}.toml")
    return "C162", f"{c}/{LETTER}.toml: error C162", "FIFO"


def fifo_introduction(c, o):
    (c / "introduction.md").unlink()
    os.mkfifo(c / "introduction.md")
    return "C162", f"{c}/introduction.md: error C162", "FIFO"


def dev_zero_link(c, o):
    link(c / "sources" / "zero.txt", "/dev/zero")
    return "C160", f"{c}/sources/zero.txt: error C160", "/dev/zero"


def folder_as_source(c, o):
    (c / "sources" / "folder.txt").mkdir()
    link(c / "introduction.md", "sources/folder.txt")
    return "C162", f"{c}/introduction.md: error C162", "is a folder"


def huge_source_default_limit(c, o):
    """Sparse: 1 byte over the default limit, refused before a byte is read."""
    with open(c / "sources" / "huge.txt", "wb") as f:
        f.truncate(files.SOURCE_BYTES + 1)
    return "C164", f"{c}/sources/huge.txt: error C164", f"more than the limit of {files.SOURCE_BYTES:,}"


def source_over_configured_limit(c, o):
    edit(c / "archive.toml", "[pdf]", "[limits]\nsource_bytes = 1000\n\n[pdf]")
    return "C164", f"{c}/sources/butler-berger-report.txt: error C164", "source_bytes"


def metadata_over_configured_limit(c, o):
    edit(c / "archive.toml", "[pdf]", "[limits]\nmetadata_bytes = 2000\n\n[pdf]")
    return "C164", f"{c}/{LETTER}.toml: error C164", "[limits] metadata_bytes ="


def limit_not_a_number(c, o):
    edit(c / "archive.toml", "[pdf]", "[limits]\nsource_bytes = -5\n\n[pdf]")
    return "C166", f"{c}/archive.toml:{line_of(c / 'archive.toml', 'source_bytes')}: error C166", "-5"


def deep_toml(c, o):
    (c / f"{LETTER}.notes.toml").write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    return "C165", f"{c}/{LETTER}.notes.toml: error C165", "nested more than"


def toml_not_utf8(c, o):
    path = c / f"{LETTER}.toml"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2] + b" \xff\xfe"
    path.write_bytes(b"\n".join(lines))
    return "C101", f"{path}:3: error C101", "not valid UTF-8"


def edition_date_not_a_date(c, o):
    edit(c / "archive.toml", "date = 2026-11-23", "date = 2020-13-45")
    return "C101", f"{c}/archive.toml:{line_of(c / 'archive.toml', 'date = 2020-13-45')}: error C101", \
        "'2020-13-45' is not a valid date"


def month_thirteen(c, o):
    edit(c / f"{LETTER}.toml", 'value = "2020"', 'value = "2020-13"')
    return "C115", f"{c}/{LETTER}.toml:{line_of(c / f'{LETTER}.toml', '2020-13')}: error C115", "2020-13"


def month_zero(c, o):
    edit(c / f"{LETTER}.toml", 'value = "2020"', 'value = "2020-00"')
    return "C115", f"{c}/{LETTER}.toml:{line_of(c / f'{LETTER}.toml', '2020-00')}: error C115", "2020-00"


def thirtieth_of_february(c, o):
    edit(c / f"{LETTER}.toml", 'value = "2020"', 'value = "2020-02-30"')
    return "C115", f"{c}/{LETTER}.toml:{line_of(c / f'{LETTER}.toml', '2020-02-30')}: error C115", \
        "naming a day of the calendar"


def received_date_not_a_date(c, o):
    edit(c / f"{LETTER}.toml", "[received]\n", '[received]\ndate = "last week"\n')
    return "C115", f"{c}/{LETTER}.toml:{line_of(c / f'{LETTER}.toml', 'last week')}: error C115", "last week"


def order_names_a_path(c, o):
    edit(c / "archive.toml", '"butler-berger-report",', '"../../private/secret",')
    return "C120", f"{c}/archive.toml:", "'../../private/secret'"


def order_names_an_absolute_path(c, o):
    edit(c / "archive.toml", '"butler-berger-report",', '"/etc/passwd",')
    return "C120", f"{c}/archive.toml:", "'/etc/passwd'"


def received_name_with_a_path(c, o):
    edit(c / f"{LETTER}.toml", 'file_name = "000_9220978b4cf1d6c2.txt"', 'file_name = "../../etc/passwd"')
    return "C168", f"{c}/{LETTER}.toml:{line_of(c / f'{LETTER}.toml', 'file_name')}: error C168", "../../etc/passwd"


def received_name_absolute(c, o):
    edit(c / f"{LETTER}.toml", 'file_name = "000_9220978b4cf1d6c2.txt"', 'file_name = "/etc/passwd"')
    return "C168", f"{c}/{LETTER}.toml:{line_of(c / f'{LETTER}.toml', 'file_name')}: error C168", "/etc/passwd"


def note_id_with_a_path(c, o):
    edit(c / f"{LETTER}.notes.toml", 'id = "jlm"', 'id = "../jlm"')
    return "C150", f"{c}/{LETTER}.notes.toml:", "'../jlm'"


def slug_too_long(c, o):
    edit(c / "archive.toml", 'slug = "labour-antisemitism-dispute-2019-2021"', f'slug = "{"a" * 200}"')
    return "C113", f"{c}/archive.toml:{line_of(c / 'archive.toml', 'slug =')}: error C113", "more than 64"


def language_not_a_tag(c, o):
    edit(c / "archive.toml", 'language = "en-GB"', 'language = "English (UK)"')
    return "C167", f"{c}/archive.toml:{line_of(c / 'archive.toml', 'language =')}: error C167", "BCP 47"


def subjects_not_strings(c, o):
    edit(c / "archive.toml", '"Jewish Labour Movement",', '{ name = "Jewish Labour Movement" },')
    return "C111", f"{c}/archive.toml:", "subjects[2] should be a string"


def templates_link_out(c, o):
    (c / "templates" / "epub").mkdir(parents=True)
    link(c / "templates" / "epub" / "chapter.xhtml", o)
    return "C160", f"{c}/templates/epub/chapter.xhtml: error C160", "outside the corpus"


def templates_folder_link_out(c, o):
    link(c / "templates", o.parent)
    return "C160", f"{c}/templates: error C160", "outside the corpus"


def templates_fifo(c, o):
    (c / "templates" / "pdf").mkdir(parents=True)
    os.mkfifo(c / "templates" / "pdf" / "edition.typ")
    return "C162", f"{c}/templates/pdf/edition.typ: error C162", "FIFO"


def templates_link_to_dev_zero(c, o):
    (c / "templates" / "pdf" / "fonts").mkdir(parents=True)
    link(c / "templates" / "pdf" / "fonts" / "zero.otf", "/dev/zero")
    return "C160", f"{c}/templates/pdf/fonts/zero.otf: error C160", "/dev/zero"


def nul_in_title(c, o):
    edit(c / "archive.toml", 'title = "', 'title = "\\u0000')
    return "C169", f"{c}/archive.toml:{line_of(c / 'archive.toml', 'title =')}: error C169", "U+0000"


def control_in_note_body(c, o):
    edit(c / f"{LETTER}.notes.toml", 'body = "', 'body = "\\u001b[31m')
    return "C169", f"{c}/{LETTER}.notes.toml:{line_of(c / f'{LETTER}.notes.toml', 'u001b')}: error C169", "U+001B"


def control_in_introduction(c, o):
    path = c / "introduction.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nA bell\x07 rings.\n", encoding="utf-8")
    return "C169", f"{path}:{line_of(path, 'A bell')}: error C169", "U+0007"


CASES = {f.__name__: f for f in (
    source_link_out, source_link_out_with_its_sha256, absolute_link_to_passwd, introduction_link_out,
    sidecar_link_out, notes_link_out, archive_toml_link_out, sources_folder_link_out, link_through_dotdot,
    link_into_hidden, link_loop, dangling_link, fifo_source, fifo_sidecar, fifo_introduction, dev_zero_link,
    folder_as_source, huge_source_default_limit, source_over_configured_limit, metadata_over_configured_limit,
    limit_not_a_number, deep_toml, toml_not_utf8, edition_date_not_a_date, month_thirteen, month_zero,
    thirtieth_of_february, received_date_not_a_date, order_names_a_path, order_names_an_absolute_path,
    received_name_with_a_path, received_name_absolute, note_id_with_a_path, slug_too_long, language_not_a_tag,
    subjects_not_strings, templates_link_out, templates_folder_link_out, templates_fifo, templates_link_to_dev_zero,
    nul_in_title, control_in_note_body, control_in_introduction)}


@pytest.mark.parametrize("case", CASES)
def test_hostile_corpus_is_refused_and_nothing_written(case, corpus_copy, outside, tmp_path):
    code, where, what = CASES[case](corpus_copy, outside)
    out = tmp_path / "output"
    result = build(corpus_copy, out)
    assert result.exit_code == 2, result.output
    assert where in result.stderr and what in result.stderr, result.stderr
    assert f"error {code}:" in result.stderr
    assert "Traceback" not in result.output and "nothing was written" in result.stderr
    assert OUTSIDE_TEXT.strip() not in result.output and "root:" not in result.output
    assert not out.exists(), "a refused build wrote output"


def test_every_hostile_problem_in_one_run(corpus_copy, outside, tmp_path):
    chosen = ("source_link_out", "fifo_source", "link_loop", "deep_toml", "month_thirteen", "language_not_a_tag",
              "received_name_absolute")
    expected = [CASES[name](corpus_copy, outside) for name in chosen]
    result = build(corpus_copy, tmp_path / "output")
    assert result.exit_code == 2
    for code, where, what in expected:
        assert where in result.stderr and what in result.stderr, (code, result.stderr)


def test_links_inside_the_corpus_are_followed(corpus_copy, tmp_path):
    """The other side of C160: a link that stays in the corpus (relative or absolute) is read."""
    (corpus_copy / "editorial").mkdir()
    (corpus_copy / "introduction.md").rename(corpus_copy / "editorial" / "introduction.md")
    link(corpus_copy / "introduction.md", Path("editorial") / "introduction.md")
    sidecar = corpus_copy / f"{LETTER}.toml"
    (corpus_copy / "editorial" / "letter.toml").write_bytes(sidecar.read_bytes())
    link(sidecar, corpus_copy / "editorial" / "letter.toml")
    archive = load(corpus_copy)
    assert archive.introduction == (CORPUS / "introduction.md").read_text(encoding="utf-8")
    letter = next(s for s in archive.sources if s.id == LETTER.split("/")[1])
    assert letter.provenance.received_file_name == "000_9220978b4cf1d6c2.txt"


def test_the_corpus_itself_may_be_a_link(corpus_copy, tmp_path):
    alias = link(tmp_path / "alias", corpus_copy)
    assert len(load(alias).sources) == 5


def test_a_fifo_never_blocks_a_read(tmp_path):
    """O_NONBLOCK: opening a FIFO with no writer returns at once, and it is refused."""
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(files.Refused) as e:
        files.read_bytes(tmp_path / "pipe")
    assert e.value.problem.code == "C162"
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode)


@pytest.mark.parametrize("epoch", ["99999999999999", "-1", "soon", "1e9", "²"])
def test_source_date_epoch_out_of_range(epoch, corpus_copy, tmp_path):
    result = build(corpus_copy, tmp_path / "output", env={"SOURCE_DATE_EPOCH": epoch})
    assert result.exit_code == 2, result.output
    assert "SOURCE_DATE_EPOCH: error V601:" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "output").exists()


def out_inside(c, t):
    return c / "output", "O501", "inside the corpus"


def out_in_sources(c, t):
    return c / "sources", "O501", "inside the corpus"


def out_is_the_corpus(c, t):
    return c, "O501", "inside the corpus"


def out_links_into_corpus(c, t):
    return link(t / "dist", c / "sources"), "O501", "it leads to"


def out_is_a_file(c, t):
    (t / "dist").write_text("a file")
    return t / "dist", "O502", "a file, not a folder"


def out_under_a_file(c, t):
    (t / "dist").write_text("a file")
    return t / "dist" / "editions", "O502", "is a file, not a folder"


def out_dangling_link(c, t):
    return link(t / "dist", t / "nowhere"), "O502", "a symbolic link to nothing"


OUT_CASES = {f.__name__: f for f in (out_inside, out_in_sources, out_is_the_corpus, out_links_into_corpus,
                                     out_is_a_file, out_under_a_file, out_dangling_link)}


@pytest.mark.parametrize("case", OUT_CASES)
def test_out_is_checked_before_anything_is_written(case, corpus_copy, tmp_path):
    out, code, what = OUT_CASES[case](corpus_copy, tmp_path)
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    result = build(corpus_copy, out)
    assert result.exit_code == 2, result.output
    assert f"--out: error {code}:" in result.stderr and what in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before


def test_out_problems_come_with_the_corpus_problems(corpus_copy, outside):
    month_thirteen(corpus_copy, outside)
    result = build(corpus_copy, corpus_copy / "output")
    assert "error O501" in result.stderr and "error C115" in result.stderr and "2 problem(s)" in result.stderr


def test_deposit_checks_out_too(corpus_copy):
    result = CliRunner().invoke(main, ["deposit", str(corpus_copy), "--out", str(corpus_copy / "sources")])
    assert result.exit_code == 2 and "--out: error O501" in result.stderr
    assert not any(p.name.endswith("deposit") for p in (corpus_copy / "sources").iterdir())


def test_a_fault_of_the_tool_is_one_line_and_exit_1(corpus_copy, tmp_path, monkeypatch):
    import builder.build

    def broken(*args, **kwargs):
        raise RuntimeError("simulated fault\nover two lines")
    monkeypatch.setattr(builder.build, "build", broken)
    result = build(corpus_copy, tmp_path / "output")
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "internal error: RuntimeError: simulated fault over two lines" in result.stderr
    assert "--debug" in result.stderr and "Traceback" not in result.output


def test_debug_shows_the_traceback(corpus_copy, tmp_path, monkeypatch):
    import builder.build

    def broken(*args, **kwargs):
        raise RuntimeError("simulated fault")
    monkeypatch.setattr(builder.build, "build", broken)
    result = CliRunner().invoke(main, ["--debug", "build", str(corpus_copy), "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, RuntimeError) and str(result.exception) == "simulated fault"
    assert result.exit_code == 1


def test_bad_input_is_not_a_fault_under_debug(corpus_copy, outside, tmp_path):
    """--debug changes faults of the tool only: a refused corpus is still exit 2 and its message."""
    fifo_source(corpus_copy, outside)
    result = CliRunner().invoke(main, ["--debug", "build", str(corpus_copy), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "error C162" in result.stderr


def test_limits_unknown_key(corpus_copy):
    edit(corpus_copy / "archive.toml", "[pdf]", "[limits]\nsource_megabytes = 3\n\n[pdf]")
    with pytest.raises(CorpusError) as e:
        load(corpus_copy)
    assert [p.code for p in e.value.problems] == ["C166"]
    assert "unknown field 'limits.source_megabytes'" in str(e.value)


def test_a_long_title_without_slug_gets_a_short_slug(corpus_copy):
    edit(corpus_copy / "archive.toml", 'slug = "labour-antisemitism-dispute-2019-2021"\n', "")
    edit(corpus_copy / "archive.toml", 'title = "', 'title = "' + "A very long title " * 20)
    slug = load(corpus_copy).slug
    assert 0 < len(slug) <= 64 and slug.startswith("a-very-long-title-") and not slug.endswith("-")


@pytest.mark.parametrize("title, slug", [
    ("Письма из архива 1934", "pisma-iz-arkhiva-1934"),  # Cyrillic, transliterated
    ("Лист від Ґалі й Євгена", "list-vid-gali-i-yevgena"),
    ("Επιστολές του 1921", "epistoles-tou-1921"),  # Greek
    ("Dispute 2019–2021: Horváth’s letters", "dispute-2019-2021-horvaths-letters"),  # a dash parts, an apostrophe joins
    ("北京档案", "archive"),  # no letter it can write in ASCII: archive.toml's slug names the files
])
def test_a_title_in_another_script_gives_a_readable_slug(corpus_copy, title, slug):
    edit(corpus_copy / "archive.toml", 'slug = "labour-antisemitism-dispute-2019-2021"\n', "")
    edit(corpus_copy / "archive.toml", 'title = "', f'title = "{title}"\nold_title = "')
    text = (corpus_copy / "archive.toml").read_text(encoding="utf-8")
    (corpus_copy / "archive.toml").write_text(re.sub(r'\nold_title = "[^"\n]*"', "", text), encoding="utf-8")
    assert load(corpus_copy).slug == slug


def test_add_refuses_a_fifo_without_waiting(corpus_copy, tmp_path):
    os.mkfifo(tmp_path / "received.txt")
    before = sorted(p.name for p in (corpus_copy / "sources").iterdir())
    result = CliRunner().invoke(main, ["add", str(tmp_path / "received.txt"), "--corpus", str(corpus_copy)])
    assert result.exit_code == 2, result.output
    assert f"{tmp_path}/received.txt: error C162" in result.stderr and "FIFO" in result.stderr
    assert sorted(p.name for p in (corpus_copy / "sources").iterdir()) == before


def test_notes_import_refuses_a_fifo_without_waiting(corpus_copy, tmp_path):
    os.mkfifo(tmp_path / "notes.json")
    result = CliRunner().invoke(main, ["notes", "import", str(tmp_path / "notes.json"), str(corpus_copy)])
    assert result.exit_code == 2 and "error C162" in result.stderr and "FIFO" in result.stderr


def test_notes_import_of_deep_json_is_an_answer(corpus_copy, tmp_path):
    (tmp_path / "deep.json").write_text("[" * 200_000 + "]" * 200_000)
    result = CliRunner().invoke(main, ["notes", "import", str(tmp_path / "deep.json"), str(corpus_copy)])
    assert result.exit_code == 2 and "nested too deeply" in result.stderr, result.output


def test_check_refuses_a_fifo_without_waiting(tmp_path):
    os.mkfifo(tmp_path / "book.epub")
    result = CliRunner().invoke(main, ["check", str(tmp_path / "book.epub")])
    assert result.exit_code == 2 and "not a regular file" in result.output, result.output


def test_a_failed_build_leaves_no_folder_it_made(corpus_copy, tmp_path, monkeypatch):
    import builder.build
    from builder.errors import DamageFound

    def damaged(*args, **kwargs):
        raise DamageFound("simulated: an edition did not read back whole")
    monkeypatch.setattr(builder.build.verify, "editions", damaged)
    result = build(corpus_copy, tmp_path / "new" / "output")
    assert result.exit_code == 1 and "simulated" in result.stderr, result.output
    assert not (tmp_path / "new" / "output").exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "earlier.txt").write_text("an earlier result")
    assert build(corpus_copy, kept).exit_code == 1
    assert [p.name for p in kept.iterdir()] == ["earlier.txt"]


@pytest.mark.parametrize("where, code", [("sources/notes.jsonld", "O501"), ("notes.jsonld", "O501"),
                                         ("..", "O502")])
def test_notes_export_does_not_write_into_the_corpus(where, code, corpus_copy):
    target = corpus_copy / where
    before = sorted(p.name for p in corpus_copy.rglob("*"))
    result = CliRunner().invoke(main, ["notes", "export", str(corpus_copy), "-o", str(target)])
    assert result.exit_code == 2 and f"-o: error {code}" in result.stderr, result.output
    assert sorted(p.name for p in corpus_copy.rglob("*")) == before


def test_a_system_error_is_one_line_naming_the_file(corpus_copy, tmp_path, monkeypatch):
    import errno as errnos

    import builder.build

    def full(*args, **kwargs):
        raise OSError(errnos.ENOSPC, "No space left on device", str(tmp_path / "output" / "x.epub"))
    monkeypatch.setattr(builder.build, "build", full)
    result = build(corpus_copy, tmp_path / "output")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.stderr
    assert f"archive: {tmp_path}/output/x.epub: No space left on device" in result.stderr


def test_usage_problems_name_the_option(corpus_copy, tmp_path):
    (tmp_path / "a.txt").write_text("A.\n")
    result = CliRunner().invoke(main, ["add", str(tmp_path / "a.txt"), "--corpus", str(corpus_copy), "--kind", " "])
    assert result.exit_code == 2 and "--kind: error A319: --kind is blank" in result.stderr, result.output


def test_a_quote_may_hold_what_its_source_holds(corpus_copy):
    """C169 is for editorial text: a note's exact/prefix/suffix quote the source, whatever it holds."""
    edit(corpus_copy / f"{LETTER}.notes.toml", 'exact = "', 'exact = "\\u0000')
    archive = load(corpus_copy)  # loads: the quote is checked against the source when anchored
    notes = next(s for s in archive.sources if s.id == LETTER.split("/")[1]).notes
    assert any(n.selector.exact.startswith("\x00") for n in notes)


@pytest.mark.parametrize("damage", [sources_folder_link_out, archive_toml_link_out])
def test_add_does_not_write_through_a_link_out(damage, corpus_copy, outside, tmp_path):
    code, where, what = damage(corpus_copy, outside)
    before = sorted(str(p) for p in outside.parent.rglob("*"))
    (tmp_path / "received.txt").write_text("A letter.\n")
    result = CliRunner().invoke(main, ["add", str(tmp_path / "received.txt"), "--corpus", str(corpus_copy)])
    assert result.exit_code == 2, result.output
    assert where in result.stderr and what in result.stderr, result.stderr
    assert sorted(str(p) for p in outside.parent.rglob("*")) == before
    assert outside.read_text() == OUTSIDE_TEXT


def test_a_device_in_the_corpus_is_never_opened(corpus_copy, tmp_path):
    """A character device node inside the corpus (as /dev/zero: 1, 5): refused before it is opened."""
    device = corpus_copy / "sources" / "zero.txt"
    try:
        os.mknod(device, stat.S_IFCHR | 0o644, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD (root): the /dev/zero link case covers the rest")
    result = build(corpus_copy, tmp_path / "output")
    assert result.exit_code == 2
    assert f"{device}: error C162" in result.stderr and "a character device" in result.stderr


def test_an_encoded_source_linked_out_is_refused(corpus_copy, outside, tmp_path):
    """Sources read whole (a recorded encoding) go through the same checks as those read in blocks."""
    edit(corpus_copy / f"{LETTER}.toml", "[received]\n", '[received]\nencoding = "windows-1252"\n')
    link(corpus_copy / f"{LETTER}.txt", outside)
    result = build(corpus_copy, tmp_path / "output")
    assert result.exit_code == 2
    assert f"{corpus_copy}/{LETTER}.txt: error C160" in result.stderr, result.stderr
    assert OUTSIDE_TEXT.strip() not in result.output


def test_an_email_source_that_is_a_fifo_is_refused(corpus_copy, tmp_path):
    os.mkfifo(corpus_copy / "sources" / "message.eml")
    result = build(corpus_copy, tmp_path / "output")
    assert result.exit_code == 2
    assert f"{corpus_copy}/sources/message.eml: error C162" in result.stderr, result.stderr

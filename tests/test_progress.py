"""Progress on a terminal, none in a pipe or with --quiet; warnings of one kind summarised, every
one under --verbose; errors always in full; the editions the same bytes whatever is shown."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pikepdf

from builder import progress
from conftest import epubcheck_problems
from corpora import write_corpus

REPO = Path(__file__).resolve().parent.parent
EXTRA = 8  # sources without provenance, beyond the corpus's own: W201 many times over


def small_corpus(root: Path) -> Path:
    """The PDF tests' corpus and EXTRA sources without a sidecar (a W201 each)."""
    write_corpus(root)
    names = [f"extra{i}" for i in range(EXTRA)]
    for name in names:
        (root / "sources" / f"{name}.txt").write_text(f"An extra source, {name}.\n", encoding="utf-8")
    toml = root / "archive.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('"htmlsource"]', '"htmlsource", ' + ", ".join(f'"{n}"' for n in names) + "]"),
                    encoding="utf-8")
    return root


def env() -> dict:
    return {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PYTHONPATH": str(REPO), "TERM": "xterm"}


def in_pipe(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "builder.cli", *map(str, args)], capture_output=True,
                          text=True, env=env(), cwd=REPO, timeout=600)


def on_terminal(*args) -> tuple[int, str]:
    """`archive ARGS` with stdout and stderr on a pseudo-terminal: its exit code and all it wrote."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "builder.cli", *map(str, args)], stdin=subprocess.DEVNULL,
                            stdout=follower, stderr=follower, env=env(), cwd=REPO)
    os.close(follower)
    seen = b""
    while True:  # read as it comes, so that the terminal never fills
        ready, _, _ = select.select([leader], [], [], 600)
        if not ready:
            proc.kill()
            raise AssertionError("no output from the build for 600 s")
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other side closed: the build is over
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    return proc.wait(timeout=600), seen.decode("utf-8", "replace")


def test_progress_on_a_terminal_none_in_a_pipe_same_bytes(tmp_path):
    corpus = small_corpus(tmp_path / "corpus")
    code, shown = on_terminal("build", corpus, "--out", tmp_path / "tty")
    assert code == 0, shown
    for step in ("sources read", "PDF laid out", "PDF read back", "EPUB written", "editions read back"):
        assert f"archive: {step}" in shown, (step, shown)
    assert f"sources read: {5 + EXTRA}/{5 + EXTRA}" in shown
    assert "\r" in shown

    piped = in_pipe("build", corpus, "--out", tmp_path / "pipe")
    assert piped.returncode == 0, piped.stderr
    assert "archive: " not in piped.stderr and "\r" not in piped.stderr + piped.stdout

    code, quiet = on_terminal("--quiet", "build", corpus, "--out", tmp_path / "quiet")
    assert code == 0, quiet
    assert "archive: " not in quiet and "\x1b[K" not in quiet

    for name in ("a-test-archive.epub", "a-test-archive.pdf"):  # progress never reaches an edition
        made = [(tmp_path / out / name).read_bytes() for out in ("tty", "pipe", "quiet")]
        assert made[0] == made[1] == made[2], name
    assert epubcheck_problems(tmp_path / "tty" / "a-test-archive.epub") == []
    with pikepdf.open(tmp_path / "tty" / "a-test-archive.pdf") as pdf:
        assert len(pdf.pages) > 0 and len(pdf.attachments) >= 5 + EXTRA


def test_warnings_summarised_and_verbose_lists_all(tmp_path):
    corpus = small_corpus(tmp_path / "corpus")
    without = {"arabic", "long", "mdsource", "htmlsource", *(f"extra{i}" for i in range(EXTRA))}
    done = in_pipe("build", corpus, "--out", tmp_path / "out", "--format", "epub")
    assert done.returncode == 0, done.stderr
    w201 = [line for line in done.stderr.splitlines() if "W201" in line]
    assert len(w201) == 1, done.stderr  # one line for the kind, not one per source
    assert f"warning W201 ×{len(without)}: no provenance (first 3: " in w201[0]
    assert "--verbose lists all" in w201[0]
    assert w201[0].count(str(corpus / "sources")) == progress.FIRST

    loud = in_pipe("--verbose", "build", corpus, "--out", tmp_path / "loud", "--format", "epub")
    assert loud.returncode == 0, loud.stderr
    listed = [line for line in loud.stderr.splitlines() if "warning W201: no provenance" in line]
    assert sorted(Path(line.split(":")[0]).stem for line in listed) == sorted(without)
    assert "×" not in loud.stderr
    assert "archive: sources read: " in loud.stderr and "archive: EPUB written: " in loud.stderr  # each step
    assert (tmp_path / "out" / "a-test-archive.epub").read_bytes() == \
        (tmp_path / "loud" / "a-test-archive.epub").read_bytes()
    assert epubcheck_problems(tmp_path / "out" / "a-test-archive.epub") == []


def test_errors_are_never_summarised(tmp_path):
    corpus = small_corpus(tmp_path / "corpus")
    toml = corpus / "archive.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(", " + ", ".join(f'"extra{i}"' for i in range(EXTRA)),
                                                             ""), encoding="utf-8")
    done = in_pipe("build", corpus, "--out", tmp_path / "out")
    assert done.returncode == 2
    for i in range(EXTRA):  # every problem, in full: C122 for each source left out of the order
        assert f"source 'extra{i}' is not in the sources list" in done.stderr
    assert "×" not in done.stderr and not (tmp_path / "out").exists()


def test_summary_keeps_few_and_other_kinds_as_they_are():
    lines = [f"s/{i}.txt: warning W201: no provenance (sources/{i}.toml); it builds" for i in range(5)]
    lines.insert(2, "a.md:3: warning L102: a link to nowhere")
    out = progress.warnings(lines)
    assert out == ["warning W201 ×5: no provenance (first 3: s/0.txt, s/1.txt, s/2.txt; --verbose lists all)",
                   "a.md:3: warning L102: a link to nowhere"]
    assert progress.warnings(lines[:3]) == lines[:3]  # FIRST or fewer: as they are
    named = [f"s/{i}.toml: warning S401: '{i}' has no provenance record (--strict refuses this)" for i in "abcd"]
    assert progress.warnings(named) == ["warning S401 ×4: … has no provenance record (first 3: s/a.toml, s/b.toml, "
                                        "s/c.toml; --verbose lists all)"]

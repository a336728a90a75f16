"""The wheel carries the templates, so a plain `pip install` works outside the repository;
every command has help with an example."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import click
import pytest
from conftest import REPO, epubcheck_problems

from builder.cli import main


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    dest = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dest), str(REPO)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return next(dest.glob("annotated_archive-*.whl"))


def test_wheel_carries_templates_and_entry_point(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        entry_points = next(z.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    for template in ("package.opf", "nav.xhtml", "toc.ncx", "source.xhtml", "edition.css"):
        assert f"builder/templates/epub/{template}" in names, template
    assert any(n.startswith("builder/templates/pdf/") for n in names)
    local = {p.relative_to(REPO).as_posix() for p in (REPO / "builder").rglob("*.py")}
    assert local <= names, f"modules missing from the wheel: {sorted(local - names)}"
    assert "archive = builder.cli:entry" in entry_points


def test_installed_wheel_builds_outside_the_repository(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # the wheel alone, offline; its dependencies are the test environment's, seen through a .pth
    # (a path line, whose own .pth files, such as the editable install of this repository, do not run)
    pip = subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                          str(wheel)], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-2000:]
    site = subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    where = subprocess.run([venv / "bin" / "python", "-c", "import builder; print(builder.__file__)"],
                           cwd=work, capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert where.startswith(site) and not where.startswith(str(REPO)), where  # the wheel's, not the checkout's
    proc = subprocess.run([venv / "bin" / "archive", "build", str(REPO / "corpus"), "--out", "out",
                           "--format", "epub"], cwd=work, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    epub = work / "out" / "labour-antisemitism-dispute-2019-2021.epub"
    assert epub.is_file()
    assert epubcheck_problems(epub) == []


def commands(group: click.Group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from commands(cmd, prefix + (name,))


@pytest.mark.parametrize("path", [p for p, _ in commands(main)], ids=lambda p: " ".join(p))
def test_every_command_has_help_with_an_example(path):
    proc = subprocess.run([sys.executable, "-m", "builder.cli", *path, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Example" in proc.stdout, f"`archive {' '.join(path)} --help` shows no example"


def test_every_command_is_documented():
    readme = (REPO / "README.md").read_text()
    for path, cmd in commands(main):
        if not isinstance(cmd, click.Group):
            assert f"archive {' '.join(path)}" in readme, f"README does not mention `archive {' '.join(path)}`"

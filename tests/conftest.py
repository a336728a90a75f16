"""Shared fixtures: corpora copied to temporary folders, built editions, and validators.

Under CI=true a validator that cannot run fails the test; elsewhere it skips with the reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from builder import validators
from builder.build import build
from builder.errors import ValidatorUnavailable

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
DATA = Path(__file__).resolve().parent / "data"
IN_CI = os.environ.get("CI", "").lower() == "true"

# The editions' date is archive.toml's unless SOURCE_DATE_EPOCH is set: a machine that sets it
# must not change what the tests expect. Tests that want it set it themselves (monkeypatch).
os.environ.pop("SOURCE_DATE_EPOCH", None)


def need(action, *args):
    """Run a validator; it must run in CI, and may skip elsewhere."""
    try:
        return action(*args)
    except ValidatorUnavailable as e:
        if IN_CI:
            pytest.fail(f"validator could not run in CI: {e}")
        pytest.skip(str(e))


def unavailable(reason: str) -> None:
    """A validator that is not there: a failure in CI, a skip elsewhere."""
    def missing():
        raise ValidatorUnavailable(reason)
    need(missing)


def tool(name: str) -> str:
    """The path of a command-line validator (pdftotext, gs, ...); it must be installed in CI."""
    path = shutil.which(name)
    if not path:
        unavailable(f"{name} is not installed: apt-get install poppler-utils qpdf ghostscript")
    return path


def all_ran(report):
    """A builder.check Report, once every validator it needed has run (in CI, or the test fails)."""
    if report.unavailable:
        unavailable("; ".join(report.unavailable))
    return report


def epubcheck_problems(path: Path) -> list[str]:
    """EPUBCheck messages of severity FATAL, ERROR or WARNING (must be none)."""
    return [str(m) for m in need(validators.epubcheck, path) if m.severity in ("FATAL", "ERROR", "WARNING")]


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """The default archive, copied to a temporary folder (tests may damage it)."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    for p in dest.rglob("*"):
        if p.is_file():
            p.chmod(0o644)
    return dest


@pytest.fixture(scope="session")
def default_build(tmp_path_factory):
    """The default archive, built once per test run into a temporary folder (both editions)."""
    out = tmp_path_factory.mktemp("output")
    return build(CORPUS, out)


@pytest.fixture(scope="session")
def default_epub(default_build) -> Path:
    return default_build.editions["epub"]


@pytest.fixture(scope="session")
def default_deposit(tmp_path_factory):
    """The default archive's deposit (bag, zip, editions), made once per test run."""
    from builder.deposit import deposit
    return need(deposit, CORPUS, tmp_path_factory.mktemp("deposit"))


def rewrite_zip(src: Path, dest: Path, change) -> Path:
    """Copy a zip (an EPUB, a bag), passing each member through change(name, data) -> bytes | None
    (None drops it): how the tests damage an edition."""
    import zipfile
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info, data)
    return dest

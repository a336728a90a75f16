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
SEEDS = REPO.parent / "shared" / "seeds"
DATA = Path(__file__).resolve().parent / "data"
IN_CI = os.environ.get("CI", "").lower() == "true"


def need(action, *args):
    """Run a validator; it must run in CI, and may skip elsewhere."""
    try:
        return action(*args)
    except ValidatorUnavailable as e:
        if IN_CI:
            pytest.fail(f"validator could not run in CI: {e}")
        pytest.skip(str(e))


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

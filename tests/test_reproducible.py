"""The same inputs give byte-identical editions, whatever the machine's clock, zone and locale."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from conftest import CORPUS, REPO, epubcheck_problems


def build_elsewhere(tmp_path, name, tz, lang, seed, mtime):
    corpus = tmp_path / name / "corpus"
    shutil.copytree(CORPUS, corpus)
    for p in corpus.rglob("*"):
        os.utime(p, (mtime, mtime))
    work = tmp_path / name / "cwd"
    work.mkdir()
    env = {**os.environ, "TZ": tz, "LC_ALL": lang, "LANG": lang, "PYTHONHASHSEED": seed}
    env.pop("SOURCE_DATE_EPOCH", None)
    proc = subprocess.run([sys.executable, "-m", "builder.cli", "build", str(corpus), "--out", "out"],
                          cwd=work, env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return work / "out"


def test_two_builds_are_byte_identical(tmp_path):
    a = build_elsewhere(tmp_path, "a", "UTC", "C.UTF-8", "1", time.time())
    b = build_elsewhere(tmp_path, "b", "Pacific/Chatham", "C", "4242", 1_000_000_000)
    # the editions; not the build cache (OUT/.cache/, builder/cache.py: results kept by their inputs)
    names = sorted(p.name for p in a.iterdir() if p.name != ".cache")
    assert names == sorted(p.name for p in b.iterdir() if p.name != ".cache")
    assert any(n.endswith(".epub") for n in names) and any(n.endswith(".pdf") for n in names)
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert epubcheck_problems(next(a.glob("*.epub"))) == []  # the same bytes in b


def test_source_date_epoch_sets_the_date(tmp_path, monkeypatch):
    from builder.corpus import load
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert load(CORPUS).date.isoformat() == "2023-11-14T22:13:20+00:00"

"""The EPUB's sources made in worker processes (builder/parallel.py) and written from entries
deflated beforehand (builder/zipwrite.py): the same bytes as made one by one in the build's own
process, and as Python's zipfile writes."""

from __future__ import annotations

import hashlib
import io
import random
import zipfile
from pathlib import Path

import pytest

from builder import cache, parallel, zipwrite
from builder.build import build
from builder.errors import CorpusError
from builder.output import zip_entry

from conftest import epubcheck_problems

N = 40


def plain_corpus(folder: Path, n: int = N) -> Path:
    """n plain-text sources imported without sidecars (as a bulk import leaves them)."""
    rng = random.Random(7)
    words = "letter committee report meeting the of and a party statement council".split()
    (folder / "sources").mkdir(parents=True)
    ids = [f"s{i:03d}" for i in range(n)]
    for sid in ids:
        paras = ["  ".join(" ".join(rng.choice(words) for _ in range(rng.randint(5, 40))) for _ in range(3))
                 for _ in range(rng.randint(1, 4))]
        (folder / "sources" / f"{sid}.txt").write_text("\n\n".join(paras) + "\n", encoding="utf-8")
    (folder / "introduction.md").write_text("## About\n\nSources imported in bulk.\n", encoding="utf-8")
    (folder / "archive.toml").write_text(f'''title = "Bulk"
identifier = "urn:uuid:00000000-0000-4000-8000-000000000040"
language = "en"
date = 2026-01-01
publisher = "test"
rights = "Public domain."
description = "Plain text imported in bulk."
sources = {ids!r}
[[editors]]
name = "test"
''', encoding="utf-8")
    return folder


@pytest.fixture
def serial_and_parallel(monkeypatch):
    def run(corpus: Path, out: Path, workers: bool):
        monkeypatch.setattr(parallel, "enabled", workers)
        monkeypatch.setattr(parallel, "LEAST", 1)  # workers even for a few sources
        monkeypatch.setattr(parallel, "cores", lambda: 2)  # and on a machine of one core
        cache.configure(use=False)
        try:
            return build(corpus, out, ("epub",))
        finally:
            cache.configure(use=True)
    return run


def test_sources_made_in_workers_are_the_same_bytes(tmp_path, serial_and_parallel, monkeypatch):
    corpus = plain_corpus(tmp_path / "corpus")
    started = []
    pool = parallel.multiprocessing.get_context("fork").Pool

    def counted_pool(*a, **kw):
        started.append(a)
        return pool(*a, **kw)

    monkeypatch.setattr(parallel.multiprocessing.context.ForkContext, "Pool",
                        lambda self, *a, **kw: counted_pool(*a, **kw))
    one = serial_and_parallel(corpus, tmp_path / "serial", workers=False)
    assert started == []
    two = serial_and_parallel(corpus, tmp_path / "parallel", workers=True)
    assert len(started) == 2  # the sources made, then read back, in workers
    a, b = one.editions["epub"].read_bytes(), two.editions["epub"].read_bytes()
    assert hashlib.sha256(a).hexdigest() == hashlib.sha256(b).hexdigest()
    assert epubcheck_problems(two.editions["epub"]) == []


def test_a_source_that_fails_in_a_worker_is_reported_as_in_a_serial_build(tmp_path, serial_and_parallel):
    corpus = plain_corpus(tmp_path / "corpus", 6)
    page = corpus / "templates" / "epub" / "original.xhtml"
    page.parent.mkdir(parents=True)
    page.write_text('{% extends "epub/base.xhtml" %}{% block body %}<p>{{ source.no_such_field }}</p>'
                    "{% endblock %}\n", encoding="utf-8")
    errors = []
    for workers in (False, True):
        with pytest.raises(CorpusError) as e:
            serial_and_parallel(corpus, tmp_path / f"out-{workers}", workers=workers)
        errors.append(str(e.value))
    assert errors[0] == errors[1]
    assert "T103" in errors[0] and "original.xhtml" in errors[0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_zip_writer_writes_what_zipfile_writes(seed):
    import datetime as dt

    rng = random.Random(seed)
    date = dt.datetime(1975 if seed == 3 else 2026, 1, 1 + seed, 12, 30, 7, tzinfo=dt.timezone.utc)  # 1975: zip's 1980
    entries = [("mimetype", b"application/epub+zip", False)]
    for k in range(30):
        size = rng.choice([0, 1, 100, 5000, 70000])
        data = bytes(rng.choice(b"abc \n\xc3\xa9") for _ in range(size))
        entries.append((rng.choice(["EPUB/text/", "EPUB/originals/", "EPUB/é/"]) + f"f{k}.xhtml", data,
                        rng.random() < 0.8))
    theirs = io.BytesIO()
    with zipfile.ZipFile(theirs, "w") as z:
        for name, data, compress in entries:
            z.writestr(zip_entry(name, date, 0o644, compress), data, compresslevel=zipwrite.LEVEL)
    ours = io.BytesIO()
    w = zipwrite.Writer(ours, date)
    for name, data, compress in entries:
        e = zipwrite.entry(name, data, compress)
        w.add(zipwrite.unpack_all(zipwrite.pack_all([e]))[0])  # as the cache keeps it
    w.close()
    assert ours.getvalue() == theirs.getvalue()
    with zipfile.ZipFile(io.BytesIO(ours.getvalue())) as z:
        assert z.testzip() is None
        assert [z.read(n) for n in z.namelist()] == [d for _, d, _ in entries]


def test_the_zip_writer_refuses_a_name_twice():
    w = zipwrite.Writer(io.BytesIO(), __import__("datetime").datetime(2026, 1, 1))
    w.add(zipwrite.entry("a", b"x"))
    with pytest.raises(ValueError):
        w.add(zipwrite.entry("a", b"y"))


def test_a_first_build_keeps_the_same_cache_entries_made_in_workers_or_here(tmp_path, monkeypatch):
    """A first build (no entry kept yet) digests each source's inputs where the source is made: in a
    worker or here, the same keys and entries; and a rebuild, which digests them all here before
    making anything, finds every one of them."""
    corpus = plain_corpus(tmp_path / "corpus")
    monkeypatch.setattr(parallel, "LEAST", 1)
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    kept, made = {}, {}
    for workers in (False, True):
        monkeypatch.setattr(parallel, "enabled", workers)
        out = tmp_path / f"out-{workers}"
        made[workers] = build(corpus, out, ("epub",)).editions["epub"].read_bytes()
        kept[workers] = {f"{kind.name}/{k}": pack.read_bytes()[offset:offset + 32 + length]
                         for kind in (out / ".cache").iterdir()
                         for k, (pack, offset, length) in cache.entries(out, kind.name).items()}
    assert made[False] == made[True]
    assert kept[False] == kept[True]
    assert sum(1 for name in kept[True] if name.startswith("epub-source/")) == N
    taken: list[str] = []
    get = cache.Store.get
    monkeypatch.setattr(cache.Store, "get", lambda self, kind, k: taken.append(kind) or get(self, kind, k))
    again = build(corpus, tmp_path / "out-True", ("epub",)).editions["epub"].read_bytes()
    assert taken.count("epub-source") == N
    assert again == made[True]

"""The EPUB written while the PDF's parts are joined in a process of their own (builder/build.py
paginated_pdf, builder/writers/pdf_beside.py, builder/parallel.py Beside): the same editions, byte
for byte, as when the EPUB is written after the join; written again when the joined book's page
map is not the one its parts gave; the join's cache entries kept; a failure stops the join."""

from __future__ import annotations

import multiprocessing
import pickle
import shutil

import pytest

from builder import build as build_module, cache, parallel
from builder.build import build
from builder.writers import pdf_beside, pdf_part_text, pdf_parts

from conftest import CORPUS, epubcheck_problems


def both(corpus, out, monkeypatch, beside: bool = True):
    monkeypatch.setattr(pdf_parts, "PART_PAGES", 12)  # the default archive: three parts of sources
    monkeypatch.setattr(build_module, "EPUB_BESIDE_JOIN", beside)
    return build(corpus, out)


def spied_joinings(monkeypatch) -> list:
    made = []
    real = pdf_beside.Joining.__init__

    def spied(self, *args, **kw):
        made.append(self)
        real(self, *args, **kw)

    monkeypatch.setattr(pdf_beside.Joining, "__init__", spied)
    return made


@pytest.fixture(scope="module")
def after(tmp_path_factory):
    """The default archive in parts, its EPUB written after the join."""
    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("after")
    shutil.copytree(CORPUS, tmp / "corpus")
    try:
        built = both(tmp / "corpus", tmp / "out", mp, beside=False)
    finally:
        mp.undo()
    return tmp / "corpus", built


def test_the_epub_written_beside_the_join_is_the_epub_written_after_it(after, tmp_path, monkeypatch):
    corpus, later = after
    joinings = spied_joinings(monkeypatch)
    missed = len(build_module.EARLY_EPUB_MISSED)
    built = both(corpus, tmp_path / "out", monkeypatch)
    assert len(joinings) == 1 and len(build_module.EARLY_EPUB_MISSED) == missed  # joined beside; the EPUB kept
    for kind in ("epub", "pdf"):
        assert built.editions[kind].read_bytes() == later.editions[kind].read_bytes(), kind
    assert epubcheck_problems(built.editions["epub"]) == []


def test_an_epub_whose_page_map_the_joined_book_does_not_give_is_written_again(after, tmp_path, monkeypatch):
    corpus, later = after
    real = pdf_parts.Book.labels

    def wrong(self):  # the parts give a label the joined book does not have
        names = real(self)
        return names[:-1] + ["not-a-label"]

    monkeypatch.setattr(pdf_parts.Book, "labels", wrong)
    writes = []
    real_write = build_module.epub.write
    monkeypatch.setattr(build_module.epub, "write", lambda *a, **k: writes.append(a[3]) or real_write(*a, **k))
    built = both(corpus, tmp_path / "out", monkeypatch)
    assert str(tmp_path / "out") in build_module.EARLY_EPUB_MISSED[-1]
    assert len(writes) == 2 and writes[0] != writes[1]  # the parts' page map, then the book's
    assert built.editions["epub"].read_bytes() == later.editions["epub"].read_bytes()
    assert epubcheck_problems(built.editions["epub"]) == []


def test_a_failure_while_the_parts_are_joined_stops_the_join_and_leaves_nothing(after, tmp_path, monkeypatch):
    corpus, _ = after
    joinings = spied_joinings(monkeypatch)

    def fails(*a, **k):
        raise RuntimeError("the EPUB could not be written")

    monkeypatch.setattr(build_module.epub, "write", fails)
    with pytest.raises(RuntimeError, match="could not be written"):
        both(corpus, tmp_path / "out", monkeypatch)
    assert len(joinings) == 1 and joinings[0].beside.proc is None  # stopped, and waited for
    assert not (tmp_path / "out").exists()
    from builder import verify_pdf
    left = [k for k in [*verify_pdf.BEGUN, *pdf_part_text.JOINED, *pdf_part_text.TEXTS] if str(tmp_path) in k]
    assert left == []  # the match begun before the join stopped; nothing of the book kept
    assert multiprocessing.active_children() == []


def test_what_the_join_beside_keeps_in_the_cache_is_found_by_the_next_build(after, tmp_path, monkeypatch):
    corpus, _ = after
    out = tmp_path / "out"
    both(corpus, out, monkeypatch)
    first = cache.entries(out, "pdf-join-part")
    assert len(first) >= 5  # front, three parts of sources, back
    found = []
    real = cache.Store.found_elsewhere
    monkeypatch.setattr(cache.Store, "found_elsewhere",
                        lambda self, kind, keys: found.append((kind, len(keys))) or real(self, kind, keys))
    again = both(corpus, out, monkeypatch)
    assert ("pdf-join-part", len(first)) in found  # every part's objects found in the forked join
    assert set(cache.entries(out, "pdf-join-part")) == set(first)  # and kept, not dropped as unused
    assert again.editions["pdf"].exists()


# ---------------------------------------------------------------- parallel.Beside

def _double(x):
    return 2 * x


def _fails(message):
    raise ValueError(message)


class _Unpicklable(Exception):
    def __reduce__(self):
        raise pickle.PicklingError("not this one")


def _fails_unpicklably():
    raise _Unpicklable("kept as a message")


@pytest.mark.parametrize("enabled", [True, False])
def test_beside_gives_the_result_or_raises_the_error(enabled, monkeypatch):
    monkeypatch.setattr(parallel, "enabled", enabled)
    job = parallel.Beside(_double, 21)
    assert (job.proc is not None) == (enabled and parallel.cores() > 1)
    assert job.result() == 42
    with pytest.raises(ValueError, match="no luck"):
        parallel.Beside(_fails, "no luck").result()
    with pytest.raises(Exception, match="kept as a message"):
        parallel.Beside(_fails_unpicklably).result()
    assert multiprocessing.active_children() == []

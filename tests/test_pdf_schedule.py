"""The order in which the parts of a book are laid out (builder/writers/pdf_parts.py, Book.lay_out):
the back matter made early, beside the parts made again once every part's length is known, gives
the bytes of a build in one process; if the index's pages it was given turn out otherwise, it is
made again."""

from __future__ import annotations

import hashlib

from builder.build import build
from builder.writers import pdf_parts


def made(corpus, out, monkeypatch, workers: int, batches: list | None = None) -> str:
    monkeypatch.setattr(pdf_parts, "PART_PAGES", 12)  # the default archive: three parts of sources
    monkeypatch.setattr(pdf_parts, "WORKERS", workers)
    if batches is not None:
        real = pdf_parts.Book.make

        def spied(self, parts, datas):
            batches.append([(p.kind, dict(d)) for p, d in zip(parts, datas)])
            return real(self, parts, datas)
        monkeypatch.setattr(pdf_parts.Book, "make", spied)
    path = build(corpus, out, ("pdf",)).editions["pdf"]
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_back_matter_made_early_gives_the_same_book(corpus_copy, tmp_path, monkeypatch):
    serial = made(corpus_copy, tmp_path / "one", monkeypatch, 1)
    batches: list = []
    early = made(corpus_copy, tmp_path / "three", monkeypatch, 3, batches)
    kinds = [[k for k, _ in batch] for batch in batches]
    # three processes: the sources' parts at guessed starts, then those made again with the back matter
    assert any("back" in b and "body" in b for b in kinds), kinds
    assert sum("back" in b for b in kinds) == 1  # not made again: the index's pages were right
    assert early == serial


def test_the_back_matter_is_made_again_if_its_index_pages_were_wrong(corpus_copy, tmp_path, monkeypatch):
    serial = made(corpus_copy, tmp_path / "one", monkeypatch, 1)
    real = pdf_parts.Book._reg_pages
    calls = []

    def wrong_at_first(first, bodies):  # the early guess of the index's pages is off by a page
        reg = real(first, bodies)
        calls.append(1)
        if len(calls) == 1 and reg is not None:
            return {**reg, "someone-not-in-the-register": ["999"]}
        return reg
    monkeypatch.setattr(pdf_parts.Book, "_reg_pages", staticmethod(wrong_at_first))
    batches: list = []
    again = made(corpus_copy, tmp_path / "three", monkeypatch, 3, batches)
    backs = [d for batch in batches for k, d in batch if k == "back"]
    assert len(backs) == 2 and backs[0]["reg_pages"] != backs[1]["reg_pages"]
    assert again == serial

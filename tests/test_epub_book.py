"""The package and the NCX written without jinja2 (builder/writers/epub_book.py) are the bytes their
templates render: for the default corpus, the synthetic and bulk ones, and hostile values in every
field of the archive, of each source, of the page-list and of the images. (The whole EPUB built
both ways: tests/test_epub_pages.py, test_the_epub_is_the_same_bytes_either_way.)"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

from builder import __version__, corpus, describe, templating
from builder.writers import epub_book

from conftest import CORPUS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import synthetic  # noqa: E402

HOSTILE = ['<script>alert(1)</script>', 'a & b "quoted" \'single\'', "]]>", "&amp;", "", "x" * 3,
           "Ünïcödé — ‘quotes’ \u202e", "javascript:alert(1)", "12"]

PAGES = [{"label": "i", "href": "text/titlepage.xhtml#p-1"}, {"label": "3", "href": "text/a.xhtml#p-3"},
         {"label": "2:14", "href": "text/b.xhtml#p-2-14"}, {"label": "<x & y>", "href": 'text/"c".xhtml#p'}]
IMAGES = [{"id": "img-a-1", "href": "images/a-1.png", "media_type": "image/png"},
          {"id": 'x"<&', "href": "images/<b>.jpg", "media_type": "image/jpeg"}]


def agree(ctx: dict, images=(), page_list=(), page_source: str = "", max_page: int = 0) -> None:
    env = templating.environment(None)
    paged = {"page_list": list(page_list), "page_source": page_source, "max_page": max_page}
    rendered = env.get_template("epub/toc.ncx").render(archive=ctx, **paged)
    assert epub_book.ncx(ctx, **paged) == rendered
    rendered = env.get_template("epub/package.opf").render(archive=ctx, images=list(images), **paged)
    assert epub_book.package(ctx, list(images), **paged) == rendered


def context(folder: Path, register: bool | None = None) -> dict:
    archive = corpus.load(folder)
    ctx = describe.archive_context(archive, __version__)
    ctx["register"] = bool(archive.register) if register is None else register
    return ctx


def test_the_default_corpus_with_and_without_pages_and_images():
    ctx = context(CORPUS)
    assert ctx["register"]  # the default corpus has a register: its glossary and index are listed
    for images, pages in itertools.product(((), IMAGES), ((), PAGES)):
        agree(ctx, images, pages, "urn:x:pdf <edition>", 14)
    agree({**ctx, "register": False})


def test_synthetic_and_bulk_corpora(tmp_path):
    for make, folder in ((synthetic.make, tmp_path / "synthetic"), (synthetic.make_bulk, tmp_path / "bulk")):
        make(folder, 3)
        agree(context(folder))
        agree(context(folder), IMAGES, PAGES, "urn:x", 3)


def test_no_sources():
    agree({**context(CORPUS), "sources": []})


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_in_every_field(value):
    ctx = context(CORPUS)
    for key, v in ctx.items():
        if isinstance(v, str):
            agree({**ctx, key: value}, IMAGES, PAGES, value)
    agree({**ctx, "subjects": [value, "b"], "editors": [{"name": value, "role": "editor"},
                                                        {"name": "b", "role": value}]})
    base = ctx["sources"][0]
    for key, v in base.items():
        if isinstance(v, str):
            agree({**ctx, "sources": [{**base, key: value}, *ctx["sources"][1:]]})
    agree({**ctx, "sources": [{**base, "carried_as": "application/xhtml+xml"}]})
    agree(ctx, [{"id": value, "href": value, "media_type": value}], [{"label": value, "href": value}], value)

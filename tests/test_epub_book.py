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


class Marks:
    """A stand-in for epub.Markers: each call a distinct marker, recorded in order."""

    def __init__(self):
        self.calls: list[str] = []

    def __call__(self, where: str):
        from markupsafe import Markup
        self.calls.append(where)
        return Markup(f'<span id="pb-{len(self.calls)}"/>')


def colophon_agrees(ctx: dict, page_list: bool = False, cite: str = "A & B, “Title” <cite>") -> None:
    """The same bytes, the same markers asked for in the same order, and the scan by parts finds
    what the scan of the whole page finds."""
    from builder import inert
    from builder.writers import epub_pages

    a, b = Marks(), Marks()
    rendered = templating.environment(None).get_template("epub/colophon.xhtml").render(
        archive=ctx, pb=a, page_list=page_list, cite=cite)
    scan = epub_pages.Scan()
    written = epub_book.colophon(ctx, page_list, cite, b, scan)
    assert written == rendered
    assert a.calls == b.calls
    assert sorted(set(scan.findings(written))) == sorted(set(inert.active(written, "xhtml")))


def test_the_colophon():
    ctx = context(CORPUS)
    for page_list in (False, True):
        colophon_agrees(ctx, page_list)
    colophon_agrees({**ctx, "sources": [], "editors": []})


@pytest.mark.parametrize("value", HOSTILE)
def test_the_colophon_with_hostile_values(value):
    ctx = context(CORPUS)
    for key, v in ctx.items():
        if isinstance(v, str):
            colophon_agrees({**ctx, key: value}, True, value)
    colophon_agrees({**ctx, "editors": [{"name": value, "role": "editor"}, {"name": "b & c", "role": "x"}]})
    base = ctx["sources"][0]
    for key in ("id", "title", "file_name", "sha256"):
        colophon_agrees({**ctx, "sources": [{**base, key: value}, *ctx["sources"][1:]]})


def nav_agrees(ctx: dict, page_list=(), marker: str = '<span epub:type="pagebreak" id="p-iii"/>') -> None:
    from markupsafe import Markup

    from builder import inert
    from builder.writers import epub_pages

    paged = {"page_list": list(page_list), "page_source": "urn:x", "max_page": 3}
    rendered = templating.environment(None).get_template("epub/nav.xhtml").render(
        archive=ctx, pb=Marks(), contents_marker=Markup(marker), **paged)
    scan = epub_pages.Scan()
    written = epub_book.nav(ctx, contents_marker=Markup(marker), scan=scan, **paged)
    assert written == rendered
    whole, parts = inert.active(written, "xhtml"), scan.findings(written)
    assert bool(whole) == bool(parts), (whole, parts)
    if not any(w.startswith("not well-formed") for w in whole):  # else both say so, each at its own place
        assert set(whole) <= set(parts), (whole, parts)


def test_the_nav():
    ctx = context(CORPUS)
    for pages in ((), PAGES):
        nav_agrees(ctx, pages)
        nav_agrees({**ctx, "register": False}, pages, "")
    nav_agrees({**ctx, "sources": []})


@pytest.mark.parametrize("value", HOSTILE)
def test_the_nav_with_hostile_values(value):
    ctx = context(CORPUS)
    nav_agrees({**ctx, "language": value, "title": value})
    base = ctx["sources"][0]
    for key in ("id", "title"):
        nav_agrees({**ctx, "sources": [{**base, key: value}, *ctx["sources"][1:]]})
    nav_agrees(ctx, [{"label": value, "href": value}])
    nav_agrees(ctx, marker=f"<span>{value}</span>" if "<" not in value else "<script>x()</script>")

"""Each source's pages written without jinja2 (builder/writers/epub_pages.py) are the bytes its
templates render: compared page by page for every source of the default corpus and of the
synthetic one, with hostile values in every field, and whole EPUBs built both ways.
"""

from __future__ import annotations

import hashlib
import itertools
import sys
import zipfile
from pathlib import Path

import pytest
from markupsafe import Markup

from builder import __version__, corpus, describe, inert, templating
from builder.build import build
from builder.writers import epub_pages

from conftest import CORPUS, epubcheck_problems

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import synthetic  # noqa: E402

HOSTILE = ['<script>alert(1)</script>', 'a & b "quoted" \'single\'', "]]>", "&amp;", "", "x" * 3,
           "Ünïcödé — ‘quotes’ \u202e", "javascript:alert(1)"]


class Marks:
    """A stand-in for epub.Markers: each call a distinct marker, recorded in order."""

    def __init__(self):
        self.calls: list[str] = []

    def __call__(self, where: str) -> Markup:
        self.calls.append(where)
        return Markup(f'<span id="pb-{len(self.calls)}"/>')


def both(name: str, ctx: dict, **extra) -> tuple[str, str, list, list, epub_pages.Scan]:
    env = templating.environment(None)
    a, b = Marks(), Marks()
    # the template itself (not templating.render, whose scan refuses the hostile values: compared here
    # is what each writes; the build scans either)
    rendered = env.get_template(f"epub/{name}.xhtml").render(archive=ctx, pb=a, **extra)
    scan = epub_pages.Scan()
    s = extra["source"]
    if name == "source":
        written = epub_pages.source(ctx, s, extra["text"], extra["notes"], b, scan)
    elif name == "provenance":
        written = epub_pages.provenance(ctx, s, extra["cite"], b, scan)
    else:
        written = epub_pages.original(ctx, s, scan)
    return rendered, written, a.calls, b.calls, scan


def pages_agree(ctx: dict, sctx: dict, notes: list | None = None, text: str = "<p>Text.</p>") -> None:
    """The same bytes either way, the same page-break markers asked for in the same order, and the
    scan of the page by its parts finds what the scan of the whole page finds."""
    for name, extra in (("source", {"text": Markup(text), "notes": notes or []}),
                        ("provenance", {"cite": "A & B, “Title” <cite>"}), ("original", {})):
        rendered, written, a, b, scan = both(name, ctx, source=sctx, **extra)
        if written is None:  # not written here (attachments): rendered from the template
            assert name == "provenance" and (sctx["attachments"] or sctx["attached_to"])
            continue
        assert written == rendered, name
        assert a == b, f"{name}: the page-break markers asked for in another order"
        assert sorted(set(scan.findings(written))) == sorted(set(inert.active(written, "xhtml"))), name


def contexts(folder: Path) -> tuple[dict, list[dict]]:
    archive = corpus.load(folder)
    ctx = describe.archive_context(archive, __version__)
    return ctx, [{**s, "direction": "ltr"} for s in ctx["sources"]]


def test_every_source_of_the_default_corpus():
    ctx, sources = contexts(CORPUS)
    for s in sources:
        pages_agree(ctx, s)


def test_synthetic_and_bulk_sources(tmp_path):
    for make, folder in ((synthetic.make, tmp_path / "synthetic"), (synthetic.make_bulk, tmp_path / "bulk")):
        make(folder, 3)
        ctx, sources = contexts(folder)
        for s in sources:
            pages_agree(ctx, s)


def test_hostile_values_in_every_field():
    ctx, sources = contexts(CORPUS)
    base = sources[0]
    values = itertools.cycle(HOSTILE)
    for key, value in base.items():
        if key in ("attachments", "attached_to"):
            continue
        if isinstance(value, str):
            for v in HOSTILE:
                pages_agree({**ctx, "language": next(values)}, {**base, key: v})
        elif isinstance(value, bool):
            pages_agree(ctx, {**base, key: not value})
        elif isinstance(value, int):
            pages_agree(ctx, {**base, key: 1234567})
    people = [{"name": v, "role": r, "certainty": c, "evidence": ev} for v, r, c, ev in
              zip(HOSTILE, ["author", "editor <x>", "author", "translator"], ["stated", "inferred"] * 2, HOSTILE[::-1])]
    for k in range(len(people) + 1):
        pages_agree(ctx, {**base, "author_list": people[:k]})
    for flaws in ([], ["one"], HOSTILE):
        pages_agree(ctx, {**base, "flaws": flaws})
    for direction in ("ltr", "rtl", "auto", "<x>"):
        pages_agree(ctx, {**base, "direction": direction})
    for link, url in (("https://example.org/?a=1&b=2", "https://example.org/?a=1&b=2"), ("", "ftp://x"), ("", "")):
        pages_agree(ctx, {**base, "url_link": link, "url": url})
    for derived, supplied in itertools.product((True, False), repeat=2):
        pages_agree(ctx, {**base, "title_derived": derived, "title_supplied": supplied})


def test_notes_on_the_source_page():
    ctx, sources = contexts(CORPUS)
    notes = [{"number": n, "id": f"s-note-{n}", "ref": f"s-ref-{n}", "kind": kind, "whole": whole, "quote": quote,
              "unseen": unseen, "body": Markup(f"<p>Body {n} &amp; more</p>"), "note_id": f"n{n}", "page": page}
             for n, (kind, whole, quote, unseen, page) in enumerate(
                 [("gloss", False, "a <quote>", "", None), ("condition", True, "", "", None),
                  ("gloss", False, "", "U+00A0 NO-BREAK SPACE", None), ("gloss", False, "q & a", "", 3),
                  ("context", True, "", "", 2)], start=1)]
    for k in range(len(notes) + 1):
        pages_agree(ctx, sources[1], notes[:k])


@pytest.mark.parametrize("folder", [CORPUS], ids=["default"])
def test_the_epub_is_the_same_bytes_either_way(folder, tmp_path, monkeypatch):
    """The default corpus (notes, register, PDF-less page markers) built with the pages written
    here and with every page rendered from its template: the same EPUB."""
    fast = build(folder, tmp_path / "fast", ("epub",)).editions["epub"]
    monkeypatch.setattr(epub_pages, "own", lambda env: False)
    rendered = build(folder, tmp_path / "rendered", ("epub",)).editions["epub"]
    assert hashlib.sha256(fast.read_bytes()).digest() == hashlib.sha256(rendered.read_bytes()).digest()
    assert epubcheck_problems(fast) == []


def test_a_corpus_with_templates_of_its_own_is_rendered_by_them(corpus_copy, tmp_path):
    folder = corpus_copy / "templates" / "epub"
    folder.mkdir(parents=True)
    (folder / "original.xhtml").write_text((templating.packaged_templates() / "epub" / "original.xhtml").read_text(
        encoding="utf-8").replace("It travels inside this EPUB", "It travels (own template) inside this EPUB"),
        encoding="utf-8")
    assert not epub_pages.own(templating.environment(folder.parent))
    made = build(corpus_copy, tmp_path / "out", ("epub",)).editions["epub"]
    with zipfile.ZipFile(made) as z:
        page = next(n for n in z.namelist() if n.endswith("-original.xhtml"))
        assert b"(own template)" in z.read(page)


HOSTILE_MARKUP = ['<script>alert(1)</script>', '<p onclick="x()">a</p>', '<a href="javascript:alert(1)">a</a>',
                  '<a href="https://example.org/">fine</a>', '<img src="http://example.org/x.png" alt=""/>',
                  '<?xml-stylesheet href="x.css"?>', '<p style="background: url(x)">a</p>',
                  '<object data="../originals/x.txt" type="text/html"/>', '<svg:set xmlns:svg="http://www.w3.org/2000/svg" '
                  'attributeName="href" to="x"/>', '<p>unclosed', '</div><script>x()</script><div>', '<p>\u0001</p>',
                  '<a href="java\nscript:alert(1)">a</a>', '<a href=" javascript:x">a</a>', "<p>plain</p>"]


@pytest.mark.parametrize("markup", HOSTILE_MARKUP)
def test_the_scan_by_parts_finds_what_the_whole_page_scan_finds(markup):
    """Whatever the source's text, notes or markers hold, the scan of a written page by its parts
    reports what the scan of the whole page reports (and at least one problem where it has one)."""
    ctx, sources = contexts(CORPUS)
    note = {"number": 1, "id": "s-note-1", "ref": "s-ref-1", "kind": "gloss", "whole": True, "quote": "",
            "unseen": "", "body": Markup(markup), "note_id": "n1", "page": None}
    for text, notes in ((markup, []), ("<p>Text.</p>", [note])):
        rendered, written, _, _, scan = both("source", ctx, source=sources[0], text=Markup(text), notes=notes)
        whole, parts = inert.active(written, "xhtml"), scan.findings(written)
        assert bool(whole) == bool(parts), (markup, whole, parts)
        if not any(w.startswith("not well-formed") for w in whole):
            assert set(whole) <= set(parts), (markup, whole, parts)


@pytest.mark.parametrize("value", ["javascript:alert(1)", "x\u0001y", "../../../etc/passwd", "a\tb\nc", "http://x/"])
def test_the_scan_by_parts_judges_the_corpus_values_in_links(value):
    """A value of the corpus in a link of the tool's own markup (an id, a file name, a web address)
    is judged as the whole page's scan judges it, white space as a parser gives it."""
    ctx, sources = contexts(CORPUS)
    for key in ("id", "file_name", "url_link"):
        sctx = {**sources[0], key: value}
        for name, extra in (("source", {"text": Markup("<p>a</p>"), "notes": []}), ("provenance", {"cite": "c"}),
                            ("original", {})):
            rendered, written, _, _, scan = both(name, ctx, source=sctx, **extra)
            assert written == rendered
            assert sorted(set(scan.findings(written))) == sorted(set(inert.active(written, "xhtml"))), (key, name)

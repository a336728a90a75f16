"""The EPUB in real reading systems (issue 14): epub.js (npm `epubjs`, installed by ./run into
.reading/) in Debian's Chromium through Playwright, and calibre's `ebook-convert` where installed.

What a reader gets: every section shows something (none renders empty), a note opens from its
reference and the back-link returns to it, the page-list reaches its page, and calibre's text
holds every source whole."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from builder import readers

from conftest import REPO, unavailable

READING = REPO / ".reading" / "node_modules"
CHROMIUM = "/usr/bin/chromium"
SHOTS = os.environ.get("READING_SCREENSHOTS", "")  # a folder: save the pictures for docs/images/


@pytest.fixture(scope="module")
def epub(default_build) -> Path:
    return default_build.editions["epub"]


@pytest.fixture(scope="module")
def reader(epub):
    """A page in Chromium holding epub.js with the default EPUB opened, scrolled document flow."""
    if not (READING / "epubjs" / "dist" / "epub.min.js").exists():
        unavailable("epub.js is not installed: ./run setup installs it into .reading/")
    if not Path(CHROMIUM).exists():
        unavailable("Debian's chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (the test extra)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 480, "height": 760})
        # served from an http origin, as a reading app is: from about:blank (origin "null") epub.js
        # resolves a link against "null/EPUB/..." and a note reference leads nowhere
        page.route("http://reader.test/**", lambda r: r.fulfill(
            status=200, content_type="text/html",
            body='<!DOCTYPE html><html><body style="margin:0"><div id="viewer" style="width:480px;height:760px">'
                 '</div></body></html>'))
        page.goto("http://reader.test/")
        page.add_script_tag(path=str(READING / "jszip" / "dist" / "jszip.min.js"))
        page.add_script_tag(path=str(READING / "epubjs" / "dist" / "epub.min.js"))
        data = base64.b64encode(epub.read_bytes()).decode()
        page.evaluate("""async (b64) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            window.book = ePub(bytes.buffer);
            window.rendition = book.renderTo("viewer", {width: 480, height: 760, flow: "scrolled-doc",
                                                        allowScriptedContent: false});
            await book.ready;
            await rendition.display();
        }""", data)
        yield page
        browser.close()


def show(page, href: str) -> None:
    page.evaluate("async (h) => { await rendition.display(h); }", href)
    page.wait_for_timeout(150)


def in_view(page, element_id: str) -> bool:
    """Whether the element is inside the visible part of the viewer (scrolled-doc flow)."""
    return page.evaluate("""(id) => {
        const c = rendition.getContents()[0]; const el = c.document.getElementById(id);
        if (!el) return false;
        const frame = c.document.defaultView.frameElement.getBoundingClientRect();
        const r = el.getBoundingClientRect();
        const box = document.querySelector('#viewer .epub-container').getBoundingClientRect();
        const top = frame.top + r.top;
        return top >= box.top - 2 && top < box.bottom - 10;
    }""", element_id)


def test_no_section_renders_empty(reader):
    hrefs = reader.evaluate("() => book.spine.spineItems.filter(s => s.linear).map(s => s.href)")
    assert len(hrefs) > 10
    empty = []
    for href in hrefs:
        show(reader, href)
        text, images = reader.evaluate("""() => { const b = rendition.getContents()[0].document.body;
            return [b.innerText.trim(), b.querySelectorAll('img, svg').length]; }""")
        if len(text) < 10 and not images:  # the cover is its picture
            empty.append(href)
    assert empty == []


def test_a_note_opens_from_its_reference_and_returns(reader, default_build):
    source = next(s for s in default_build.archive.sources if s.notes)
    show(reader, f"text/{source.id}.xhtml")
    ref = reader.evaluate("""() => { const a = rendition.getContents()[0].document
        .querySelector('.source-text a.noteref'); a.scrollIntoView(); return [a.id, a.getAttribute('href')]; }""")
    ref_id, href = ref
    note_id = href.lstrip("#")
    reader.wait_for_timeout(100)
    assert not in_view(reader, note_id)
    frame = reader.frame_locator("#viewer iframe")
    frame.locator(f"#{ref_id}").click()
    reader.wait_for_timeout(400)
    assert in_view(reader, note_id), "the note reference did not bring its note into view"
    text = reader.evaluate("(id) => rendition.getContents()[0].document.getElementById(id).innerText", note_id)
    assert text.strip()
    if SHOTS:
        reader.screenshot(path=str(Path(SHOTS) / "epubjs-note.png"))
    frame.locator(f"#{note_id} a[role=doc-backlink]").click()
    reader.wait_for_timeout(400)
    assert in_view(reader, ref_id), "the back-link did not return to the reference"
    # the reference's hit area is at least 24 by 24 CSS pixels
    size = reader.evaluate("""(id) => { const r = rendition.getContents()[0].document.getElementById(id)
        .getBoundingClientRect(); return [r.width, r.height]; }""", ref_id)
    assert size[0] >= 24 and size[1] >= 24, size


def test_the_page_list_reaches_a_page(reader):
    pages = reader.evaluate("async () => { await book.loaded.pageList; return book.pageList.pageList"
                            ".map(p => [p.href, p.page]); }")
    assert pages, "no page-list"
    for href, label in (pages[len(pages) // 2], pages[-1]):
        show(reader, href)
        anchor = href.split("#", 1)[1]
        assert in_view(reader, anchor), (href, label)


def test_glossary_and_a_narrow_table(reader):
    show(reader, "text/glossary.xhtml")
    assert reader.evaluate("() => rendition.getContents()[0].document.querySelectorAll('dt').length") >= 5
    if SHOTS:
        reader.screenshot(path=str(Path(SHOTS) / "epubjs-glossary.png"))
    show(reader, "text/colophon.xhtml")
    # at 480 px the fixity table is a list of rows: every SHA-256 is inside the page's width
    overflow = reader.evaluate("""() => { const d = rendition.getContents()[0].document;
        const w = d.documentElement.clientWidth;
        return [...d.querySelectorAll('code.hash')].filter(c => c.getBoundingClientRect().right > w + 1).length; }""")
    assert overflow == 0
    if SHOTS:
        reader.evaluate("""() => rendition.getContents()[0].document.querySelector('table.fixity')
            .scrollIntoView()""")
        reader.screenshot(path=str(Path(SHOTS) / "epubjs-fixity-narrow.png"))


def test_calibre_reads_every_source_whole(epub, default_build, tmp_path):
    convert = shutil.which("ebook-convert")
    if not convert:
        unavailable("calibre is not installed (apt-get install calibre): ebook-convert is missing")
    out = tmp_path / "book.txt"
    env = {**os.environ, "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"}
    subprocess.run([convert, str(epub), str(out)], check=True, capture_output=True, timeout=600, env=env)
    text = " ".join(out.read_text(encoding="utf-8").split())
    for source in default_build.archive.sources:
        doc = readers.read(source)
        for line in doc.text.splitlines():
            words = " ".join(line.split())
            assert words.replace("\u00a0", " ") in text.replace("\u00a0", " "), (source.id, words)


def test_originals_are_in_the_zip_but_not_the_spine(epub):
    with zipfile.ZipFile(epub) as z:
        opf = z.read("EPUB/package.opf").decode()
    assert 'href="originals/' in opf
    assert "itemref idref=\"o-" not in opf

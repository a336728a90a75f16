"""The web edition: built from the corpus, read back whole, and used in a real browser (Debian's
Chromium driven by Playwright): search, note pop-ups, links, axe-core; and `archive preview`."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, REPO, unavailable
from corpora import write_corpus

from builder import corpus, verify_web
from builder.cli import main
from builder.web import build_site
from builder.writers.web import html_of

AXE = REPO / ".tools" / "node_modules" / "@daisy" / "axe-core-for-ace" / "axe.min.js"
LETTER = "butler-letter-to-jlm"


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The default archive's web edition, built once."""
    return build_site(CORPUS, tmp_path_factory.mktemp("web"))


def copy_site(site, tmp_path) -> Path:
    dest = tmp_path / f"site-{len(list(tmp_path.iterdir()))}"
    shutil.copytree(site.folder, dest)
    return dest


# -- the site, read back -------------------------------------------------------------------------

def test_site_holds_every_source_and_note(site):
    archive = corpus.load(CORPUS)
    assert verify_web.findings(archive, site.folder) == []
    for source in archive.sources:
        assert (site.folder / "originals" / source.file_name).read_bytes() == source.read_bytes()
        page = (site.folder / f"{source.id}.html").read_text(encoding="utf-8")
        assert page.count('role="doc-footnote"') == len(source.notes)
        assert "<p/>" not in page and "epub:type" not in page  # HTML, not XHTML, for the browser
    assert (site.folder / "pagefind" / "pagefind-ui.js").is_file() and site.searchable
    glossary = (site.folder / "glossary.html").read_text(encoding="utf-8")
    glosses = sum(1 for s in archive.sources for n in s.notes if n.kind == "gloss")
    assert glossary.split('<dl class="glosses">', 1)[1].count("<dt id=") == glosses > 0


def test_the_register_has_its_glossary_and_index_as_in_the_epub(site, default_epub):
    """The corpus register's entries are described once on the glossary page; the notes, the
    introduction and the sources' register links point at them; the index of people and
    organisations links back to the same places as the EPUB's index (each link resolves:
    verify_web's W105 reads every link of the site)."""
    import zipfile
    from lxml import html as lxml_html
    archive = corpus.load(CORPUS)
    assert archive.register
    glossary = lxml_html.parse(str(site.folder / "glossary.html"))
    assert {e.id for e in archive.register} <= set(glossary.xpath("//dt/@id"))
    names = lxml_html.parse(str(site.folder / "names.html"))
    web_index = {li.get("id"): [a.get("href").replace(".html#", "#") for a in li.xpath("a")[1:]]
                 for li in names.xpath("//li[starts-with(@id, 'index-')]")}
    with zipfile.ZipFile(default_epub) as z:
        epub_names = lxml_html.fromstring(z.read("EPUB/text/index.xhtml"))
    epub_index = {li.get("id"): [a.get("href").replace(".xhtml#", "#") for a in li.xpath("a")[1:]]
                  for li in epub_names.xpath("//li[starts-with(@id, 'index-')]")}
    assert web_index == epub_index and sum(map(len, web_index.values())) > 5
    assert 'href="glossary.xhtml' not in "".join(p.read_text(encoding="utf-8") for p in site.folder.glob("*.html"))


def test_markdown_html_and_awkward_text_read_back(tmp_path):
    root = write_corpus(tmp_path / "c")
    built = build_site(root, tmp_path / "out")
    archive = corpus.load(root)
    assert {s.format for s in archive.sources} == {"txt", "md", "html"}
    assert verify_web.findings(archive, built.folder) == []


def test_a_corpus_cannot_put_script_in_the_site(tmp_path, corpus_copy):
    """A corpus is untrusted: a javascript: URL in provenance, script in an HTML source or a note."""
    sid = corpus.load(corpus_copy).sources[0].id
    sidecar = corpus_copy / "sources" / f"{sid}.toml"
    sidecar.write_text(sidecar.read_text(encoding="utf-8").replace(
        "[origin]\n", '[origin]\nurl = "javascript:alert(1)"\n', 1), encoding="utf-8")
    assert corpus.load(corpus_copy).sources[0].provenance.url == "javascript:alert(1)"
    notes = corpus_copy / "sources" / f"{sid}.notes.toml"
    notes.write_text(notes.read_text(encoding="utf-8").replace(
        'body = "', 'body = "[x](javascript:alert(2)) <script>alert(3)</script> <img src=x onerror=alert(4)> ', 1),
        encoding="utf-8")
    (corpus_copy / "sources" / "page.html").write_text(
        '<p onclick="alert(5)">Text<script>alert(6)</script><a href="javascript:alert(7)">link</a></p>')
    toml = corpus_copy / "archive.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("sources = [\n", 'sources = [\n  "page",\n'))
    built = build_site(corpus_copy, tmp_path / "out")
    assert "<code>javascript:alert(1)</code>" in (built.folder / f"{sid}-provenance.html").read_text()  # as text
    for page in built.folder.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", text, re.I), page.name
        assert not re.search(r"<script(?! src=\"(js/notes\.js|pagefind/pagefind-ui\.js|js/search\.js)\")", text)
        assert not re.search(r"<[^>]+\son[a-z]+=", text), page.name


def test_a_figure_of_a_document_is_on_its_page(tmp_path, monkeypatch):
    """Images a reader gives (page facsimiles, figures) are written beside the pages and shown."""
    import struct
    import zlib

    from builder import document, readers
    from builder.readers import markdown

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))))
           + chunk(b"IEND", b""))

    def with_figure(data, source=None):
        doc = markdown.read(data, source)
        return document.Document(doc.text, doc.blocks + (document.Figure(0, "A red square"),), kind="md",
                                 images=(document.Image("page-1.png", "image/png", png),))

    monkeypatch.setitem(readers.READERS, "md", with_figure)
    root = write_corpus(tmp_path / "c")
    built = build_site(root, tmp_path / "out")
    assert (built.folder / "images" / "mdsource-1.png").read_bytes() == png
    page = (built.folder / "mdsource.html").read_text(encoding="utf-8")
    assert '<img src="images/mdsource-1.png" alt="A red square"' in page
    assert verify_web.findings(corpus.load(root), built.folder) == []  # the image's link resolves


def test_same_corpus_same_bytes(site, tmp_path):
    again = build_site(CORPUS, tmp_path)
    files = sorted(p.relative_to(site.folder) for p in site.folder.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again.folder) for p in again.folder.rglob("*") if p.is_file())
    assert all((site.folder / f).read_bytes() == (again.folder / f).read_bytes() for f in files)


def test_html_of_closes_non_void_elements():
    assert html_of('<p/><td a="x"/><br/><span epub:type="pagebreak" id="p1"/>') == \
        '<p></p><td a="x"></td><br/><span id="p1"></span>'
    assert html_of('<a class="noteref" epub:type="noteref" href="#n1">1</a>') == \
        '<a class="noteref" data-pagefind-ignore href="#n1">1</a>'


# -- the read-back has teeth ---------------------------------------------------------------------

def damaged(site, tmp_path, rel: str, change) -> list[str]:
    folder = copy_site(site, tmp_path)
    path = folder / rel
    if change is None:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    else:
        path.write_bytes(change(path.read_bytes()))
    return [str(f) for f in verify_web.findings(corpus.load(CORPUS), folder)]


def test_a_dropped_word_is_found(site, tmp_path):
    def drop_a_word(page: bytes) -> bytes:
        start = page.index(f'id="{LETTER}-text"'.encode())
        at = page.index(b" the ", start)
        return page[:at] + page[at + 4:]
    found = damaged(site, tmp_path, f"{LETTER}.html", drop_a_word)
    assert any("W102" in f and LETTER in f for f in found), found


def test_a_changed_original_is_found(site, tmp_path):
    name = corpus.load(CORPUS).sources[0].file_name
    found = damaged(site, tmp_path, f"originals/{name}", lambda b: b + b" ")
    assert any("W103" in f for f in found), found


def test_a_lost_note_is_found(site, tmp_path):
    found = damaged(site, tmp_path, f"{LETTER}.html",
                    lambda b: re.sub(rb'<aside [^>]*data-note-id="jlm">.*?</aside>', b"", b, flags=re.S))
    assert any("W104" in f and "'jlm'" in f for f in found), found


def test_a_broken_link_is_found(site, tmp_path):
    found = damaged(site, tmp_path, "index.html", lambda b: b.replace(f'href="{LETTER}.html"'.encode(),
                                                                      b'href="no-such-page.html"', 1))
    assert any("W105" in f and "no-such-page.html" in f for f in found), found
    found = damaged(site, tmp_path, f"{LETTER}.html", lambda b: b.replace(b'href="#butler-letter-to-jlm-note-2"',
                                                                          b'href="#nowhere"', 1))
    assert any("W105" in f and "#nowhere" in f for f in found), found


def test_a_missing_search_index_is_found(site, tmp_path):
    found = damaged(site, tmp_path, "pagefind", None)
    assert any("W106" in f for f in found), found


def test_archive_check_reads_a_web_edition(site, tmp_path):
    ok = CliRunner().invoke(main, ["check", str(site.folder)])
    assert ok.exit_code == 0 and "against its register" in ok.output, ok.output
    ok = CliRunner().invoke(main, ["check", str(site.folder), "--corpus", str(CORPUS)])
    assert ok.exit_code == 0, ok.output
    folder = copy_site(site, tmp_path)
    original = next((folder / "originals").iterdir())
    original.write_bytes(original.read_bytes().replace(b" ", b"  ", 1))
    bad = CliRunner().invoke(main, ["check", str(folder.parent)])  # an output folder holding the site
    assert bad.exit_code == 1 and "W103" in bad.output and original.name in bad.output, bad.output


def test_build_format_web_from_the_command_line(tmp_path):
    result = CliRunner().invoke(main, ["build", str(CORPUS), "--out", str(tmp_path), "--format", "web"])
    assert result.exit_code == 0, result.output
    slug = tomllib.loads((CORPUS / "archive.toml").read_text(encoding="utf-8"))["slug"]
    assert (tmp_path / f"{slug}-web" / "index.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{slug}-web"]  # no staging left behind


# -- in a real browser -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed: pip install -e .[test]")
    chromium = shutil.which("chromium")
    if not chromium:
        unavailable("Debian's chromium is not installed: apt-get install chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def served(site):
    """The site on a free loopback port, as a library's web server would serve it."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site.folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def axe_violations(page) -> list:
    if not AXE.is_file():
        unavailable(f"axe-core is not installed ({AXE}): ./run setup installs DAISY Ace, which ships it")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                         ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html)}))")


def phrase_of(source_id: str) -> str:
    """Three words from the middle of a source, as a reader might remember them."""
    words = re.findall(r"[A-Za-z]{5,}", corpus.load(CORPUS).sources[0].read_text() if not source_id else
                       next(s for s in corpus.load(CORPUS).sources if s.id == source_id).read_text())
    return " ".join(words[len(words) // 2: len(words) // 2 + 3])


def test_search_finds_a_phrase_from_a_source(browser, served):
    page = browser.new_page()
    page.goto(served + "search.html")
    phrase = phrase_of(LETTER)
    page.fill("#search input", phrase)
    page.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
    links = page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => e.getAttribute('href'))")
    assert any(LETTER in (href or "") for href in links), (phrase, links)
    # a passage with a note: the words after it follow it in the index, with no note number between
    source = next(s for s in corpus.load(CORPUS).sources if s.id == LETTER)
    text = source.read_text()
    exact = max((n.selector.exact for n in source.notes if len(n.selector.exact.split()) >= 3
                 and text.count(n.selector.exact) == 1), key=len)
    after = text[text.index(exact) + len(exact):].split()[:3]
    phrase = " ".join(exact.split()[-2:] + after).strip(".,;:")
    indexed = page.evaluate("""async (phrase) => {
        const pagefind = await import("./pagefind/pagefind.js");
        const found = await pagefind.search(phrase);
        const pages = await Promise.all(found.results.map(r => r.data()));
        return pages.map(p => [p.url, p.content]);
    }""", phrase)
    content = next(c for url, c in indexed if url.endswith(f"{LETTER}.html"))
    assert phrase in " ".join(content.split()), phrase
    assert axe_violations(page) == []  # the search page with its results


def test_a_note_opens_as_a_pop_up(browser, served):
    notes = tomllib.loads((CORPUS / "sources" / f"{LETTER}.notes.toml").read_text(encoding="utf-8"))["notes"]
    note = next(n for n in notes if n["id"] == "jlm")
    page = browser.new_page()
    page.goto(served + f"{LETTER}.html")
    number = page.get_attribute('aside[data-note-id="jlm"]', "id").rsplit("-", 1)[1]
    assert page.locator(".note-popup").count() == 0
    page.click(f"#{LETTER}-ref-{number}")
    popup = page.locator(".note-popup")
    popup.wait_for(state="visible", timeout=5000)
    words = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", note["body"])  # a Markdown link shows its words
    assert " ".join(words.split())[:60] in " ".join(popup.inner_text().split())
    assert page.evaluate("document.activeElement.className") == "note-popup"
    assert axe_violations(page) == []  # with the pop-up open
    page.keyboard.press("Escape")
    assert page.locator(".note-popup").count() == 0
    assert page.evaluate("document.activeElement.id") == f"{LETTER}-ref-{number}"


def test_every_page_loads_whole_and_passes_axe(browser, served, site):
    page = browser.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.on("pageerror", lambda e: failed.append(str(e)))
    for html in sorted(site.folder.glob("*.html")):
        page.goto(served + html.name)
        if html.name == "search.html":
            continue  # with its results, in test_search_finds_a_phrase_from_a_source
        assert axe_violations(page) == [], html.name
    assert failed == []


def test_search_from_the_disk_says_how_to_serve_it(browser, site):
    page = browser.new_page()
    page.goto((site.folder / "search.html").as_uri())
    assert page.is_visible("#search-file")
    assert "python3 -m http.server" in page.inner_text("#search-file")


# -- archive preview ------------------------------------------------------------------------------

def listening_addresses(port: int) -> set[str]:
    """The local addresses a TCP port listens on (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_preview_shows_an_edit_without_a_rebuild(browser, corpus_copy):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "builder.cli", "preview", str(corpus_copy), "--port", "0",
                             "--interval", "0.2", "--no-search"], stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=env, cwd=REPO)
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line or proc.poll() is None, "preview stopped"
            m = re.search(r"(http://127\.0\.0\.1:(\d+)/)", line)
            if m:
                url, port = m.group(1), int(m.group(2))
        assert url, "preview gave no address"
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only, nothing beyond loopback
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/index.html", headers={"Host": f"attacker.example:{port}"})
        assert conn.getresponse().status == 403  # DNS rebinding: another name for this address
        conn.close()
        page = browser.new_page()
        page.goto(url + f"{LETTER}.html")
        marker = "Edited in the preview test"
        assert marker not in page.content()
        notes = corpus_copy / "sources" / f"{LETTER}.notes.toml"
        text = notes.read_text(encoding="utf-8")
        notes.write_text(text.replace('body = "[The Jewish Labour Movement](#register:jlm) (JLM)',
                                      f'body = "{marker}. [The Jewish Labour Movement](#register:jlm) (JLM)', 1),
                         encoding="utf-8")
        page.wait_for_function(f"document.body.innerText.includes({marker!r})", timeout=15000)
        notes.write_text(text.replace('exact = "Jewish Labour Movement"', 'exact = "Jewish Labour Movemen X"', 1),
                         encoding="utf-8")  # a note that cannot be placed: the page shows the problem
        page.wait_for_function("document.body.innerText.includes('N201')", timeout=15000)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, err
    assert "stopped" in err


def test_preview_refuses_a_folder_without_a_corpus(tmp_path):
    result = CliRunner().invoke(main, ["preview", str(tmp_path)])
    assert result.exit_code == 2 and "archive init" in result.output

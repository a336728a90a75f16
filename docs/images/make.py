"""Pictures of the three editions of the default archive, for docs/tutorial.md and docs/web.md.

Run from the repository: `.venv/bin/python docs/images/make.py`. Needs Debian's chromium
(through Playwright) and poppler's pdftoppm. Builds into a temporary folder; writes only the
PNG files beside this script.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import tempfile
import threading
import zipfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from builder.build import build
from builder.web import build_site

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "corpus"
SOURCE = "butler-letter-to-jlm"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        editions = build(CORPUS, tmp / "out").editions
        site = build_site(CORPUS, tmp / "out").folder
        with zipfile.ZipFile(editions["epub"]) as z:
            z.extractall(tmp / "epub")
        first = pdf_page_with(editions["pdf"], "Dear Jewish Labour Movement")
        subprocess.run(["pdftoppm", "-png", "-r", "90", "-f", str(first), "-l", str(first), "-singlefile",
                        str(editions["pdf"]), str(HERE / "pdf-page")], check=True)
        handler = functools.partial(Quiet, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 900, "height": 700})
            page.goto(url + f"{SOURCE}.html")
            page.click(f"#{SOURCE}-ref-2")
            page.wait_for_selector(".note-popup")
            page.screenshot(path=str(HERE / "web-source.png"))
            page.goto(url + "search.html")
            page.fill("#search input", "trade unions")
            page.wait_for_selector(".pagefind-ui__result-link")
            page.screenshot(path=str(HERE / "web-search.png"))
            page = browser.new_page(viewport={"width": 520, "height": 720})
            page.goto((tmp / "epub" / "EPUB" / "text" / f"{SOURCE}.xhtml").as_uri())
            page.screenshot(path=str(HERE / "epub-source.png"))
            browser.close()
        server.shutdown()


def pdf_page_with(pdf: Path, text: str) -> int:
    """The number of the first page of pdf whose text holds text."""
    pages = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return next(k for k, page in enumerate(pages.split("\f"), 1) if text in " ".join(page.split()))


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    main()

"""`archive preview`: the web edition served on the loopback address, built again on every change.

`serve(corpus, port, ...)` builds the web edition into a temporary folder, serves it on
127.0.0.1 only (never another interface), and looks at the corpus every `interval` seconds (the
size and modification time of every file: polling works on every file system). When something
changed it builds the site again (the whole site: about a second for a few dozen sources) and
the page in the browser reloads itself: each HTML page is served with a small script that asks
/__preview__/version and reloads when it changes. A corpus that does not load is shown as its
list of problems until it is corrected. Ctrl-C stops the server and removes the folder.
Nothing is written into the corpus or the output folder.
"""

from __future__ import annotations

import html
import shutil
import signal
import tempfile
import threading
import time
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from .errors import ArchiveError, UsageError

HOST = "127.0.0.1"
RELOAD_JS = b"""(function () {
  var seen = null;
  function look() {
    fetch("/__preview__/version", {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (v) {
      if (seen !== null && v !== seen) { location.reload(); }
      seen = v;
    }).catch(function () {}).finally(function () { setTimeout(look, 500); });
  }
  look();
})();
"""
RELOAD_TAG = b'<script src="/__preview__/reload.js"></script>'


class Preview:
    """The state shared by the watcher and the request handlers."""

    def __init__(self, corpus: Path, search: bool, say: Callable[[str], None]):
        self.corpus = Path(corpus)
        self.search = search
        self.say = say
        self.work = Path(tempfile.mkdtemp(prefix="archive-preview-"))
        self.site = self.work / "site"
        self.version = 0
        self.error = ""  # the problems of the last build, "" when it succeeded
        self.lock = threading.Lock()

    def build(self) -> None:
        from .web import build_site
        started = time.monotonic()
        try:
            built = build_site(self.corpus, self.work, search=self.search, folder=self.site)
            error = ""
            message = f"built {built.pages} pages in {time.monotonic() - started:.1f} s"
        except ArchiveError as e:
            error = str(e)
            message = f"the corpus has problems; the page shows them:\n{error}"
        with self.lock:
            self.error = error
            self.version += 1
        self.say(message)

    def close(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def fingerprint(folder: Path) -> tuple:
    """What changes when a file of the corpus is written, added, removed or renamed."""
    found = []
    try:
        for p in sorted(folder.rglob("*")):
            try:
                st = p.stat()
            except OSError:
                continue
            found.append((str(p), st.st_size, st.st_mtime_ns, p.is_dir()))
    except OSError:
        pass
    return tuple(found)


def handler_for(state: Preview) -> type:
    """Requests: the site, with the reload script in each page; refused unless addressed to the
    loopback by its own name (Host 127.0.0.1:PORT or localhost:PORT)."""
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(state.site), **kwargs)

        def log_message(self, format: str, *args) -> None:  # quiet: the terminal shows builds only
            pass

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def do_GET(self) -> None:
            port = self.server.server_address[1]
            if self.headers.get("Host", "") not in (f"{HOST}:{port}", f"localhost:{port}"):
                # another name for this address (DNS rebinding): a web page elsewhere must not read it
                return self.send_error(HTTPStatus.FORBIDDEN, "preview answers only to 127.0.0.1 and localhost")
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path == "/__preview__/version":
                return self._send(str(state.version).encode(), "text/plain; charset=utf-8")
            if path == "/__preview__/reload.js":
                return self._send(RELOAD_JS, "text/javascript; charset=utf-8")
            with state.lock:
                error = state.error
            if path.endswith("/") or path.endswith(".html"):
                if error:
                    return self._send(error_page(error), "text/html; charset=utf-8")
                file = Path(self.translate_path(path))
                file = file / "index.html" if file.is_dir() else file
                if file.is_file():
                    body = file.read_bytes()
                    at = body.rfind(b"</body>")
                    body = body[:at] + RELOAD_TAG + body[at:] if at >= 0 else body + RELOAD_TAG
                    return self._send(body, "text/html; charset=utf-8")
            return super().do_GET()

        def _send(self, body: bytes, mime: str) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", mime)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def error_page(error: str) -> bytes:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>The corpus has problems</title>'
            f'</head><body><main><h1>The corpus has problems</h1><p>Correct them and save: this page reloads '
            f'when the corpus builds.</p><pre>{html.escape(error)}</pre></main>{RELOAD_TAG.decode()}</body></html>'
            ).encode("utf-8")


def serve(corpus: Path, port: int = 8000, interval: float = 0.5, search: bool = True,
          say: Callable[[str], None] = print, ready: Callable[[str], None] | None = None,
          stop: threading.Event | None = None) -> None:
    """Serve until Ctrl-C (or until stop is set). ready(url) is called once the server listens."""
    corpus = Path(corpus)
    if not (corpus / "archive.toml").is_file():
        raise UsageError(f"{corpus}: not a corpus (no archive.toml); make one with `archive init {corpus}`")
    state = Preview(corpus, search, say)
    try:
        state.build()
        try:
            server = ThreadingHTTPServer((HOST, port), handler_for(state))
        except OSError as e:
            raise UsageError(f"cannot listen on {HOST}:{port}: {e.strerror or e}; choose another --port "
                             "(0: any free port)") from e
        server.daemon_threads = True
        url = f"http://{HOST}:{server.server_address[1]}/"
        say(f"Serving the web edition of {corpus} at {url} (this computer only). Ctrl-C stops.")
        stop = stop or threading.Event()
        if threading.current_thread() is threading.main_thread():  # `kill` stops it as cleanly as Ctrl-C
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
        watcher = threading.Thread(target=_watch, args=(state, interval, stop), daemon=True)
        watcher.start()
        serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        serving.start()
        if ready:
            ready(url)
        try:
            while not stop.wait(0.2):
                pass
        except KeyboardInterrupt:
            say("stopped")
        finally:
            stop.set()
            server.shutdown()
            server.server_close()
    finally:
        state.close()


def _watch(state: Preview, interval: float, stop: threading.Event) -> None:
    seen = fingerprint(state.corpus)
    while not stop.wait(interval):
        now = fingerprint(state.corpus)
        if now != seen:
            time.sleep(min(interval, 0.2))  # let an editor's save finish (write, then rename)
            seen = fingerprint(state.corpus)
            state.say("the corpus changed: building again")
            state.build()

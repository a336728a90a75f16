"""The read-back's text of a PDF edition made in parts (builder/writers/pdf_parts.py; docs/pdf.md,
"A book in parts"): each part's pages read with pdftotext as soon as the part is made, beside the
lay-out of the others (PartReader), kept in the cache by the part's key, and gathered into the
book's pages for the read-back (page_texts), or for its match begun before the join (begin_match).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from .. import cache, pdf_reading

if TYPE_CHECKING:
    from .pdf_parts import Part


def text_key(part: Part) -> str:
    """The cache key of a part's text: the key of its PDF."""
    return cache.key("pdf-part-text", part.key)


READ_NICENESS = 10  # the parts' read-back runs at this niceness (Unix): the lay-out goes first
SPLIT_PAGES = 24  # a part read alone is read in pieces of at least this many pages, one a core


class PartReader:
    """The read-back's text of each part (pdftotext -raw), read from the part's own PDF as soon as
    the part is made at its final start, in threads (a pdftotext process each, at most one per CPU),
    while other parts are laid out and the parts are joined. The join copies every page of a part
    into the book unchanged (its content streams, resources and fonts), so the part's text is the
    text of its pages in the book; a part whose text was kept in the cache is not read again."""

    def __init__(self, folder: Path, on: bool = True):
        from concurrent.futures import ThreadPoolExecutor
        self.folder = folder
        self.pool = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1))
        self.reads: dict[int, object] = {}  # part number -> Future of its pages' text (None: not read)
        self.tool = shutil.which("pdftotext") if on else None  # None: no part is read here
        self.scanned: dict[str, list[str]] = {}  # a part's SHA-256 -> what the active-content scan found

    def read(self, part: Part, store, ready=None) -> None:
        """Read the part's text (once ready, a Future, is done: its PDF's facts checked)."""
        if part.number in self.reads or self.tool is None or part.path is None or store.has("pdf-part-text", text_key(part)):
            return
        self.folder.mkdir(exist_ok=True)
        first, n = (2 if part.pad else 1), part.pages - (1 if part.pad else 0)
        # a part read while no other is: in pieces, one a core (a rebuild's one part, a book's last)
        alone = all(future.done() for future in self.reads.values())
        ways = max(1, min(os.cpu_count() or 1, n // SPLIT_PAGES)) if alone else 1
        self.reads[part.number] = self.pool.submit(self._copy_and_read, part.path, first, n, ways, ready)

    def _copy_and_read(self, path: Path, first: int, n: int, ways: int = 1, ready=None) -> list[str] | None:
        """The part's pages' text, read from a copy without its output intent (builder/pdf_reading.py;
        made here, when it is read, so that copies waiting to be read take no disk)."""
        from .. import inert
        if ready is not None:
            ready.result()
        copy = self.folder / f"reading-{path.name}"
        try:  # the active-content scan too, here: beside the next part's lay-out, not before it
            self.scanned[digest_of(path)] = inert.pdf_active(path)
        except Exception:  # scanned again by pdf_parts.Book.active, which says what fails
            pass
        try:
            if not pdf_reading.without_output_intents(path, copy):  # then the part as it is
                shutil.copyfile(path, copy)
            return self._read(copy, first, n, ways)
        except (OSError, subprocess.SubprocessError, ValueError):  # read from the book instead
            copy.unlink(missing_ok=True)
            return None

    def _read(self, copy: Path, first: int, n: int, ways: int = 1) -> list[str] | None:
        """Pages first.. first + n - 1 of copy, read by `ways` pdftotext processes at once (a piece each)."""
        try:
            if n == 0:
                return []
            ways = max(1, min(ways, n))  # no piece without a page
            cuts = [first + n * k // ways for k in range(ways + 1)]
            procs = [pdf_reading.pdftotext(self.tool, copy, a, b - 1) for a, b in zip(cuts, cuts[1:])]
            for proc in procs:
                try:  # below the lay-out's priority: it reads on a core the lay-out leaves idle
                    os.setpriority(os.PRIO_PROCESS, proc.pid, READ_NICENESS)
                except (OSError, AttributeError):
                    pass
            outs: list[bytes | None] = [None] * len(procs)

            def wait(k: int) -> None:  # each piece's output drained as it is written
                try:
                    outs[k] = pdf_reading.finished(procs[k])
                except subprocess.TimeoutExpired:
                    outs[k] = None

            others = [threading.Thread(target=wait, args=(k,)) for k in range(1, len(procs))]
            for thread in others:
                thread.start()
            wait(0)
            for thread in others:
                thread.join()
            if any(out is None for out in outs):
                return None  # read from the book
            pages = [page for out in outs for page in pdf_reading.pages(out)]
            return pages if len(pages) == n else None  # None: read from the book
        finally:
            copy.unlink(missing_ok=True)

    def finish(self) -> dict[int, list[str] | None]:
        """Every text read (waiting for those still being read)."""
        self.pool.shutdown(wait=True)
        return {number: future.result() for number, future in self.reads.items()}


# ---------------------------------------------------------------- the read-back's text, by part

READ_BACK: dict[str, list[tuple[str, int, int, list[str] | None]]] = {}  # a book just made (its path) -> its parts
ACTIVE: dict[str, list[str]] = {}  # a book just made (its path) -> what the active-content scan found in its parts
TEXTS: dict[str, list[str]] = {}  # a book just made (its path) -> its pages' text, when begin_match gathered it
JOINED: dict[str, object] = {}  # a book just made (its path) -> its read-back's facts (verify_pdf.Facts), read where it was joined


def forget(path: Path) -> None:
    """Nothing kept of the book at path (its read-back took what it needed, or the build failed)."""
    for kept in (READ_BACK, ACTIVE, TEXTS, JOINED):
        kept.pop(str(path), None)


def page_texts(path: Path, store=None) -> list[str] | None:
    """The text of every page of the book at path (pdftotext -raw), read part by part: a part's
    pages read from the book in parallel processes (at most one per CPU), or found in the cache
    when the same part was read before. None for a PDF not made in parts (the read-back reads it)."""
    ranges = READ_BACK.pop(str(path), None)
    at_hand = TEXTS.pop(str(path), None)
    if at_hand is not None:  # gathered for the match begun before the join (begin_match)
        return at_hand
    tool = shutil.which("pdftotext")
    if ranges is None or tool is None:
        return None
    store = store or cache.Store(None)
    texts, todo = part_texts(ranges, store)
    if not todo:
        return [page for part in texts for page in part]

    def read(i: int) -> list[str]:
        _key, first, n, _read = ranges[i]
        if n == 0:
            return []
        out = pdf_reading.finished(pdf_reading.pdftotext(tool, book, first + 1, first + n))
        return pdf_reading.pages(out) if out is not None else None

    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    with tempfile.TemporaryDirectory(prefix="archive-read-") as tmp, pdf_reading.to_read(path, Path(tmp)) as book, \
            ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        for i, pages in zip(todo, pool.map(read, todo)):
            if pages is None or len(pages) != ranges[i][2]:
                return None  # the read-back reads the whole book itself, and says what failed
            texts[i] = pages
            store.put("pdf-part-text", ranges[i][0], json.dumps(pages, ensure_ascii=False).encode())
    return [page for part in texts for page in part]


def digest_of(path: Path) -> str:
    """The SHA-256 of the file at path (hex)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def begin_match(book, archive, ranges, path: Path) -> None:
    """The read-back's match of every source (builder/verify_pdf.py Matching), begun before the join
    when every part's text is at hand: the joined book's pages are the parts' pages in order, and its
    outline their outlines (the read-back checks that it gives the same spans, else matches again)."""
    from .. import verify_pdf

    pages = texts_at_hand(ranges, book.store)
    if pages is None:
        return
    entries, offset = [], 0
    for part in book.parts:
        first = 1 if part.pad else 0
        for title, at in part.outline:
            page = offset + at - first if at is not None and at >= first else None
            entries.append(verify_pdf.Entry(title, page))
        offset += part.pages - first
    if offset == len(pages):
        verify_pdf.begin(path, archive, pages, entries, book.store)
        TEXTS[str(path)] = pages


def texts_at_hand(ranges, store) -> list[str] | None:
    """Every page's text, from the parts read while the book was made or from the cache; None if a
    part's must be read from the joined book."""
    texts, todo = part_texts(ranges, store)
    return None if todo else [page for part in texts for page in part]


def part_texts(ranges, store) -> tuple[list[list[str] | None], list[int]]:
    """Each part's pages' text: as read from the part's own PDF while the book was made (kept in
    the cache), or from the cache; and the parts that have neither, to read from the book."""
    texts: list[list[str] | None] = [None] * len(ranges)
    todo = []
    for i, (key, _first, _n, read_before) in enumerate(ranges):
        if read_before is not None:
            texts[i] = read_before
            store.put("pdf-part-text", key, json.dumps(read_before, ensure_ascii=False).encode())
        elif (data := store.get("pdf-part-text", key)) is not None:
            texts[i] = json.loads(data)
        else:
            todo.append(i)
    return texts, todo

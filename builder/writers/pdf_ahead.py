"""The join's work on the sources' parts, done while the parts after them are laid out (docs/pdf.md,
"A book in parts").

Typst keeps about 1.3 of this machine's 2 cores busy while it lays out a part; the join
(builder/pdf_stream_join.py) then took about 2 s of a 1,000-source PDF's 15 s, writing each part's
objects at the numbers the parts before it give. The sources' parts are numbered first (the front
matter, made last, after them), so a source part's numbers are known as soon as every source part
before it is made at its final start: from then on a worker process, below the lay-out's priority,
writes its objects (pdf_stream_join._part) into the build folder. At the join, a part written so is
taken if it is the same part (its SHA-256), at the same numbers, and every value of the book it
looked up (pdf_stream_join._Seen: the outline's neighbour) is the same; else it is written again
there. The same bytes either way (tests/test_pdf_parts.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import parallel

NICENESS = 10  # below the lay-out's: it takes the core Typst leaves idle
WAIT = 0.0  # seconds finish() waits for a part still being written (tests wait, to know what is taken)


@dataclass
class Written:
    """What the worker wrote of part k: at these numbers (off, next_key), from the part's bytes (sha);
    what it looked up of the book (log). Its objects are in a file (blob: _write's layout), not held
    here: at 20,000 sources their offsets alone, as Python lists, took about 0.9 GiB."""
    sha: str
    off: int
    next_key: int
    log: list
    blob: str


@dataclass
class Taken:
    """The parts written ahead (part index -> Written), given to the join (pdf_stream_join.join)."""
    written: dict[int, Written] = field(default_factory=dict)
    facts: dict[str, tuple] = field(default_factory=dict)  # a part's SHA-256 -> pdf_stream_join._facts

    def usable(self, k: int, sha: str, off: int, next_key: int, book: dict) -> bool:
        """Was part k written from these bytes, at these numbers, with these values of the book?"""
        from ..pdf_stream_join import _Seen
        w = self.written.get(k)
        return w is not None and (w.sha, w.off, w.next_key) == (sha, off, next_key) and _Seen.same(book, w.log)

    def take(self, k: int, sha: str, off: int, next_key: int, book: dict):
        """(pdf_stream_join._Made, its log) of part k if it was written from these bytes at these
        numbers, with the values of the book it looked up; else (None, None). Its file is removed."""
        from ..pdf_stream_join import _Seen
        w = self.written.pop(k, None)
        if w is None:
            return None, None
        try:
            if (w.sha, w.off, w.next_key) != (sha, off, next_key) or not _Seen.same(book, w.log):
                return None, None
            return _read(Path(w.blob)), w.log
        finally:
            Path(w.blob).unlink(missing_ok=True)


class Ahead:
    """The source parts sent, in order, to a worker process as each becomes ready (send), and what
    it wrote (finish)."""

    def __init__(self, folder: Path, licence: str | None, store):
        self.folder, self.licence, self.store = Path(folder) / "ahead", licence, store
        self.pool = None
        self.sent: dict[int, object] = {}  # part index -> AsyncResult
        self.done = 0  # the source parts sent (or found in the cache)
        self.off, self.key = 7, 0  # the next source part's numbers (pdf_stream_join.numbering)
        self.where: dict = {}  # where the labels of the parts not yet told to the worker landed
        self.failed = False

    @staticmethod
    def wanted() -> bool:
        return parallel.enabled and parallel.cores() >= 2 and "forkserver" in multiprocessing.get_all_start_methods()

    def send(self, parts: list) -> None:
        """Send the source parts (pdf_parts.Part, all of the book's, in order: the front matter
        first, the back matter last) whose turn has come: each made at its final start, its facts
        read (part.joined), those before it sent."""
        from ..pdf_join import Piece
        from ..pdf_stream_join import _entry_key, _facts, part_where
        bodies = parts[1:-1]
        while not self.failed and self.done < len(bodies):
            k = self.done + 1
            part = parts[k]
            if part.made_at != part.start or part.path is None:
                return
            if part.joined is None and part.cached:  # from the cache: its facts (kept there too)
                sha = hashlib.sha256(part.path.read_bytes()).hexdigest()
                part.joined = (sha, *_facts(part.path, sha, self.store))
            if part.joined is None:
                return
            sha, size, nums, ends, next_key = part.joined
            piece = Piece(part.path, part.pad, _targets(part))
            off, start = self.off, self.key
            self.off, self.key, self.done = off + size, start + next_key, k
            # where its labels landed, for the parts after it (the worker keeps them: it writes in order)
            for name, value in part_where(piece, off, nums[1:] if part.pad else nums).items():
                self.where.setdefault(name, value)
            if self.store.has("pdf-join-part", _entry_key(sha, k, piece, off, start)):
                continue  # written before at these numbers: the join finds it in the cache
            task = (k, str(part.path), part.pad, piece.targets, off, start, self.licence, str(self.folder / f"part-{k}.blob"))
            try:
                self.sent[k] = self._pool().apply_async(_write, (task, self.where))
            except Exception:  # noqa: BLE001  (nothing more written ahead: the join writes the rest)
                self.failed = True
                return
            self.where = {}

    def _pool(self):
        """A worker forked from the sessions' fork server (builder/writers/pdf_sessions.py), not from
        the build's process: a fork of the build taken while one of its threads starts a pdftotext
        would hold that process's error pipe open, and the thread would wait for it (found as a
        hang one run in three)."""
        if self.pool is None:
            from . import pdf_sessions
            self.folder.mkdir(exist_ok=True)
            self.pool = pdf_sessions.server_context().Pool(1, initializer=_below)
        return self.pool

    def finish(self, parts: list) -> Taken:
        """What the worker has written (a part not written yet, or that failed, is written by the
        join, in processes at the lay-out's priority: nothing is waited for); the worker ended.
        With every part's facts, as read when it was made (the join reads them from the part else)."""
        taken = Taken(facts={p.joined[0]: tuple(p.joined[1:]) for p in parts if p.joined is not None})
        for k, result in self.sent.items():
            result.wait(WAIT)
            if result.ready() and result.successful():
                taken.written[k] = Written(*result.get())
        self.close()
        return taken

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None
        self.sent.clear()


def _targets(part) -> dict:
    return {t[0]: (t[1], t[2], t[3], t[4]) for t in part.info["targets"]}


def _below() -> None:
    try:
        os.nice(NICENESS)
    except (OSError, AttributeError):
        pass


_WHERE: dict = {}  # in the worker: where the labels of the parts sent before landed


def _write(task: tuple, where: dict) -> tuple:
    """In the worker: part k's objects written at its numbers (from the bytes it reads once); the
    book's values it may look up: where the labels of the parts before it landed (and its own)."""
    from ..pdf_join import Piece
    from ..pdf_stream_join import _part, _Seen, pack
    for name, value in where.items():
        _WHERE.setdefault(name, value)
    k, path, pad, targets, off, next_key, licence, blob = task
    data = Path(path).read_bytes()
    seen = _Seen({"where": _WHERE, "prev": {}, "next": {}, "npages": None, "licence": licence})
    made = _part(Piece(io.BytesIO(data), pad, targets), k, off, next_key, seen)
    log = json.loads(json.dumps(seen.log))
    Path(blob).write_bytes(pack(made, log))
    return hashlib.sha256(data).hexdigest(), off, next_key, log, blob


def _read(path: Path):
    """The pdf_stream_join._Made that _write wrote into path."""
    from ..pdf_stream_join import unpack
    return unpack(path.read_bytes())[0]

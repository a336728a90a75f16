"""The parts of the PDF edition joined in a process of their own, and the joined book read there
for its read-back (builder/verify_pdf.py facts), while the build writes the EPUB with the page map
that the parts give (builder/build.py; docs/pdf.md, "A book in parts").

The join (builder/pdf_stream_join.py) reads the build's cache and adds to it. In the forked process
it reads the same cache (os.pread: safe from any process); what it would add is written to a spool
file and put in the cache here once the join is done, and the entries it found are marked found
here (Store.finish keeps only what a build used or made).
"""

from __future__ import annotations

import pickle
from pathlib import Path

from .. import parallel


class Recording:
    """The build's cache as a forked process uses it: read as it is, added to through a spool file."""

    def __init__(self, store, spool: Path):
        self.store, self.spool = store, spool
        self.folder = store.folder
        self.found: dict[str, list[str]] = {}
        self.file = None

    def get(self, kind: str, k: str) -> bytes | None:
        data = self.store.get(kind, k)
        if data is not None:
            self.found.setdefault(kind, []).append(k)
        return data

    def has(self, kind: str, k: str) -> bool:
        return self.store.has(kind, k)

    def put(self, kind: str, k: str, data: bytes) -> None:
        if self.folder is None:
            return
        if self.file is None:
            self.file = open(self.spool, "wb")  # noqa: SIM115  (closed in _join)
        pickle.dump((kind, k, data), self.file, protocol=pickle.HIGHEST_PROTOCOL)


class Joining:
    """join(pieces, out, licence, attach, store=..., written=...) under way in another process, and
    then(out) there once the book is joined (the read-back's facts of the book: verify_pdf.facts)."""

    def __init__(self, join, pieces, out: Path, licence, attach, store, spool: Path, then):
        self.store, self.spool = store, spool
        self.beside = parallel.Beside(_join, join, pieces, out, licence, attach, Recording(store, spool), then)

    def finish(self) -> tuple[list[int], object]:
        """Wait for the join; what it added to the cache, put there; the parts it wrote again, and
        what then(out) gave."""
        written, found, after = self.beside.result()
        for kind, keys in sorted(found.items()):
            self.store.found_elsewhere(kind, keys)
        if self.spool.exists():
            with open(self.spool, "rb") as f:
                while True:
                    try:
                        kind, k, data = pickle.load(f)
                    except EOFError:
                        break
                    self.store.put(kind, k, data)
            self.spool.unlink()
        return written, after

    def abandon(self) -> None:
        self.beside.abandon()


def reader(archive, name: str):
    """What the join's process reads of the joined book for the read-back (verify_pdf.facts; name:
    the book's file name, which its findings give)."""
    from functools import partial

    from .. import verify_pdf
    return partial(verify_pdf.facts, archive=archive, where=name)


def _join(join, pieces, out: Path, licence, attach, recording: Recording, then) -> tuple[list[int], dict, object]:
    written: list[int] = []
    try:
        join(pieces, out, licence, attach, store=recording, written=written)
    finally:
        if recording.file is not None:
            recording.file.close()
    return written, recording.found, then(out)

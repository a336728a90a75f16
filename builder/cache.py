"""Made before: the results of a build's costly steps, kept in OUT/.cache/ and found again by
the SHA-256 of everything they are made from (docs/performance.md, "Incremental builds").

A result is stored under a key; the key is `key(...)` of every input it depends on (source
bytes, sidecars, notes, register, templates, fonts, options), and every key also holds the
fingerprint of the tool itself (its version and the bytes of the builder package and the
packaged templates), so a changed tool never reuses what an older one made. A cache is never
stale by construction: nothing is looked up by name or time, only by the hash of its inputs.

    store = cache.open(out)                  # a Store; Store(None) when --no-cache
    k = cache.key("epub-source", source.sha256, notes_json, template_hash)
    data = store.get("epub", k)              # bytes, or None
    if data is None:
        data = make(); store.put("epub", k, data)
    store.finish()                           # after a build that succeeded: drop what it did not use

The cache is written only to the output folder, never to the corpus. A corrupt or missing
entry is a miss (it is made again), never an error: each entry carries its own SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from . import __version__

FOLDER = ".cache"  # in OUT
enabled = True  # `archive build --no-cache` sets it False: every result made again, nothing stored


def configure(*, use: bool = True) -> None:
    global enabled
    enabled = use


def key(*parts: object) -> str:
    """The SHA-256 (hex) of parts, each length-prefixed so that no two lists give the same key;
    str, bytes, int, None, Path (its bytes) and nested tuples/lists are accepted."""
    h = hashlib.sha256(fingerprint().encode())
    _feed(h, parts)
    return h.hexdigest()


def _feed(h, part: object) -> None:
    if isinstance(part, (tuple, list)):
        h.update(b"L%d:" % len(part))
        for p in part:
            _feed(h, p)
        return
    if isinstance(part, Path):
        data = b"P" + part.read_bytes()
    elif isinstance(part, bytes):
        data = b"B" + part
    elif part is None:
        data = b"N"
    elif isinstance(part, (str, int, float, bool)):
        data = b"S" + repr(part).encode("utf-8", "surrogatepass")
    else:
        raise TypeError(f"cache.key: cannot hash a {type(part).__name__}")
    h.update(b"%d:" % len(data))
    h.update(data)


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """The tool's version and the SHA-256 of its own code and packaged templates."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256(__version__.encode())
    roots = [here, here.parent / "templates"]
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(root)).encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


class Store:
    """Entries in folder/<kind>/<key[:2]>/<key>; folder None: a store that keeps nothing."""

    def __init__(self, folder: Path | None, pending: Path | None = None):
        self.folder = folder
        self.pending = pending  # where a build's new entries wait until it has succeeded (finish)
        self.new: list[tuple[Path, Path]] = []  # (waiting, final)
        self.used: set[Path] = set()
        self.kinds: set[str] = set()  # the kinds of entry this build looked up or made
        self.hits = 0
        self.misses = 0
        self.made: set[Path] = set()  # folders made (or found) by put and finish

    def _path(self, kind: str, k: str) -> Path:
        assert self.folder is not None
        return self.folder / kind / k[:2] / k

    def _waiting(self, kind: str, k: str) -> Path:
        assert self.pending is not None
        return self.pending / kind / k[:2] / k

    def get(self, kind: str, k: str) -> bytes | None:
        if self.folder is None:
            return None
        self.kinds.add(kind)
        path = self._path(kind, k)
        try:
            raw = self._waiting(kind, k).read_bytes() if self.pending is not None and \
                self._waiting(kind, k).is_file() else path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        digest, data = raw[:32], raw[32:]
        if hashlib.sha256(data).digest() != digest:  # damaged: made again
            self.misses += 1
            return None
        self.used.add(path)
        self.hits += 1
        return data

    def has(self, kind: str, k: str) -> bool:
        """Is there an entry (not read: get may still find it damaged)?"""
        return self.folder is not None and self._path(kind, k).is_file()

    def put(self, kind: str, k: str, data: bytes) -> None:
        if self.folder is None:
            return
        self.kinds.add(kind)
        path = final = self._path(kind, k)
        if self.pending is not None:  # kept only if the build succeeds
            path = self._waiting(kind, k)
            self.new.append((path, final))
            # the staging folder is this build's alone, and goes whole if the build fails: written
            # in place (a file made and renamed for each of 10,000 entries was a second of a build)
            self._folder(path.parent)
            with path.open("wb") as f:
                f.write(hashlib.sha256(data).digest())
                f.write(data)
            self.used.add(final)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(hashlib.sha256(data).digest())
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.used.add(final)

    def _folder(self, folder: Path) -> None:
        if folder not in self.made:
            folder.mkdir(parents=True, exist_ok=True)
            self.made.add(folder)

    def finish(self) -> None:
        """After a build that succeeded: of the kinds of entry it looked up or made, remove every
        entry it did not use, so that the cache holds the last build's results and no more (the
        entries of an edition not built this time, e.g. the PDF's under --format epub, stay)."""
        if self.folder is None:
            return
        whole = self._move_new_kinds()
        for waiting, final in self.new:  # what this build made joins the cache
            if waiting.parent.parent.name in whole:
                continue
            try:
                self._folder(final.parent)
                os.replace(waiting, final)
            except FileNotFoundError:
                pass
        self.new.clear()
        if not self.folder.is_dir():
            return
        for kind in sorted(self.kinds - whole):  # a kind moved whole holds only what this build made
            for path in (self.folder / kind).rglob("*"):
                if path.is_file() and path not in self.used:
                    path.unlink(missing_ok=True)

    def _move_new_kinds(self) -> set[str]:
        """The kinds of entry this build made that the cache had no folder for (a first build): each
        moved in at once, its folder renamed (10,000 entries renamed one by one were about a second
        of a first build of the EPUB, and their empty folders another)."""
        if self.pending is None or self.folder is None:
            return set()
        whole = set()
        for kind in sorted({waiting.parent.parent.name for waiting, _ in self.new}):
            if not (self.pending / kind).is_dir() or os.path.lexists(self.folder / kind):
                continue
            self.folder.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(self.pending / kind, self.folder / kind)
            except OSError:  # moved entry by entry, as any other
                continue
            whole.add(kind)
        return whole


def open(out: Path, pending: Path | None = None) -> Store:  # noqa: A001  (cache.open, as the module is read)
    """The store of output folder out; one that keeps nothing under --no-cache. pending: a folder
    where new entries wait until finish() (a build's staging folder: a failed build keeps nothing)."""
    if not enabled:
        return Store(None)
    return Store(Path(out) / FOLDER, Path(pending) / FOLDER if pending is not None else None)


def clear(out: Path) -> None:
    shutil.rmtree(Path(out) / FOLDER, ignore_errors=True)

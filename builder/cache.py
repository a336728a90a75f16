"""Made before: the results of a build's costly steps, kept in OUT/.cache/ and found again by
the SHA-256 of everything they are made from (docs/performance.md, "Incremental builds").

A result is stored under a key (in a pack file of its kind: Store); the key is `key(...)` of every input it depends on (source
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
import threading
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
    """The entries of each kind kept in pack files: folder/<kind>/<name>.pack holds entries one
    after another, each its SHA-256 then its bytes, and folder/<kind>/index says where each key's
    entry is (a line an entry: key, pack, offset, length). A build's new entries are appended to one
    pack a kind, in the staging folder (pending) until finish(); so a first build of 10,000 sources
    writes a file a kind, not a file an entry (creating 10,000 files after others were deleted cost
    ext4 seconds of system time). folder None: a store that keeps nothing."""

    INDEX = "index"
    HEADER = "annotated-archive cache index 1"

    def __init__(self, folder: Path | None, pending: Path | None = None):
        self.folder = folder
        self.pending = pending  # where a build's new entries wait until it has succeeded (finish)
        self.kinds: set[str] = set()  # the kinds of entry this build looked up or made
        self.hits = 0
        self.misses = 0
        self._lock = threading.RLock()  # a put or a get is safe from any thread
        self._kept: dict[str, dict[str, tuple[str, int, int]]] = {}  # kind -> key -> (pack, offset, length)
        self._used: dict[str, set[str]] = {}  # kind -> keys of kept entries this build found whole
        self._new: dict[str, dict[str, tuple[int, int]]] = {}  # kind -> key -> (offset, length) in its new pack
        self._writing: dict[str, tuple[Path, int, int]] = {}  # kind -> (new pack, fd, its length so far)
        self._reading: dict[Path, int] = {}  # pack -> fd

    # -- looking up --------------------------------------------------------------------------------

    def get(self, kind: str, k: str) -> bytes | None:
        if self.folder is None:
            return None
        with self._lock:
            self.kinds.add(kind)
            data = self._read(kind, k)
            if data is None:
                self.misses += 1
            else:
                self.hits += 1
            return data

    def has(self, kind: str, k: str) -> bool:
        """Is there an entry (not read: get may still find it damaged)?"""
        if self.folder is None:
            return False
        with self._lock:
            return k in self._new.get(kind, ()) or k in self._index(kind)

    def _read(self, kind: str, k: str) -> bytes | None:
        new = self._new.get(kind, {}).get(k)
        if new is not None:
            path, fd, _ = self._writing[kind]
            return _whole(os.pread(fd, new[1] + 32, new[0]))
        where = self._index(kind).get(k)
        if where is None:
            return None
        pack, offset, length = where
        try:
            data = _whole(os.pread(self._fd(self.folder / kind / pack), length + 32, offset))
        except OSError:
            return None
        if data is not None:
            self._used.setdefault(kind, set()).add(k)
        return data

    def _index(self, kind: str) -> dict[str, tuple[str, int, int]]:
        """The kept entries of kind, from its index (read once); none if it is missing or damaged."""
        kept = self._kept.get(kind)
        if kept is None:
            kept = self._kept[kind] = _read_index(self.folder / kind / self.INDEX)
        return kept

    def _fd(self, pack: Path) -> int:
        fd = self._reading.get(pack)
        if fd is None:
            fd = self._reading[pack] = os.open(pack, os.O_RDONLY)
        return fd

    def holds(self, kind: str) -> bool:
        """Does the store keep any entry of this kind (from an earlier build)?"""
        return self.folder is not None and bool(self._index(kind))

    def found_elsewhere(self, kind: str, keys: list[str]) -> None:
        """Entries that a process forked from this build found whole in this store (its reads are
        os.pread, safe from any process; builder/writers/pdf_beside.py): kept as if found here."""
        if self.folder is None:
            return
        with self._lock:
            self.kinds.add(kind)
            kept = self._index(kind)
            self._used.setdefault(kind, set()).update(k for k in keys if k in kept)
            self.hits += len(keys)

    # -- keeping -----------------------------------------------------------------------------------

    def put(self, kind: str, k: str, data: bytes) -> None:
        if self.folder is None:
            return
        with self._lock:
            self.kinds.add(kind)
            if kind not in self._writing:
                self._writing[kind] = self._open_pack(kind)
            path, fd, size = self._writing[kind]
            entry = hashlib.sha256(data).digest() + data
            os.write(fd, entry)  # unbuffered: a forked worker never flushes it twice
            self._new.setdefault(kind, {})[k] = (size, len(data))
            self._writing[kind] = (path, fd, size + len(entry))

    def _open_pack(self, kind: str) -> tuple[Path, int, int]:
        """This build's new pack of kind: in the staging folder (a failed build keeps nothing), else
        beside the kind's packs under a name no index holds until finish()."""
        if self.pending is not None:
            self.pending.mkdir(parents=True, exist_ok=True)
            path = self.pending / f"{kind}.pack"
        else:
            (self.folder / kind).mkdir(parents=True, exist_ok=True)
            path = self.folder / kind / f".{os.urandom(6).hex()}.part"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        return path, fd, 0

    def finish(self) -> None:
        """After a build that succeeded: each kind of entry it looked up or made keeps what this build
        used or made and no more (its index is written anew); a pack of which less than half is
        still used is copied into this build's and removed, so that the cache stays near the size of
        the last build's results. Kinds this build did not touch (the PDF's under --format epub)
        stay as they were."""
        if self.folder is None:
            return
        with self._lock:
            for kind in sorted(self.kinds):
                self._finish(kind)
            self.close()

    def _finish(self, kind: str) -> None:
        folder = self.folder / kind
        now: dict[str, tuple[str, int, int]] = {}
        kept = self._index(kind)
        used = self._used.get(kind, set()) - set(self._new.get(kind, ()))
        live: dict[str, int] = {}
        for k in used:
            pack, offset, length = kept[k]
            live[pack] = live.get(pack, 0) + length + 32
        for pack, size in sorted(live.items()):  # mostly dead: what is used of it copied into the new pack
            try:
                whole = (folder / pack).stat().st_size
            except OSError:
                whole = 0
            if size * 2 < whole:
                for k in sorted(k for k in used if kept[k][0] == pack):
                    data = self._read(kind, k)
                    if data is not None:
                        self.put(kind, k, data)
                used = {k for k in used if kept[k][0] != pack}
        for k in used:
            now[k] = kept[k]
        if kind in self._writing:
            path, fd, _ = self._writing.pop(kind)
            os.close(fd)
            name = f"{os.urandom(6).hex()}.pack"
            folder.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(path, folder / name)
            except OSError:  # another file system
                shutil.move(path, folder / name)
            for k, (offset, length) in self._new.pop(kind, {}).items():
                now[k] = (name, offset, length)
        if not now:
            shutil.rmtree(folder, ignore_errors=True)
            return
        _write_index(folder / self.INDEX, now)
        named = {pack for pack, _, _ in now.values()} | {self.INDEX}
        for path in folder.iterdir():  # packs no entry is in any longer, and what a failed write left
            if path.name not in named:
                self._forget(path)
                path.unlink(missing_ok=True)
        self._kept[kind] = now

    def _forget(self, pack: Path) -> None:
        fd = self._reading.pop(pack, None)
        if fd is not None:
            os.close(fd)

    def close(self) -> None:
        """Close every pack this store has open (finish does; a failed build's store is dropped)."""
        with self._lock:
            for fd in self._reading.values():
                os.close(fd)
            self._reading.clear()
            for path, fd, _ in self._writing.values():
                os.close(fd)
            self._writing.clear()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001  (at exit, os may be gone)
            pass


def _whole(raw: bytes) -> bytes | None:
    """An entry's bytes, if its SHA-256 still matches them (else it is damaged: made again)."""
    digest, data = raw[:32], raw[32:]
    return data if len(raw) >= 32 and hashlib.sha256(data).digest() == digest else None  # short: damaged too


def _read_index(path: Path) -> dict[str, tuple[str, int, int]]:
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    if not lines or lines[0] != Store.HEADER:
        return {}
    kept = {}
    for line in lines[1:]:
        fields = line.split(" ")
        if len(fields) != 4 or not fields[2].isdigit() or not fields[3].isdigit() or "/" in fields[1]:
            return {}  # damaged: every entry of the kind is made again
        kept[fields[0]] = (fields[1], int(fields[2]), int(fields[3]))
    return kept


def _write_index(path: Path, kept: dict[str, tuple[str, int, int]]) -> None:
    text = Store.HEADER + "\n" + "".join(f"{k} {pack} {offset} {length}\n"
                                         for k, (pack, offset, length) in sorted(kept.items()))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_text(text, encoding="ascii")
    os.replace(tmp, path)


def entries(out: Path, kind: str) -> dict[str, tuple[Path, int, int]]:
    """The entries of kind kept in OUT's cache: key -> (pack, offset of the entry (its SHA-256,
    then its bytes), the length of its bytes). For the tests, which damage entries and count them."""
    folder = Path(out) / FOLDER / kind
    return {k: (folder / pack, offset, length) for k, (pack, offset, length) in _read_index(folder / Store.INDEX).items()}


def open(out: Path, pending: Path | None = None) -> Store:  # noqa: A001  (cache.open, as the module is read)
    """The store of output folder out; one that keeps nothing under --no-cache. pending: a folder
    where new entries wait until finish() (a build's staging folder: a failed build keeps nothing)."""
    if not enabled:
        return Store(None)
    return Store(Path(out) / FOLDER, Path(pending) / FOLDER if pending is not None else None)


def clear(out: Path) -> None:
    shutil.rmtree(Path(out) / FOLDER, ignore_errors=True)

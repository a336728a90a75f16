"""Each source's part of the EPUB, made now or taken from what an earlier build made from the
same inputs (builder/cache.py; docs/performance.md, "Incremental builds").

A source's part is its zip entries, deflated (its images, page, provenance page, original-file
page and original), and what the book's own pages need of it (page-list markers, register
references, images for the manifest): builder.writers.epub.Made. It is kept under the key of
everything it is made from, in named parts so that `archive --verbose` can say what changed:

- "the source": its bytes (SHA-256), file, size, and a scan's transcription;
- "its provenance": the sidecar as loaded, and what the templates are given of it (and of the
  sources it names as attachments);
- "its notes": its notes and register links, and where they were anchored;
- "the register" / "the source list": which register entries and source ids exist (a note's
  links point to them), for a source with notes or links;
- "the PDF's pages": the page breaks of the PDF edition that fall in it;
- "the archive": archive.toml as loaded (title, date, ...) and the options;
- "the templates": the corpus's own templates and style sheet;
- "the tool": its code and templates (every key holds them: builder.cache.fingerprint), and the
  libraries that shape the bytes (jinja2, markdown-it, zlib).

With a corpus template of its own, a source's part also depends on every source's context and
the whole page map (a corpus template may show anything it is given).
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys
import zlib
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Iterator

from .. import cache, parallel, progress, zipwrite
from ..readers import scan

KIND = "epub-source"
WHY = "epub-why"  # per source id: the digests of its parts last time, to say what changed


def made(job, store) -> Iterator:
    """Every source's Made, in the archive's order: from the store where it holds one for the
    same inputs, else made now (and kept). Many to make: made in worker processes (one a core),
    each source's bytes the same wherever it is made (tests/test_epub_sources.py)."""
    store = store if store is not None else cache.Store(None)
    keeping = store.folder is not None
    sources = job.archive.sources
    last = Last(store) if keeping else None
    # the digests of what each source is made from: its key in the store. With no entry of this kind
    # kept (a first build), nothing can be found: each source's digests are made with it, in the workers
    first = keeping and _none_kept(store)
    common = _common(job) if keeping else None
    if keeping and not first:
        parts = [_parts(job, source, sctx, common) for source, sctx in zip(sources, job.ctx["sources"])]
        keys = [cache.key(KIND, sorted(p.items())) for p in parts]
        cached = [store.has(KIND, k) for k in keys]
    else:
        parts, keys, cached = [{}] * len(sources), [""] * len(sources), [False] * len(sources)
        if first:
            parts, keys = list(parts), list(keys)
    todo = [i for i, hit in enumerate(cached) if not hit]
    if len(todo) >= parallel.LEAST:
        _warm(job)
    workers = parallel.Map(partial(_packed_keyed, common=common) if first else _packed, job, todo)
    again: list[str] = []  # why each source made again was made
    try:
        for i in progress.each("EPUB written", range(len(sources))):
            source = sources[i]
            one = None
            if cached[i]:
                raw = store.get(KIND, keys[i])
                one = _unpack(raw) if raw is not None else None  # damaged since: made again, here
            if one is None:
                packed = workers.result(i) if not cached[i] else None  # made in a worker
                if packed is not None and first:  # with its digests
                    packed, parts[i], keys[i] = packed
                one = _unpack(packed) if packed is not None else None
                if one is None:  # made here: serially, or what a worker could not make (its error raised here)
                    one = source_made(job, i)
                    packed = _pack(one)
                    if first:
                        parts[i], keys[i] = _keyed(job, i, common)
                if keeping:  # appended to the kind's pack (builder/cache.py): a write, no thread needed
                    store.put(KIND, keys[i], packed)
                    again.append(last.why(source.id, parts[i]))
            if keeping:
                last.now[source.id] = parts[i]
            yield one
    finally:
        workers.close()
    if keeping:
        job.digests = (common, parts)  # for the book's own pages (book_page)
        last.keep()
        say(len(sources), again)


def _warm(job) -> None:
    """Compile the source pages' templates (and the Markdown parser) once, before the workers are
    forked, rather than once in each. An error is left for the rendering to report."""
    from .. import templating

    for name in ("epub/source.xhtml", "epub/provenance.xhtml", "epub/original.xhtml"):
        try:
            job.env.get_template(name)
        except Exception:  # noqa: BLE001  (reported where the page is rendered: T102-T106)
            pass
    templating._markdown(typographic=True)  # the parser the note bodies are rendered with


def source_made(job, i: int):
    from . import epub

    return epub.source_made(job, job.archive.sources[i], job.ctx["sources"][i])


def _packed(job, i: int) -> bytes:
    return _pack(source_made(job, i))


def _keyed(job, i: int, common: dict) -> tuple[dict[str, str], str]:
    """Source i's digests (the parts of what it is made from) and its key in the store."""
    p = _parts(job, job.archive.sources[i], job.ctx["sources"][i], common)
    return p, cache.key(KIND, sorted(p.items()))


def _packed_keyed(job, i: int, common: dict) -> tuple[bytes, dict[str, str], str]:
    return (_pack(source_made(job, i)), *_keyed(job, i, common))


def _none_kept(store) -> bool:
    """Does the store hold no entry of this kind (builder/cache.py Store)?"""
    return not store.holds(KIND)


BOOK = "epub-book"  # the book's own pages that list every source (contents, package, colophon, notes)


LISTED = ("the source", "its provenance")  # what the nav, the NCX and the package show of a source


def book_page(job, store, name: str, extra: object, make, uses: tuple[str, ...] | None = None) -> str:
    """A file of the book made from every source's context (the nav, the NCX, the package, the
    notes' JSON-LD): taken from the store when made before from the same inputs. Its key: the
    archive, the templates, the tool, the parts `uses` of every source (all but its page breaks,
    when None: these files hold none), and extra (the page-list, the images, ...)."""
    if store is None or store.folder is None or job.digests is None:
        return make()
    common, parts = job.digests
    every = job.every.get(uses)
    if every is None:  # the same for the nav, the NCX and the package: digested once a build
        every = job.every[uses] = _every_source(job.archive.sources, parts, uses)
    k = cache.key(BOOK, name, _json(extra), common["the archive"], common["the templates"], common["the tool"],
                  common["register"], common.get("everything"), every)
    raw = store.get(BOOK, k)
    if raw is not None:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    text = make()
    store.put(BOOK, k, text.encode("utf-8"))
    return text


def _every_source(sources, parts: list[dict[str, str]], uses: tuple[str, ...] | None) -> str:
    """One digest of every source's id and parts (those named in uses; else all but its page
    breaks), in order."""
    h = hashlib.sha256()
    for source, p in zip(sources, parts):
        h.update(("|".join([source.id] + [f"{n}={d}" for n, d in sorted(p.items())
                                          if (n in uses if uses is not None else n != "the PDF's pages")])
                  + "\n").encode())
    return h.hexdigest()


class Last:
    """The digests of each source's parts in the last build (one record, read only when a source
    is made again), so that --verbose can say what changed. Never used to make anything."""

    def __init__(self, store):
        self.store, self.key = store, cache.key(WHY)
        self.before: dict | None = None
        self.now: dict[str, dict[str, str]] = {}

    def why(self, sid: str, parts: dict[str, str]) -> str:
        if self.before is None:
            raw = self.store.get(WHY, self.key)
            try:
                self.before = json.loads(zlib.decompress(raw)) if raw is not None else {}
            except (ValueError, zlib.error):
                self.before = {}
        old = self.before.get(sid)
        if old is None:
            return "new" if self.before else "not in the cache"
        changed = [name for name, digest in parts.items() if old.get(name) != _short(digest)]
        return (" and ".join(changed) + " changed") if changed else "not in the cache"

    def keep(self) -> None:
        short = {sid: {n: _short(d) for n, d in parts.items()} for sid, parts in self.now.items()}
        data = zlib.compress(json.dumps(short, sort_keys=True).encode(), 6)
        if self.store.get(WHY, self.key) != data:
            self.store.put(WHY, self.key, data)


def _short(digest: str) -> str:
    return digest[:16]


def say(total: int, again: list[str]) -> None:
    """Under --verbose: how many sources were made again, and why
    ("EPUB: 1 of 1,000 sources made again (its notes changed); 999 from the cache")."""
    if not progress.verbose or progress.quiet:
        return
    reasons: dict[str, int] = {}
    for why in again:
        reasons[why] = reasons.get(why, 0) + 1
    because = "; ".join(f"{n:,}: {why}" if len(reasons) > 1 else why for why, n in reasons.items())
    line = (f"archive: EPUB: {len(again):,} of {total:,} sources made again"
            + (f" ({because})" if again else "") + f"; {total - len(again):,} from the cache\n")
    try:
        sys.stderr.write(line)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _digest(*parts: object) -> str:
    """The SHA-256 of parts by their repr (of str, bytes, int, None, bool and tuples and lists of
    them: one repr, one value); each key made of these digests holds the tool's fingerprint."""
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _json(obj) -> str:
    return json.dumps(obj, sort_keys=True, default=repr, ensure_ascii=False)


def _common(job) -> dict:
    """What every source's part depends on alike, digested once."""
    from importlib.metadata import version

    archive = job.archive
    ctx = {k: v for k, v in job.ctx.items() if k != "sources"}
    shell = replace(archive, sources=(), warnings=(), introduction="", register=(), images=None)
    own = _corpus_templates(archive.templates_dir)
    common = {
        "the archive": _digest(repr(shell), _json(ctx)),
        "the templates": _digest(own),
        "the tool": _digest([version(d) for d in ("jinja2", "markdown-it-py", "markupsafe", "lxml")],
                            zlib.ZLIB_RUNTIME_VERSION, sys.version),
        "ids": _digest(sorted(job.ids)),
        "register": _digest(sorted(job.index.by_id)),
        "own templates": bool(own),
    }
    if own:  # a corpus template may show any source's context and any page
        common["everything"] = _digest(_json(job.ctx["sources"]),
                                       repr(job.pages.pages) if job.pages is not None else None)
    return common


def _corpus_templates(folder: Path) -> list:
    """The corpus's own templates/ (names and bytes of its regular files; a link by its target)."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    out = []
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out.append((name, "link", os.readlink(path)))
        elif path.is_file():
            out.append((name, hashlib.sha256(path.read_bytes()).hexdigest()))
    return out


def _parts(job, source, sctx: dict, common: dict) -> dict[str, str]:
    notes = job.anchors.get(source.id, [])
    by_id = {s["id"]: s for s in job.ctx["sources"]} if (sctx["attachments"] or sctx["attached_to"]) else {}
    named = [by_id.get(x) for x in [*sctx["attachments"], sctx["attached_to"]] if x]
    shell = replace(source, provenance=None, notes=(), notes_path=None, links=())
    parts = {
        "the source": _digest(repr(shell), _transcription(source)),
        "its provenance": _digest(repr(source.provenance), _json(sctx), _json(named)),
        "its notes": _digest(repr(source.notes), repr(source.links), repr(notes),
                             str(source.notes_path) if source.notes_path else None),
        "the PDF's pages": _digest(job.at.of_source(source.id) if job.at is not None else None,
                                   job.pages is not None),
        "the archive": common["the archive"],
        "the templates": common["the templates"],
        "the tool": common["the tool"],
    }
    if notes or source.links:
        parts["the register"] = common["register"]
        parts["the source list"] = common["ids"]
    if common["own templates"]:
        parts["every source"] = common["everything"]
    return parts


def _transcription(source) -> str | None:
    return scan.transcription_sha256(source)


def _pack(one) -> bytes:
    head = json.dumps({"marks": one.marks, "found": one.found, "images": one.images},
                      sort_keys=True, ensure_ascii=False).encode("utf-8")
    return struct.pack("<I", len(head)) + head + zipwrite.pack_all(one.entries)


def _unpack(raw: bytes):
    from .epub import Made

    try:
        (n,) = struct.unpack_from("<I", raw)
        head = json.loads(raw[4:4 + n])
        entries = zipwrite.unpack_all(raw[4 + n:])
        return Made(entries, [tuple(m) for m in head["marks"]], head["found"], head["images"])
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError):
        return None  # not what this tool writes: made again

"""The PDF edition of a large archive, in parts joined into one book (docs/pdf.md, "A book in parts").

Typst holds the whole document while it lays it out (about 0.65 MiB a page), so a large archive
is compiled in parts, each its own Typst compile of the same template (templates/pdf/edition.typ,
told which part by `sys.inputs.part`):

- the front matter: title page, imprint, contents, introduction;
- runs of sources of about PART_PAGES estimated pages each;
- the back matter: glossary, index, colophon.

The page numbers continue from part to part: a part is given the number of its first page
(and, when that is a left-hand page, begins with a blank page that the join leaves out, so its
pages keep their margins and running heads). A part's length does not depend on the number it
starts at, but to know where part k starts the parts before it must be laid out: the parts are
laid out in rounds, in parallel (processes, at most os.cpu_count()), each round with the start
pages the last one found, until every part was made at its true start (page counts of an
earlier build, kept in the cache, make the first round right; a part made again is compiled
again in the process that laid it out, builder/writers/pdf_sessions.py, where Typst keeps most of
its lay-out). What the contents and the index
need from other parts (where sources, glossary entries and references to the register landed)
is passed to them as data; the front matter is laid out first to learn where the introduction
ends, and made last, with the contents' page numbers. builder/pdf_join.py joins the parts.

Every compile reads the same build folder (builder/writers/pdf.py stages it), so the result is
the same bytes whatever the number of processes: each part is a pure function of its inputs,
which are also its cache key (builder/cache.py).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .. import cache, pdf_stream_join, progress
from . import pdf_sessions
from .pdf_part_text import ACTIVE, JOINED, READ_BACK, PartReader, begin_match, digest_of, text_key

# Estimated pages of sources in one part (docs/pdf.md, "A book in parts"): small enough that a
# rebuild after one note is edited lays out few pages again, and a compile stays far under 1 GB;
# large enough that the parts' fixed costs stay small (measured at 1,000 sources, with the fonts
# found once a process: a cold build takes the same time with parts of 100 as of 250, a rebuild
# after a note edit about 0.5 s less, docs/performance.md). Tests make it tiny to force parts.
PART_PAGES = 100
WORKERS = None  # processes for the parts: None = one a two cores (compiles()); tests set 1 or 2
ROUNDS = 6  # rounds of lay-out before the start pages must have settled
# How the parts are joined: "stream" (builder/pdf_stream_join.py: each part's objects written out
# in turn, memory bounded by one part) or "pikepdf" (builder/pdf_join.py: the whole book held
# until it is saved with object streams, about half the file size, memory growing with the book).
JOIN = "stream"


@dataclass
class Part:
    kind: str  # "front" | "body" | "back"
    number: int  # 0 for the front, 1.. for the sources' parts, last for the back
    sources: list[str] = field(default_factory=list)
    start: int = 1  # the number of its first page (arabic); the front's is 1 (the introduction's)
    span: int | None = None  # how many numbered pages it has (its last page's number - start + 1)
    made_at: int | None = None  # the start page of the compile whose results it holds
    info: dict = field(default_factory=dict)
    blocks: list = field(default_factory=list)
    pages: int = 0  # pages of its PDF, a leading blank page included
    path: Path | None = None
    why: str = ""  # why it was compiled again
    cached: bool = False  # the PDF at its start came from the cache
    key: str = ""  # its cache key: its inputs and its start page
    outline: list = field(default_factory=list)  # its top-level outline entries, [title, page (0-based) in its PDF]
    labels: list | None = None  # each page's label in its PDF ("" for none)
    joined: tuple | None = None  # what the join needs of its PDF (pdf_stream_join._facts, after its SHA-256)

    @property
    def pad(self) -> bool:
        return self.kind != "front" and self.start % 2 == 0


def estimated_pages(archive, source) -> float:
    from .pdf import CHARS_PER_PAGE
    text = source.characters + sum(len(n.body) for n in source.notes)
    return text / CHARS_PER_PAGE.get(archive.page_size, 1800) + 1.5


def plan(archive, part_pages: float | None = None) -> list[list[str]] | None:
    """The sources in runs of about part_pages (PART_PAGES) estimated pages; None when one compile will do."""
    limit = part_pages or PART_PAGES
    runs: list[list[str]] = [[]]
    size = 0.0
    for source in archive.sources:
        pages = estimated_pages(archive, source)
        if runs[-1] and size + pages > limit:
            runs.append([])
            size = 0.0
        runs[-1].append(source.id)
        size += pages
    return runs if len(runs) > 1 else None


def book_pages(archive) -> float:
    return sum(estimated_pages(archive, s) for s in archive.sources)


def part_memory(archive, runs: list[list[str]]) -> int:
    """An estimate (MiB) of the memory of the largest part's compile (builder/writers/pdf.py's figures)."""
    from .pdf import BASE_MIB, MIB_PER_PAGE
    pages = {s.id: estimated_pages(archive, s) for s in archive.sources}
    largest = max(sum(pages[sid] for sid in run) for run in runs)
    return int(BASE_MIB + MIB_PER_PAGE * max(largest, 50 + len(archive.sources) / 30))  # the contents: a line a source


# ---------------------------------------------------------------- one compile (in a worker process)

def compile_part(job: dict) -> dict:
    """Compile one part (job: folder, part file, output or None to lay out only, fonts, timestamp,
    standards); its <part-info> and page-map blocks, or {"error": ...}. Runs in a worker process."""
    return compile_part_in(job, None)[0]


def compile_part_in(job: dict, compiler=None) -> tuple[dict, object]:
    """compile_part in compiler (a new one if None): (the result, the compiler, to compile the same
    part again, builder/writers/pdf_sessions.py: Typst keeps what did not change; None after an error)."""
    import typst  # only Typst and builder.inert here: a worker starts in a fraction of a second

    from .. import inert
    from . import typst_fonts

    folder = Path(job["folder"])
    with inert.offline():
        try:
            if compiler is None:
                compiler = typst.Compiler(str(folder / job["main"]), root=str(folder),
                                          font_paths=typst_fonts.fonts(job["fonts"]), ignore_system_fonts=True,
                                          sys_inputs={"part": job["part_file"]}, **inert.typst_packages(folder))
            # the queries first, the PDF last: typst-py reads changed files again after a compile
            # (not after a query), for the next compile in the same process (a session)
            info = json.loads(compiler.query("<part-info>", field="value", one=True))
            blocks = []
            if job["output"]:  # the template's page-map markers (builder/writers/pdf.py _blocks_placed)
                try:
                    blocks = [[str(i), int(p), bool(top)] for i, p, top in
                              json.loads(compiler.query("<pb-pages>", field="value", one=True))]
                except typst.TypstError:
                    blocks = []
                compiler.compile(output=job["output"], format="pdf", pdf_standards=job["standards"],
                                 timestamp=job["timestamp"])
        except typst.TypstError as e:
            return {"error": e.message or str(e), "hints": list(getattr(e, "hints", []) or [])}, None
    result = {"info": info, "blocks": blocks}
    if job["output"] and job.get("scan"):  # the active-content scan here, beside the other parts' lay-out
        result["active"] = [digest_of(Path(job["output"])), inert.pdf_active(job["output"])]
    return result, compiler


class CompileFailed(Exception):
    def __init__(self, message: str, hints: list[str]):
        super().__init__(message)
        self.message, self.hints = message, hints


def compiles() -> int:
    """How many parts are laid out at once: one for every two cores. A Typst compile keeps about
    1.7 cores busy by itself (its lay-out runs in threads), so on two cores a second compile beside
    it gains nothing and costs the parts laid out at a guessed start, made again (1,000 sources on
    2 cores: 16.0 s and 25 s of CPU with one, 16.0-17.3 s and 28-29 s of CPU with two)."""
    return max(1, (os.cpu_count() or 1) // 2)


def run_jobs(jobs: list[dict], done=None, sessions=None, meanwhile=None) -> list[dict]:
    """Compile jobs, all at once (the caller gives at most WORKERS), each in its part's session
    (builder/writers/pdf_sessions.py: a process of its own, forked from a server that has imported
    Typst), kept for the part's next compile if the job says so ("keep"), else ended: Typst keeps
    what it laid out for the life of a process, so a process that went on to another part would
    hold both. Without sessions: in sessions of this call's own."""
    own = sessions is None
    if own:
        sessions = pdf_sessions.Sessions()
        jobs = [{"session": -1 - k, "start": 0, **job} for k, job in enumerate(jobs)]
    try:
        results = sessions.run(jobs, done, meanwhile)
    finally:
        if own:
            sessions.close()
    for result in results:
        if "error" in result:
            raise CompileFailed(result["error"], result["hints"])
    return results


# ---------------------------------------------------------------- the book

class Book:
    """The parts of one PDF edition, made in folder (the staged build folder of builder/writers/pdf.py)."""

    reads_parts = True  # each part's text read as soon as it is made (PartReader)
    joins_ahead = True  # each source part's objects written for the join while the next are made (pdf_ahead)

    def __init__(self, archive, folder: Path, runs: list[list[str]], fonts: list[str], standards: list[str],
                 store: cache.Store | None = None, staged: "SourceFiles | None" = None):
        self.archive, self.folder, self.fonts, self.standards = archive, folder, fonts, standards
        self.store = store or cache.Store(None)
        self.parts = ([Part("front", 0)] + [Part("body", k + 1, run) for k, run in enumerate(runs)]
                      + [Part("back", len(runs) + 1)])
        (folder / "parts").mkdir(exist_ok=True)
        self.done = 0  # compiles done, for the progress counter
        self.images = sorted(p.name for p in (folder / "images").iterdir()) if (folder / "images").is_dir() else []
        self.sha = {s.id: s.sha256 for s in archive.sources}
        self.shared = self._shared_key()
        self.reader = PartReader(folder / "reading", self.reads_parts)
        self.sessions = pdf_sessions.Sessions(fonts)
        # a part's SHA-256 -> what the active-content scan found: where the part's text was read, or in
        # its session when no part is read
        self.scanned: dict[str, list[str]] = self.reader.scanned
        self.guesses: list[Part] = []  # the parts being made at a guessed start (their sessions kept)
        # a body part's facts read from its PDF (outline, labels, its page count checked) and the
        # part put in the cache, in a thread while the next part is laid out (Book.make)
        self.after = None  # its thread (a ThreadPoolExecutor), while parts are laid out
        self.later = False  # (only within lay_out: a part made after it has its facts read at once)
        self.facts: dict[int, object] = {}  # part number -> Future of _read_facts
        self.staged = staged if staged is not None else SourceFiles(folder)  # the sources' JSON
        from . import pdf_ahead
        self.ahead = (pdf_ahead.Ahead(folder, archive.license, self.store)
                      if self.joins_ahead and JOIN == "stream" and pdf_ahead.Ahead.wanted() else None)

    # -- what a part is made from
    def _shared_key(self) -> str:
        """The inputs every part reads: archive.json, the templates, the markers' glyphs, the editorial
        images (links.stage_images: an image changed under the same name is another input), the fonts."""
        from ..links import PDF_FOLDER
        f = self.folder
        files = [f / "archive.json", *sorted(f.glob("*.typ")), *sorted((f / "markers").glob("*")),
                 *sorted((f / PDF_FOLDER).glob("*"))]
        fonts = [p for d in self.fonts for p in sorted(Path(d).rglob("*")) if p.is_file()
                 and not str(p).startswith("/usr/share/fonts")]  # Debian's fonts: pinned by the package
        return cache.key("pdf-shared", [digest_of(p) for p in files], [(p.name, digest_of(p)) for p in fonts],
                         self.archive.timestamp, self.standards)

    def _owned(self, part: Part) -> tuple[list[str], list[str]]:
        """The labels a part holds (and reports where they landed), and those its links may reach."""
        if part.kind == "front":
            return ["introduction"], ["introduction"]
        if part.kind == "back":
            reg = [f"reg-{e.id}" for e in self.archive.register]
            names = (["glossary", "register-index"] if self.archive.register else []) + ["colophon"] + reg
            return names, names
        names = [n for sid in part.sources for n in (f"src-{sid}", f"prov-{sid}")]
        return names, names

    def data(self, part: Part, extra: dict) -> dict:
        targets, owns = self._owned(part)
        run = {"run": SourceFiles.run_file(part.sources)} if part.sources else {}  # where its sources are
        return {"kind": part.kind, "sources": [{"id": s} for s in part.sources], "targets": targets,
                "owns": {n: True for n in owns}, **run, **extra}

    def content_key(self, part: Part, data: dict) -> str:
        """Everything the part is made from but its start page."""
        f = self.folder
        images = [f / "images" / name for sid in part.sources for name in self.images if name.startswith(sid + "-")]
        sha = self.sha
        body = {k: v for k, v in data.items() if k not in ("start", "pad")}
        # (the notes' JSON-LD is no part's: the join attaches it, and it is in the book's key)
        return cache.key("pdf-part", self.shared, json.dumps(body, sort_keys=True, ensure_ascii=False),
                         [self.staged.digest(sid) for sid in part.sources] + [digest_of(p) for p in images],
                         [sha[s] for s in part.sources])

    def key(self, part: Part, data: dict) -> str:
        """The cache key of the part made from data at its start."""
        return cache.key("pdf-part-at", self.content_key(part, {**data, "start": part.start, "pad": part.pad}), part.start)

    # -- making
    def job(self, part: Part, data: dict, output: bool) -> dict:
        self.staged.write(part.sources)  # the sources it shows, for Typst to read
        name = f"parts/part-{part.number}.json"
        (self.folder / name).write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        out = str(self.folder / "parts" / f"part-{part.number}.pdf") if output else None
        return {"folder": str(self.folder), "main": "edition.typ", "part_file": name, "output": out,
                "fonts": self.fonts, "timestamp": self.archive.timestamp, "standards": self.standards}

    def make(self, parts: list[Part], datas: list[dict], again: frozenset = frozenset()) -> None:
        """Make each part at its start (from the cache if it was made before from the same inputs),
        each in its session (builder/writers/pdf_sessions.py), which is kept for the parts in
        self.guesses: made at a start that may be wrong, to be made again in the same process.
        The parts found in the cache are taken from it while the others are laid out (a part
        whose entry is damaged is then made: again, the part numbers not to take from the cache)."""
        todo, jobs, kept, missed = [], [], [], []
        for part in parts:  # its PDF no longer read by the thread: it may be written again
            self._facts_of(part)
            part.joined = None
        for part, given in zip(parts, datas):
            data = {**given, "start": part.start, "pad": part.pad}
            content = self.content_key(part, data)
            key = cache.key("pdf-part-at", content, part.start)  # as self.key(part, data)
            part.key = key
            if part.number not in again and self.store.has("pdf-part", key) and self.store.has("pdf-part-info", key):
                kept.append((part, key, given))
                continue
            todo.append((part, key, content))
            jobs.append({**self.job(part, data, True), "session": part.number, "start": part.start,
                         "scan": self.reader.tool is None,  # else scanned where it is read, off the lay-out's path
                         "keep": any(part is g for g in self.guesses)})

        def from_cache() -> None:
            for part, key, given in kept:
                pdf_bytes, meta = self.store.get("pdf-part", key), self.store.get("pdf-part-info", key)
                if pdf_bytes is None or meta is None:  # damaged: made below
                    missed.append((part, given))
                    continue
                out = self.folder / "parts" / f"part-{part.number}.pdf"
                out.write_bytes(pdf_bytes)
                meta = json.loads(meta)
                self._took(part, meta, out)
                part.cached = True
                if meta.get("sha256"):  # (the join checks it against the part's bytes)
                    part.joined = (meta["sha256"], *pdf_stream_join._facts(out, meta["sha256"], self.store))
        results = run_jobs(jobs, self.tick, self.sessions, meanwhile=from_cache) if jobs else from_cache() or []
        for (part, key, content), result in zip(todo, results):
            out = Path(self.folder / "parts" / f"part-{part.number}.pdf")
            meta = {"info": result["info"], "blocks": result["blocks"], "pages": None, "outline": [], "labels": None}
            if "active" in result:  # what the worker's scan found, by the SHA-256 of the part's bytes
                self.scanned[result["active"][0]] = result["active"][1]
            if part.kind == "body" and self.later:  # its pages: its numbered ones and a leading blank one (checked)
                self._took(part, {**meta, "pages": int(result["info"]["last"]) - part.start + 1 + part.pad}, out)
                if self.after is None:
                    from concurrent.futures import ThreadPoolExecutor
                    self.after = ThreadPoolExecutor(1, thread_name_prefix="part-facts")
                self.facts[part.number] = self.after.submit(self._read_facts, part, key, meta, out, part.pages)
            else:
                self._took(part, self._read_facts(part, key, meta, out), out)
            self.store.put("pdf-part-span", content, str(part.span).encode())
            part.cached = False
        if missed:
            self.make([p for p, _ in missed], [d for _, d in missed], frozenset(p.number for p, _ in missed))

    def _read_facts(self, part: Part, key: str, meta: dict, out: Path, pages: int | None = None) -> dict:
        """What the part's PDF says of itself (its pages, outline, labels: pages, if given, checked
        and the others set on the part), and the part put in the cache; meta with them."""
        import pikepdf

        from .. import verify_pdf
        data = out.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        with pikepdf.open(out) as pdf:
            meta = {**meta, "pages": len(pdf.pages), "outline": [[e.title, e.page] for e in verify_pdf.outline(pdf)],
                    "labels": [str(page.label or "") for page in pdf.pages], "sha256": sha}
            part.joined = (sha, *pdf_stream_join.facts_of(pdf))
        pdf_stream_join.keep_facts(self.store, part.joined)
        if pages is not None:
            if pages != meta["pages"]:
                raise RuntimeError(f"part {part.number + 1} of the PDF edition has {meta['pages']} pages, "
                                   f"not the {pages} its page numbers give")
            part.outline, part.labels = meta["outline"], meta["labels"]
        self.store.put("pdf-part", key, data)
        self.store.put("pdf-part-info", key, json.dumps(meta).encode())
        return meta

    def _facts_of(self, part: Part) -> None:
        """Once the part's facts are read (raising what reading them raised)."""
        future = self.facts.pop(part.number, None)
        if future is not None:
            future.result()

    def tick(self) -> None:
        """One more part laid out: counted on a terminal ("PDF parts laid out: 3/7", builder/progress.py)."""
        self.done += 1
        if progress.shown():
            progress._write(f"\r\x1b[Karchive: PDF parts laid out: {min(self.done, len(self.parts))}/{len(self.parts)}")

    def _took(self, part: Part, meta: dict, out: Path) -> None:
        part.info, part.blocks, part.pages, part.path = meta["info"], [tuple(b) for b in meta["blocks"]], meta["pages"], out
        part.made_at = part.start
        part.outline = meta["outline"]
        part.labels = meta.get("labels")
        part.span = int(part.info["last"]) - part.start + 1

    def lay_out(self) -> None:
        try:
            self.later = True
            try:
                self._lay_out()
            finally:
                self.later = False
            self.facts_read()
            self.send_ahead()
        except BaseException:
            if self.ahead is not None:
                self.ahead.close()
            self.staged.stop()
            self.sessions.kill()
            if self.after is not None:
                self.after.shutdown(wait=True, cancel_futures=True)
                self.after, self.facts = None, {}
            raise
        self.staged.stop()
        self.sessions.close()

    def send_ahead(self) -> None:
        """The source parts whose objects can be written for the join now, sent (pdf_ahead)."""
        if self.ahead is not None:
            self.ahead.send(self.parts)

    def facts_read(self) -> None:
        """Every part's facts read (Book.make: in a thread); its thread ended."""
        for part in self.parts:
            self._facts_of(part)
        if self.after is not None:
            self.after.shutdown(wait=True)
            self.after = None

    def _lay_out(self) -> None:
        front, bodies, back = self.parts[0], self.parts[1:-1], self.parts[-1]
        # 1. where the introduction ends (the contents' numbers do not move it: it starts on a
        #    right-hand page numbered 1 whatever the length of the contents), from the
        #    introduction set alone (the title pages and the contents of a large book take longer
        #    to lay out than the introduction; the front matter made last is checked to agree)
        data = self.data(front, {"toc": {}, "start": 1, "pad": False, "introduction_only": True})
        key = cache.key("pdf-front-laid-out", self.content_key(front, data))
        kept = self.store.get("pdf-part-info", key)
        first = json.loads(kept) if kept is not None else run_jobs([self.job(front, data, False)])[0]
        self.store.put("pdf-part-info", key, json.dumps(first).encode())
        intro_end = int(first["info"]["last"])
        # 2. the sources' parts. A part's start is certain when every part before it has a known
        #    length (from a compile, or from the cache: an earlier build of the same content);
        #    each round makes the parts whose start is certain, and, while processes are left,
        #    the next ones at an estimated start (a guess that is made again if it was wrong).
        datas = {id(p): self.data(p, {}) for p in bodies}
        known: dict[int, bool] = {}
        guess = {s.id: estimated_pages(self.archive, s) for s in self.archive.sources}
        for part in bodies:
            span = self.store.get("pdf-part-span", self.content_key(part, {**datas[id(part)], "start": 0, "pad": False}))
            known[id(part)] = span is not None
            part.why = "its start page moved" if span is not None else "its sources changed"
            part.span = int(span) if span is not None else max(1, round(sum(guess[sid] for sid in part.sources)))
        # the sources of the parts never made before (they will be compiled) written while others are
        self.staged.write_ahead([p.sources for p in bodies if not known[id(p)]])
        workers = WORKERS or compiles()
        for _ in range(2 * len(bodies) + ROUNDS):
            self._place(bodies, intro_end + 1)
            self._read_settled(bodies, known)
            pending = [p for p in bodies if p.made_at != p.start]
            if not pending:
                break
            certain = []
            for p in bodies:
                if p.made_at != p.start:
                    certain.append(p)
                if not known[id(p)]:
                    break
            guesses = [p for p in pending if p not in certain][:max(0, workers - len(certain))]
            batch = certain + guesses
            batch_data = [datas[id(p)] for p in batch]
            if len(batch) < workers and all(known[id(p)] and p.made_at is not None for p in bodies):
                # a process is left and every length is known: the back matter's start is certain;
                # it is made now, beside the parts made again, with the index's pages of those parts
                # moved as they move (checked below: made again if they landed elsewhere)
                reg = self._reg_pages(first["info"], bodies)
                if reg is not None:
                    back.start = bodies[-1].start + bodies[-1].span
                    batch, batch_data = batch + [back], batch_data + [self.data(back, {"reg_pages": reg})]
            self.guesses = guesses
            try:
                self.make(batch, batch_data)
            finally:
                self.guesses = []
            for p in batch:
                known[id(p)] = True
        else:
            raise RuntimeError("the PDF edition's parts did not settle on their start pages")
        # 3. the back matter, with the index's pages from every part before it (unless made so above)
        back.start = bodies[-1].start + bodies[-1].span
        data = self.data(back, {"reg_pages": self._reg_pages(first["info"], bodies)})
        self.send_ahead()
        if back.key != self.key(back, data):
            self.make([back], [data])
        self.reader.read(back, self.store)
        self.send_ahead()
        # 4. the front matter, with the contents' page numbers
        toc = {t[0]: t[4] for info in [first["info"], *(p.info for p in [*bodies, back])] for t in info["targets"]}
        self.make([front], [self.data(front, {"toc": toc})])
        if int(front.info["last"]) != intro_end:
            raise RuntimeError("the PDF edition's front matter changed length when its contents were filled in")
        self.reader.read(front, self.store)

    @staticmethod
    def _reg_pages(first: dict, bodies: list[Part]) -> dict[str, list[str]] | None:
        """The printed pages of the references to the register, entry by entry, in the front matter
        (first: its first lay-out's facts) and the sources' parts; a part made at another start
        than its own gives its pages moved by the difference (None if one is not an arabic number)."""
        reg: dict[str, list[str]] = {}
        for info, shift in [(first, 0), *((p.info, p.start - p.made_at) for p in bodies)]:
            for rid, printed in info["reg"]:
                if shift:
                    if not printed.isdigit():
                        return None
                    printed = str(int(printed) + shift)
                reg.setdefault(rid, []).append(printed)
        return reg

    def _read_settled(self, bodies: list[Part], known: dict[int, bool]) -> None:
        """Start reading back the parts made at their final start: every part before each has a known length."""
        for part in bodies:
            if part.made_at == part.start:
                self.reader.read(part, self.store, self.facts.get(part.number))
            if not known[id(part)]:
                break
        self.send_ahead()

    def _place(self, bodies: list[Part], start: int) -> None:
        for part in bodies:
            part.start = start
            start += part.span

    def placed(self) -> list[tuple]:
        """The page-map blocks of every part, with pages counted in the book."""
        out, offset = [], 0
        for part in self.parts:
            skip = 1 if part.pad else 0
            out += [(block, page + offset - skip, top) for block, page, top in part.blocks]
            offset += part.pages - skip
        return out

    def labels(self) -> list[str] | None:
        """Every page's label in the joined book, as the parts give them (builder/pagemap.py labels:
        the joined book's own must agree); None if a part's are not known."""
        out: list[str] = []
        for part in self.parts:
            if part.labels is None or len(part.labels) != part.pages:
                return None
            out += part.labels[1 if part.pad else 0:]
        return [name or f"p{i + 1}" for i, name in enumerate(out)]

    def pieces(self):
        from ..pdf_join import Piece
        return [Piece(p.path, p.pad, {t[0]: (t[1], t[2], t[3], t[4]) for t in p.info["targets"]})
                for p in self.parts]

    def said(self) -> str:
        made = [p for p in self.parts if not p.cached]
        kept = len(self.parts) - len(made)
        told = "; ".join(f"part {p.number + 1} of {len(self.parts)} made again ({p.why or 'its data changed'})"
                         for p in made)
        return f"PDF: {told or 'no part made again'}; {kept} from the cache"


    def active(self) -> list[str]:
        """What the active-content scan (builder/inert.py pdf_active) finds in each part; a part's
        scan kept by the SHA-256 of its bytes, so that a rebuild scans only the parts made again."""
        from .. import inert
        found = []
        for part in self.parts:
            digest = digest_of(part.path)
            key = cache.key("pdf-active", digest)
            kept = self.store.get("pdf-active", key)
            if kept is not None:
                found += json.loads(kept)
                continue
            mine = self.scanned[digest] if digest in self.scanned else inert.pdf_active(part.path)
            self.store.put("pdf-active", key, json.dumps(mine).encode())
            found += mine
        return found

    def ranges(self) -> list[tuple[str, int, int, list[str] | None]]:
        """Each part's pages in the book: (the key of its text, first page (0-based), pages, its
        text as read from the part's own PDF, or None)."""
        out, offset = [], 0
        texts = self.reader.finish()
        for part in self.parts:
            n = part.pages - (1 if part.pad else 0)
            out.append((text_key(part), offset, n, texts.get(part.number)))
            offset += n
        return out


class SourceFiles:
    """Each source's staged JSON (builder/writers/pdf.py), digested as it is made and written into the
    build folder only when a part that shows it is compiled, in one file with the other sources of
    its part (run_file: {id: its JSON, ...}; the template reads it once a part): a rebuild writes the
    sources of the parts it lays out again, not every source; and a part's sources are one new file,
    not one each (a new file costs about 0.8 ms of CPU on an ext4 disk where many files were deleted
    lately, as build folders leave it: 0.8 s of a 1,000-source book, 16 s of a 20,000-source one).
    Held in memory up to HELD bytes, beyond in one spill file. Without add() (sources staged as
    files, sources/ID.json): read from those files. each: every source in sources/ID.json as well, as
    a template written before the runs reads it (a corpus's own edition.typ). Each source's original (originals/FILE, which
    its part attaches) is linked into the folder when a part that shows the source is compiled."""

    HELD = 64 << 20

    def __init__(self, folder: Path, each: bool = False):
        self.folder = Path(folder) / "sources"
        self.each = each  # each source in a file of its own too (sources/ID.json: a corpus's own edition.typ)
        self.digests: dict[str, str] = {}
        self.pending: dict[str, bytes] = {}
        self.spilled: dict[str, tuple[int, int]] = {}  # source id -> (offset, length) in the spill file
        self.originals: dict[str, tuple[Path, Path]] = {}  # source id -> (its file, where Typst reads it)
        self.held = 0
        self.written: set[str] = set()  # the runs' files written
        self.lock = threading.Lock()  # one run written at a time: by write() or by the thread ahead
        self.ahead: threading.Thread | None = None
        self.stopping = False

    @staticmethod
    def run_file(sids: list[str]) -> str:
        """Where the sources of a part are, in the build folder (named by its first source: a part's
        data, which names it, does not depend on the part's number)."""
        return f"sources/{sids[0]}.run.json"

    def add(self, sid: str, data: bytes, original: tuple[Path, Path] | None = None) -> None:
        if original is not None:
            self.originals[sid] = original
        self.digests[sid] = hashlib.sha256(data).hexdigest()
        if self.held + len(data) > self.HELD:
            with open(self.folder / "spill", "ab") as f:
                self.spilled[sid] = (f.tell(), len(data))
                f.write(data)
        else:
            self.pending[sid] = data
            self.held += len(data)

    def digest(self, sid: str) -> str:
        return self.digests.get(sid) or digest_of(self.folder / f"{sid}.json")

    def _data(self, sid: str) -> bytes:
        data = self.pending.pop(sid, None)
        if data is not None:
            self.held -= len(data)
            return data
        if sid in self.spilled:
            at, n = self.spilled.pop(sid)
            with open(self.folder / "spill", "rb") as f:
                f.seek(at)
                return f.read(n)
        return (self.folder / f"{sid}.json").read_bytes()  # staged as a file (no add())

    def write(self, sids) -> None:
        """Write the run of these sources (a part's) and link their originals, if not done yet; when it
        returns, they are in the folder."""
        from .pdf import _copy
        sids = list(sids)
        if not sids:
            return
        name = self.run_file(sids)
        with self.lock:
            if name not in self.written:
                datas = [self._data(sid) for sid in sids]
                body = b",".join(json.dumps(sid).encode() + b":" + data for sid, data in zip(sids, datas))
                (self.folder.parent / name).write_bytes(b"{" + body + b"}")
                if self.each:
                    for sid, data in zip(sids, datas):
                        (self.folder / f"{sid}.json").write_bytes(data)
                self.written.add(name)
            for sid in sids:
                original = self.originals.pop(sid, None)
                if original is not None:
                    _copy(*original)

    def write_ahead(self, runs: list[list[str]]) -> None:
        """Write these runs' sources, in order, in a thread while parts are laid out (the parts that
        will surely be compiled: writing a part's 20 sources before its compile took about 28 ms on
        this machine's disk, 1.4 s of 1,000 sources' lay-out); write() takes what is not written yet."""
        def work():
            for run in runs:
                if self.stopping:
                    return
                self.write(run)
        if runs and self.ahead is None:
            self.stopping = False
            self.ahead = threading.Thread(target=work, name="sources-ahead", daemon=True)
            self.ahead.start()

    def stop(self) -> None:
        """Stop writing ahead (what is written stays); returns once the thread has stopped."""
        self.stopping = True
        if self.ahead is not None:
            self.ahead.join()
            self.ahead = None


def render(archive, folder: Path, runs: list[list[str]], out: Path, fonts: list[str], standards: list[str],
           store=None, final: Path | None = None, attach=(), staged: SourceFiles | None = None,
           meanwhile=None) -> list[tuple]:
    """Lay out the parts, join them into out (with the files attach: builder/pdf_join.py Attached,
    or a function that gives them, asked once the parts are laid out: made meanwhile); the
    page-map blocks, in the book's pages. meanwhile(blocks, labels): work to do while the parts
    are joined in a process of their own (builder/writers/pdf_beside.py), told the page-map blocks
    and every page's label as the parts give them (None if a part's are not known)."""
    import zlib
    from .. import pdf_join, pdf_stream_join
    join = pdf_stream_join.join if JOIN == "stream" else pdf_join.join

    book = Book(archive, folder, runs, fonts, standards, store, staged)
    try:
        with progress.step(f"PDF parts laid out ({len(book.parts)})"):
            book.lay_out()
    except BaseException:
        book.reader.pool.shutdown(wait=True, cancel_futures=True)
        raise
    if progress.verbose and not progress.quiet:  # what was made again, and why
        progress._write(f"archive: {book.said()}\n")
    final = final or out
    try:
        ranges = book.ranges()  # the parts' texts, once read (the parts' PDFs still there)
        begin_match(book, archive, ranges, final)  # on the other core, while the parts are joined
        if callable(attach):
            attach = attach()
    except BaseException:
        if book.ahead is not None:  # its worker ended (what it wrote goes with the build folder)
            book.ahead.close()
        raise
    if JOIN != "stream":
        meanwhile = None
    else:  # the parts written while the others were laid out (builder/writers/pdf_ahead.py)
        join = functools.partial(join, ahead=book.ahead.finish(book.parts) if book.ahead is not None else None)
    if meanwhile is not None:  # joined in a process of its own (and read there), while meanwhile works
        from . import pdf_beside
        joining = pdf_beside.Joining(join, book.pieces(), out, archive.license, attach, book.store,
                                     folder / "join.spool", pdf_beside.reader(archive, final.name))
    try:
        ACTIVE[str(final)] = book.active()
        READ_BACK[str(final)] = ranges
        if meanwhile is not None:
            meanwhile(book.placed(), book.labels())
    except BaseException:
        if meanwhile is not None:
            joining.abandon()
        raise
    if JOIN == "stream":  # each part's objects as written kept (a rebuild writes the changed ones)
        # (the book itself is not kept: joined from the kept parts' objects, a book of 4,000 pages
        # takes about as long as writing it into the cache did, at every rebuild after an edit)
        with progress.step("PDF parts joined"):
            if meanwhile is not None:
                written, JOINED[str(final)] = joining.finish()
            else:
                written = []
                join(book.pieces(), out, archive.license, attach, store=book.store, written=written)
        if progress.verbose and not progress.quiet:
            progress._write(f"archive: PDF join: {len(written)} of {len(book.parts)} parts' objects written "
                            f"again; {len(book.parts) - len(written)} from the cache\n")
    else:
        attached = [(a.name, hashlib.sha256(a.data).hexdigest(), a.mime, a.description, a.relationship, a.modified)
                    for a in attach]  # deflated at the join: zlib's version shapes the bytes
        key = cache.key("pdf-book", [p.key for p in book.parts], archive.license, attached, zlib.ZLIB_RUNTIME_VERSION)
        joined = book.store.get("pdf-book", key)  # the same parts: the same book
        if joined is not None:
            out.write_bytes(joined)
        else:
            with progress.step("PDF parts joined"):
                join(book.pieces(), out, archive.license, attach)
            book.store.put("pdf-book", key, out.read_bytes())
    shutil.rmtree(folder / "parts", ignore_errors=True)
    return book.placed()

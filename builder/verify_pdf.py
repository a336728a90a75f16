"""Read the written PDF back and prove it holds every source whole.

Independent of the writer (builder/pdf.py and the Typst template): it reads the PDF with
pikepdf and poppler's `pdftotext -raw` only, and compares with the corpus's own files.

- the claims: XMP says PDF/A-3 (conformance A) and PDF/UA-1; /Lang and a structure tree;
- every original attached byte for byte (SHA-256), with AFRelationship /Source;
- fidelity: each source's reading text (builder.verify.expected_text: the one expectation of
  both editions), in the pages between its outline entry and the next,
  is found whole and in order in the extracted text. The extracted lines may interleave
  other text (running heads, page numbers, notes) only as whole lines; inside a line of the
  source nothing may be inserted (the edition draws note markers as shapes, not digits), and a
  character dropped or changed fails.
  White space is not compared (a PDF has no space characters to count), nor bidi controls.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from . import bidi, characters, parallel, pdf_reading
from .errors import ValidatorUnavailable
from .model import Archive
from .verify import Finding, expected, normalise

PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
PDFUAID = "{http://www.aiim.org/pdfua/ns/id/}"
INVISIBLE = re.compile("[\\s\u00ad\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")


@dataclass(frozen=True)
class ReadBack:
    """What one reading of the PDF found: the findings, the text of every page (pdftotext -raw),
    and, for each plain-text source, where its text crosses onto a new page: [(page (0-based),
    offset in the decoded source text of the first source character found on that page)]."""
    findings: list[Finding]
    pages: list[str]
    page_starts: dict[str, list[tuple[int, int]]]


def opened(path: Path):
    """The PDF at path, open (pikepdf; a context manager), for the read-back and the checks beside it."""
    import pikepdf
    return pikepdf.open(path)


def findings(path: Path, archive: Archive, pages: list[str] | None = None) -> list[Finding]:
    return read_back(path, archive, pages).findings


@dataclass
class Facts:
    """What the read-back and the checks beside it need of a PDF's own objects: read where the
    book was joined (builder/writers/pdf_beside.py), or by facts() here."""
    findings: list[Finding]  # its claims and attachments
    entries: list["Entry"]  # its outline's top level
    npages: int
    labels: list[str]  # every page's label (builder/pagemap.py labels)
    catalog: list[str]  # what is active in its catalogue (builder/inert.py pdf_active, parts=[])


def facts(path: Path, archive: Archive, where: str | None = None, opened=None) -> Facts:
    """The PDF at path read once (opened: open already); where: the name its findings give."""
    import pikepdf

    from . import inert, pagemap

    where = where or path.name
    with pikepdf.open(path) if opened is None else nullcontext(opened) as pdf:
        return Facts(claims(pdf, where) + attachments(pdf, archive, where), outline(pdf), len(pdf.pages),
                     pagemap.labels(path, pdf), inert.pdf_active(path, [], pdf))


def read_back(path: Path, archive: Archive, pages: list[str] | None = None, store=None,
              read: Facts | None = None) -> ReadBack:
    """Read the PDF once; pages: its text, when the caller has already extracted it (extract_pages).
    store (builder/cache.py): each source's match kept by the SHA-256 of what it compares (what the
    source's expected text is made from, and the text of its pages: match_key): a pure function,
    found again unchanged. read: its facts, when the caller has them (else read here)."""
    where = path.name
    read = read or facts(path, archive)
    found: list[Finding] = list(read.findings)
    starts = spans(read.entries, archive, read.npages, where, found)
    npages = read.npages
    if pages is None:
        pages = extract_pages(path, npages)
    if len(pages) < npages:
        found.append(Finding(where, f"pdftotext gave {len(pages)} pages of {npages}"))
    page_starts: dict[str, list[tuple[int, int]]] = {}
    early = BEGUN.pop(str(path), None)  # begun before the book was joined: used if it matched these pages
    if early is not None and (early.starts != starts or early.pages != pages):
        early.close()
        early = None
    matched = (early or Matching(archive, pages, starts, store)).results()
    for i in matched:
        source, (problem, starts_of) = archive.sources[i], matched[i]
        if problem:
            found.append(Finding(f"{where}: {source.id}", problem))
        elif starts_of is not None:
            page_starts[source.id] = [tuple(x) for x in starts_of]
    return ReadBack(found, pages, page_starts)


def begun_starts(path: Path, archive: Archive) -> dict[str, list[tuple[int, int]]] | None:
    """What the match begun for the book at path (begin) finds, once it is done: each plain-text
    source's page starts, as read_back gives them if the joined book has the pages and outline
    its parts gave; None if no match was begun, or a source's text is not whole (read_back says)."""
    early = BEGUN.get(str(path))
    if early is None:
        return None
    page_starts: dict[str, list[tuple[int, int]]] = {}
    for i, (problem, starts_of) in early.results().items():
        if problem:
            return None
        if starts_of is not None:
            page_starts[archive.sources[i].id] = [tuple(x) for x in starts_of]
    return page_starts


class Matching:
    """Each source's text matched against the text of its pages (starts: its span of pages), in
    worker processes when there are many, from the moment it is made (results() waits for them);
    a match kept in store (builder/cache.py) by the SHA-256 of what it compares is taken from there."""

    def __init__(self, archive: Archive, pages: list[str], starts: list, store=None):
        import json

        self.pages, self.starts, self.store = pages, starts, store
        self.matched: dict[int, tuple] = {}
        self.keys: dict[int, str | None] = {}
        for i, (source, span) in enumerate(zip(archive.sources, starts)):
            if span is None:
                continue
            self.keys[i] = None
            if store is None or store.folder is None:
                continue
            first, last = span
            self.keys[i] = match_key(source, first, pages[first:max(first, min(last, len(pages)))])
            kept = store.get("pdf-match", self.keys[i])
            if kept is not None:
                self.matched[i] = tuple(json.loads(kept))
        self.todo = [i for i in self.keys if i not in self.matched]
        readings = {i: expected(archive.sources[i]) for i in self.todo}  # the reading text of each source to match
        self.job = (readings, starts, pages)
        self.workers = parallel.Map(_match_one, self.job, self.todo)  # in worker processes, when there are many

    def results(self) -> dict[int, tuple]:
        """(what is missing or None, where the text crosses onto each page) of each source with a span."""
        import json

        try:
            for i in self.todo:
                result = self.workers.result(i)
                self.matched[i] = result if result is not None else _match_one(self.job, i)
                if self.keys[i] is not None and self.matched[i][0] is None:  # a failure is found again, never kept
                    self.store.put("pdf-match", self.keys[i], json.dumps(list(self.matched[i])).encode())
            self.todo = []  # asked again (begun_starts, then read_back): as found
        finally:
            self.close()
        return {i: self.matched[i] for i in self.keys}

    def close(self) -> None:
        self.workers.close()


BEGUN: dict[str, Matching] = {}  # a PDF still being joined (its path) -> its sources' match, begun


def begin(path: Path, archive: Archive, pages: list[str], entries: list["Entry"], store=None) -> None:
    """Begin the match of every source while the book at path is still being joined (by a writer
    that knows its pages' text and its outline from its parts): read_back uses it if the outline
    of the joined book gives the same spans, and matches again itself if not."""
    starts = spans(entries, archive, len(pages), path.name, [])
    abandon(path)
    BEGUN[str(path)] = Matching(archive, pages, starts, store)


def abandon(path: Path) -> None:
    """A match begun for the book at path and not used (an error before the read-back): stopped."""
    earlier = BEGUN.pop(str(path), None)
    if earlier is not None:
        earlier.close()


def match_key(source, first: int, pages: list[str]) -> str:
    """The cache key of a source's match (pdf-match): everything its reading text is made from (the
    source as loaded: its bytes' SHA-256, verified at load, its format and provenance; a scan's
    transcription: as builder/writers/pdf.py Staged keys source_data, which reads the same), its
    first page, and the SHA-256 of the text of its pages. (Keyed by the reading text itself, every
    source's text was decoded and hashed again at each build: a tenth of a second at 1,000.)"""
    from . import cache
    from .readers import scan

    h = hashlib.sha256()
    for page in pages:
        data = page.encode("utf-8", "surrogatepass")
        h.update(b"%d:" % len(data))
        h.update(data)
    return cache.key("pdf-match", repr(source), scan.transcription_sha256(source), first, len(pages), h.hexdigest())


def _match_one(job, i: int) -> tuple[str | None, list | None]:
    """Source i's match against the text of its pages (job: the sources' expected texts, their page
    spans, the pages' text)."""
    readings, starts, pages = job
    first, last = starts[i]
    lines = [(page, line) for page in range(first, min(last, len(pages))) for line in pages[page].splitlines()]
    return _match_source(*readings[i], lines)


def _match_source(reading: str, plain: bool, lines) -> tuple[str | None, list | None]:
    """A source's match: what is missing (or None), and, for plain text, where its text crosses
    onto each later page [(page, offset in the decoded text)] (None when not exact)."""
    text = characters.shown(reading)  # what the edition shows: markers for some characters
    problem, crossings = match_pages(text, lines, Directions(text, plain))
    if problem or not plain:
        return problem, None
    where_in = squeezed_offsets(text)
    back = characters.offsets(reading)  # shown text -> reading text, only where markers are
    if back is not None:
        where_in = [back[k] for k in where_in]
    if len(where_in) != len(squeeze(text)):  # no exact page starts for this source
        return None, None
    return None, [[page, where_in[i]] for page, i in crossings]


# ---------------------------------------------------------------- claims and attachments

def claims(pdf, where: str) -> list[Finding]:
    found = []
    meta = pdf.open_metadata()
    if meta.get(PDFAID + "part") != "3" or meta.get(PDFAID + "conformance") != "A":
        found.append(Finding(where, "XMP does not claim PDF/A-3a (pdfaid:part 3, conformance A)"))
    if meta.get(PDFUAID + "part") != "1":
        found.append(Finding(where, "XMP does not claim PDF/UA-1 (pdfuaid:part 1)"))
    if "/Lang" not in pdf.Root:
        found.append(Finding(where, "the document has no /Lang"))
    if "/StructTreeRoot" not in pdf.Root:
        found.append(Finding(where, "the document has no structure tree (not tagged)"))
    return found


def attachments(pdf, archive: Archive, where: str) -> list[Finding]:
    found = []
    attached = {name: spec for name, spec in pdf.attachments.items()}
    af = {spec.objgen for spec in pdf.Root.get("/AF", [])}
    for source in archive.sources:
        spec = attached.get(source.file_name)
        if spec is None:
            found.append(Finding(where, f"{source.file_name} is not attached"))
            continue
        data = spec.get_file().read_bytes()
        if hashlib.sha256(data).hexdigest() != source.sha256:
            found.append(Finding(where, f"attached {source.file_name}: SHA-256 does not match the source's"))
        if str(spec.obj.get("/AFRelationship", "")) != "/Source":
            found.append(Finding(where, f"attached {source.file_name}: AFRelationship is not /Source"))
        if spec.obj.objgen not in af:
            found.append(Finding(where, f"attached {source.file_name} is not an associated file (/AF)"))
    return found


# ---------------------------------------------------------------- where each source is

@dataclass(frozen=True)
class Entry:
    title: str
    page: int | None


def outline(pdf) -> list[Entry]:
    """The top-level outline entries, with the page (0-based) each points to."""
    import pikepdf

    index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    names = {}
    if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
        names = {k: v for k, v in pikepdf.NameTree(pdf.Root.Names.Dests).items()}

    def page_of(item) -> int | None:
        dest = item.destination
        if dest is None and item.action is not None:
            dest = item.action.get("/D")
        if isinstance(dest, (pikepdf.String, pikepdf.Name, str)):
            dest = names.get(str(dest))
        if isinstance(dest, pikepdf.Dictionary):
            dest = dest.get("/D")
        if isinstance(dest, pikepdf.Array) and len(dest) and isinstance(dest[0], pikepdf.Dictionary):
            return index.get(dest[0].objgen)
        return None

    # the top level only, read and not written back (a `with` block writes the whole outline again:
    # most of a tenth of a second for a book of 1,000 sources)
    return [Entry(str(item.title), page_of(item)) for item in pdf.open_outline(max_depth=0).root]


def spans(entries: list[Entry], archive: Archive, npages: int, where: str,
          found: list[Finding]) -> list[tuple[int, int] | None]:
    """For each source in order: (first page, end page) from its entry among the outline's
    top-level entries (outline) to the next, in a book of npages."""
    spans: list[tuple[int, int] | None] = []
    at = 0
    for source in archive.sources:
        title = normalise(source.provenance.title)
        k = next((k for k in range(at, len(entries)) if title in normalise(entries[k].title)), None)
        if k is None or entries[k].page is None:
            found.append(Finding(where, f"no outline entry leads to source '{source.id}' ({title})"))
            spans.append(None)
            continue
        following = [e.page for e in entries[k + 1:] if e.page is not None]
        end = following[0] if following else npages
        spans.append((entries[k].page, max(end, entries[k].page + 1)))
        at = k + 1
    return spans


def extract_pages(path: Path, npages: int) -> list[str]:
    """The text of every page (pdftotext -raw), read in page ranges in parallel, one per CPU."""
    tool = shutil.which("pdftotext")
    if not tool:
        raise ValidatorUnavailable("pdftotext is not installed: apt-get install poppler-utils")
    jobs = max(1, min(os.cpu_count() or 1, npages // 200 or 1))
    step = -(-npages // jobs)
    pages: list[str] = []
    # a copy without the output intent, which poppler would make a colour profile of on every page
    with tempfile.TemporaryDirectory(prefix="archive-read-") as tmp, pdf_reading.to_read(path, Path(tmp)) as read:
        procs = [pdf_reading.pdftotext(tool, read, first + 1, min(first + step, npages))
                 for first in range(0, npages, step)]
        for proc in procs:
            out, err = proc.communicate(timeout=3600)
            if proc.returncode != 0:
                raise ValidatorUnavailable(f"pdftotext failed (exit {proc.returncode}): {err[-300:]!r}")
            pages += pdf_reading.pages(out)
    return pages


# ---------------------------------------------------------------- the fidelity match

LIST_MARK = re.compile("^(?:[\u2022\u2023\u2013\u25e6\u2043*-]|[0-9]+[.)])")  # a list item's bullet or number
# an email's header block: each line begins with the field's name, the writer's text, not the source's
FIELD_MARK = re.compile(r"(from|to|cc|date|subject|message-id)", re.IGNORECASE)


def logical(line: str, direction: str | None = None) -> str:
    """A line of pdftotext in reading order. pdftotext gives a line's words in visual order, each
    right-to-left run of a word put back in reading order and marked RLE ... PDF: the line is
    taken back to visual order and reordered (builder/bidi.py) for a paragraph of the direction
    given; with none, the direction of its first strong character when read either way, and
    left to right where both readings agree with themselves."""
    if "\n" in line:  # several lines: each on its own
        return "\n".join(logical(one, direction) for one in line.split("\n"))
    if direction is None and bidi.RLE not in line and bidi.LRE not in line:
        return line  # pdftotext marks every right-to-left run: none here
    if direction is None:
        rtl, ltr = bidi.logical(line, "rtl"), bidi.logical(line, "ltr")
        if bidi.line_direction(rtl) == "rtl" and bidi.line_direction(ltr) != "ltr":
            return rtl
        return ltr
    return bidi.logical(line, direction)


class Directions:
    """Where a source's lines are right to left: for an index into squeeze(text), the direction of
    the line it is in and the line's text (a plain-text source's lines are set each in its own
    direction, builder/bidi.py; every other kind left to right, as the template sets it)."""

    def __init__(self, text: str, plain: bool):
        self.text, self.plain = text, plain
        self.offsets = squeezed_offsets(text) if plain and bidi.RTL_SCRIPT.search(text) else []
        if len(self.offsets) != len(squeeze(text)):
            self.offsets = []

    def line(self, i: int) -> tuple[int, int]:
        at = self.offsets[min(i, len(self.offsets) - 1)]
        start = self.text.rfind("\n", 0, at) + 1
        end = self.text.find("\n", at)
        return start, len(self.text) if end < 0 else end

    def at(self, i: int) -> str:
        if not self.offsets:
            return "ltr"
        start, end = self.line(i)
        return bidi.line_direction(self.text[start:end])

    def shows(self, seen: str, i: int) -> int | None:
        """Where the source goes on if a line that shows seen (visual order, squeezed) is exactly
        the rendering of the source's characters from squeeze(text)[i]: the strict reading of a
        line whose order the reverse reordering cannot tell (digits after a right-to-left run
        in a left-to-right line read the same as before it)."""
        n = len(seen)
        if not self.offsets or not n or i + n > len(self.offsets):
            return None
        start, end = self.line(i)
        first, last = self.offsets[i], self.offsets[i + n - 1] + 1
        if last > end:
            return None
        line = self.text[start:end]
        shown = bidi.rendered(line, first - start, last - start, bidi.line_direction(line))
        return i + n if squeeze(shown) == seen else None


def squeeze(text: str) -> str:
    """NFC, without white space, soft hyphens and bidi controls: what the match compares."""
    return INVISIBLE.sub("", unicodedata.normalize("NFC", text))


def _consume(line: str, expected: str, i: int) -> int | None:
    """Match a whole extracted line from expected[i]; the new position, or None if it is not source text."""
    if line and expected.startswith(line, i):  # the whole line, character for character (most lines)
        return i + len(line)
    k, n = 0, len(line)
    start = i
    while k < n:
        ch = line[k]
        if i < len(expected) and ch == expected[i]:
            i += 1
        elif (again := _repeated_cluster(line, k)):
            k += again  # pdftotext gave a cluster of several glyphs once per glyph
            continue
        else:
            return None
        k += 1
    return i if i > start else None


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")


def _repeated_cluster(line: str, k: int) -> int:
    """The length of the cluster that ends at line[k] if line repeats it from k, else 0. A letter
    with combining marks that the font draws with several glyphs (no precomposed form, as in
    Yoruba or after a bidi control) is extracted once per glyph: "A\u034a" as "A\u034aA\u034a".
    Only clusters whose NFD holds a combining mark are taken for such repeats, and only where the
    source's own text does not go on with them."""
    at = k
    while at > 0 and _is_mark(line[at - 1]):
        at -= 1
    if at == 0:
        return 0
    cluster = line[at - 1:k]
    if not any(_is_mark(c) for c in unicodedata.normalize("NFD", cluster)):
        return 0
    return len(cluster) if line.startswith(cluster, k) else 0


def _consume_line(line: str, expected: str, i: int) -> int | None:
    """_consume, and else the line without the bullet or number a list item begins with, or the
    name of a header field (not text of the source: the writer's)."""
    j = _consume(line, expected, i)
    if j is None and (m := LIST_MARK.match(line)):
        j = _consume(line[m.end():], expected, i)
    if j is None and (m := FIELD_MARK.match(line)):
        j = _consume(line[m.end():], expected, i)
    return j


def match(text: str, lines: list[tuple[int, str]]) -> str | None:
    """None if the source text runs whole and in order through lines; else what is missing, where."""
    return match_pages(text, lines)[0]


def squeezed_offsets(text: str) -> list[int]:
    """For each character of squeeze(text), its offset in text. Runs of white space never
    compose under NFC, so each run of other characters is normalised on its own; within a
    run that NFC changes in length, every character maps to the run's start."""
    if text.isascii():  # NFC changes no ASCII, and only white space is invisible: every other character kept
        offsets = []
        for m in re.finditer(r"\S+", text):  # a word at a time: a match object a character was most of the time
            offsets += range(m.start(), m.end())
        return offsets
    offsets: list[int] = []
    for m in re.finditer(r"\S+", text):
        word = m.group(0)
        if word.isascii():
            offsets += range(m.start(), m.end())
            continue
        kept = [k for k, ch in enumerate(word) if not INVISIBLE.match(ch)]
        nfc = squeeze(word)
        if len(nfc) == len(kept) and nfc == "".join(word[k] for k in kept):
            offsets += [m.start() + k for k in kept]
        else:
            offsets += [m.start() + (kept[0] if kept else 0)] * len(nfc)
    return offsets


def match_pages(text: str, lines: list[tuple[int, str]],
                directions: Directions | None = None) -> tuple[str | None, list[tuple[int, int]]]:
    """match(), and where the text crosses onto a new page: [(page, index in squeeze(text) of
    the first source character found on that page)], for every page after the text's first."""
    expected = squeeze(text)
    i, page = 0, None
    crossings: list[tuple[int, int]] = []
    recent: list[int] = []  # where the last accepted lines began: a heading may match too early
    directions = directions or Directions(text, False)
    for p, raw in lines:
        if i >= len(expected):
            continue
        line = squeeze(logical(raw, directions.at(i)))
        if not line:
            continue
        begun = i
        j = _consume_line(line, expected, i)
        if j is None and line != (seen := squeeze(bidi.visual(raw))):
            j = directions.shows(seen, i)
        if j is None:
            for start in reversed(recent[-3:]):
                again = _consume_line(line, expected, start)
                if again is not None and again > i:
                    j, begun = again, start
                    break
        if j is not None:
            if page is not None and p != page:
                crossings.append((p, begun))
            recent.append(i)
            i, page = j, p
    if i >= len(expected):
        return None, crossings
    at = f"after page {page + 1}" if page is not None else "from its first page"
    return (f"the text is not whole: {len(expected) - i} of {len(expected)} characters not found {at}; "
            f"missing from «{expected[max(0, i - 20):i]}|{expected[i:i + 40]}»"), crossings

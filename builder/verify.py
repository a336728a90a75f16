"""Read the written editions back and prove they hold every source whole.

This module parses what was written with its own code and shares nothing with the
writers, so that a writer's mistake cannot hide from it. What each edition must show of a
source is its reading text (builder/document.py, made by its reader): one expectation for
both editions (expected_text), read back from the EPUB here and from the PDF in
builder/verify_pdf.py.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
import zipfile
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from . import characters
from .errors import DamageFound
from .model import Archive

XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_NS = "http://www.idpf.org/2007/ops"


def normalise(text: str) -> str:
    """NFC, and every run of white space as one space: what fidelity checks compare."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True)
class Finding:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def first_difference(expected: str, found: str, margin: int = 30) -> str:
    """Where two normalised texts part, for a message a person can act on."""
    i = next((k for k, (a, b) in enumerate(zip(expected, found)) if a != b), min(len(expected), len(found)))
    return (f"at character {i}: expected «{expected[max(0, i - margin):i + margin]}», "
            f"found «{found[max(0, i - margin):i + margin]}»")


def chapter_text(xhtml: bytes, container_id: str) -> str | None:
    """The source text shown in a chapter, note markers left out; None if there is no such block."""
    root = etree.fromstring(xhtml, etree.XMLParser(resolve_entities=False, no_network=True))
    found = root.xpath("//*[@id=$id]", id=container_id)
    if not found:
        return None
    parts: list[str] = []

    def walk(el) -> None:
        is_ref = el.get(f"{{{EPUB_NS}}}type", "") == "noteref" or "doc-noteref" in el.get("role", "")
        is_label = el.tag == f"{XHTML}dt" and el.getparent().get("class") == "fields"  # an email's field name
        if not is_ref and not is_label:
            if el.tag == f"{XHTML}br":
                parts.append("\n")
            elif el.tag == f"{XHTML}p":
                parts.append("\n\n")
            parts.append(el.text or "")
            for child in el:
                walk(child)
        parts.append(el.tail or "")

    container = found[0]
    parts.append(container.text or "")
    for child in container:
        walk(child)
    return "".join(parts)


def expected_text(source) -> str:
    """What both editions must show of a source: its reading text (builder/readers/), every
    character of it, a character no edition shows as it is as its marker (builder/characters.py).
    For a plain-text source, its decoded text as it is."""
    return characters.shown(expected(source)[0])


def expected(source, data: bytes | None = None) -> tuple[str, bool]:
    """The source's reading text, and whether its white space is shown as it is (plain text) or
    may fall differently at block edges (every other kind). data: its bytes, if already read
    (and found to be the source's: its SHA-256)."""
    from . import readers

    return readers.reading_text(source, data)


def squeezer(plain: bool):
    """How a reading text and the text read back are compared: white space as one space in plain
    text; without white space in any other document (a rendering places it at block edges)."""
    return normalise if plain else (lambda t: "".join(normalise(t).split()))


def container_findings(path: Path, opened: zipfile.ZipFile | None = None) -> list[Finding]:
    """OCF rules EPUBCheck 5.3 does not enforce: `mimetype` first, stored, exact. (opened: the EPUB
    already open, its directory read: 40,000 entries at 10,000 sources are read once.)"""
    with zipfile.ZipFile(path) if opened is None else nullcontext(opened) as z:
        infos = z.infolist()
        if not infos or infos[0].filename != "mimetype":
            return [Finding(path.name, "the first zip entry is not `mimetype`")]
        first = infos[0]
        findings = []
        if first.compress_type != zipfile.ZIP_STORED:
            findings.append(Finding(f"{path.name}:mimetype", "`mimetype` is compressed; it must be stored"))
        if first.extra:
            findings.append(Finding(f"{path.name}:mimetype", "`mimetype` has an extra field"))
        if z.read(first) != b"application/epub+zip":
            findings.append(Finding(f"{path.name}:mimetype", "`mimetype` is not exactly application/epub+zip"))
        return findings


READ_BACK = "epub-read-back"  # builder/cache.py: the chapters found whole by the last build


def epub_findings(path: Path, archive: Archive, store=None) -> list[Finding]:
    """Every source's text complete and in order, and every original byte for byte. With store (a
    builder.cache.Store), a chapter of the same bytes found whole for the same source by the last
    build is not parsed again; every other is, every character. Each source is read back where it
    is checked (in worker processes when many): its original hashed, its chapter parsed."""
    from . import cache, parallel

    keeping = store is not None and store.folder is not None
    whole: frozenset[str] = frozenset()
    if keeping:  # one entry: the keys (builder/cache.py) of every chapter the last build found whole
        raw = store.get(READ_BACK, cache.key(READ_BACK))
        whole = frozenset(raw.decode("ascii", "replace").split()) if raw is not None else frozenset()
    each: dict[int, list[Finding]] = {}
    found_whole: list[str] = []
    with zipfile.ZipFile(path) as z:  # its directory read once; each worker reads with a file of its own
        findings = container_findings(path, z)
        job = ReadBack(path, archive, z, set(z.namelist()), whole if keeping else None, os.getpid())
        todo = list(range(len(archive.sources)))
        with parallel.Map(_chapter_findings, job, todo) as done:
            for i in todo:
                one = done.result(i)
                if one is None:
                    one = _chapter_findings(job, i)
                each[i], k = one
                if k is not None:
                    found_whole.append(k)
    if keeping:
        store.put(READ_BACK, cache.key(READ_BACK), "\n".join(sorted(found_whole)).encode("ascii"))
    return findings + [f for i in sorted(each) for f in each[i]]


@dataclass
class ReadBack:
    """What each source's read-back needs: the EPUB (open, its directory read), the archive, and the
    keys of the chapters found whole before (None: no cache)."""
    path: Path
    archive: Archive
    zip: zipfile.ZipFile
    names: set[str]
    whole: frozenset[str] | None
    pid: int  # the process that opened zip

    def reader(self) -> zipfile.ZipFile:
        """The open EPUB, read through a file of this process's own (a forked worker shares the
        build's file offset: two processes seeking one file would read each other's bytes)."""
        if self.pid != os.getpid():  # in a worker: the directory inherited, a file of its own
            self.zip.fp = open(self.path, "rb")  # noqa: SIM115  (closed when the worker ends)
            self.pid = os.getpid()
        return self.zip


def _chapter_findings(job: ReadBack, i: int) -> tuple[list[Finding], str | None]:
    """What is wrong with source i in the EPUB (nothing: []): its original byte for byte, its text
    in its chapter; and the key under which its chapter is now known whole (None if not kept)."""
    from . import cache

    path, source = job.path, job.archive.sources[i]
    chapter, original = f"EPUB/text/{source.id}.xhtml", f"EPUB/originals/{source.file_name}"
    if chapter not in job.names:
        return [Finding(f"{path.name}:{chapter}", "the chapter is missing")], None
    z = job.reader()
    found: list[Finding] = []
    data = None
    if original not in job.names:
        found.append(Finding(f"{path.name}:{original}", "the original file is missing"))
    elif hashlib.sha256(data := z.read(original)).hexdigest() != source.sha256:
        found.append(Finding(f"{path.name}:{original}", "the original's SHA-256 does not match"))
        data = None  # the text expected is then read from the corpus
    xhtml = z.read(chapter)
    k = None
    if job.whole is not None:
        k = cache.key(READ_BACK, hashlib.sha256(xhtml).hexdigest(), source.id, source.sha256, source.format,
                      repr(source.provenance), _transcription(source))
        if k in job.whole:
            return found, (k if not found else None)
    shown = chapter_text(xhtml, f"{source.id}-text")
    if shown is None:
        return found + [Finding(f"{path.name}:{chapter}", "no source text block")], None
    text, plain = expected(source, data)  # the original's bytes, once they match its SHA-256
    squeeze = squeezer(plain)
    want = squeeze(characters.shown(text))
    if squeeze(shown) != want:
        found.append(Finding(f"{path.name}:{chapter}", "the text differs from the source "
                             + first_difference(want, squeeze(shown))))
    return found, (k if not found else None)


def _transcription(source) -> str | None:
    from .readers import scan
    return scan.transcription_sha256(source)


def editions(archive: Archive, editions: dict[str, Path], pdf_findings: list[Finding] | None = None,
             store=None, epub_read: list[Finding] | None = None) -> None:
    """Raise DamageFound unless every edition holds every source whole (pdf_findings, epub_read:
    the PDF's and the EPUB's readings, when the build has already made them)."""
    findings: list[Finding] = []
    if "epub" in editions:
        findings += epub_findings(editions["epub"], archive, store) if epub_read is None else epub_read
    if "pdf" in editions:
        if pdf_findings is None:
            from . import verify_pdf
            pdf_findings = verify_pdf.findings(editions["pdf"], archive)
        findings += pdf_findings
    elif pdf_findings:  # a PDF in volumes, each read back by the build (builder/writers/pdf_volumes.py)
        findings += pdf_findings
    if findings:
        raise DamageFound("the written editions do not hold the sources whole:\n"
                          + "\n".join(f"  {f}" for f in findings))

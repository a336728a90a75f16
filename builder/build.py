"""The build, start to finish: load -> validate -> anchor notes -> render -> package -> verify.

Nothing reaches the output folder until every edition is written and verified: editions
are made in a staging folder beside it and moved in at the end.

With both formats the PDF is rendered first and read back (builder.verify_pdf.read_back: its
verification and its pagination in one reading); the EPUB is then written with the PDF's page
map (builder.pagemap), so that page numbers match between the editions (docs/pages.md). A book
in parts is joined in a process of its own while the EPUB is written with the page map that the
parts give; the joined book's read-back must give the same map, else the EPUB is written again.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from . import anchor, cache, corpus, inert, pagemap, progress, verify, volumes
from .writers import epub
from .model import Archive
from .output import out_problems

FORMATS = ("epub", "pdf")
EPUB_BESIDE_JOIN = True  # a book in parts: the EPUB written while its parts are joined (tests set False)
EARLY_EPUB_MISSED: list[str] = []  # books whose EPUB was written again: the joined book's page map differed (tests)


@dataclass(frozen=True)
class Built:
    archive: Archive
    editions: dict[str, Path]
    warnings: tuple[str, ...]


def build(corpus_dir: Path, out: Path, formats: tuple[str, ...] = FORMATS) -> Built:
    archive = corpus.load(Path(corpus_dir), also=out_problems(corpus_dir, out), editions=True)  # every problem, or nothing
    archive, anchors = anchor.anchor(archive)  # every note placed, or nothing
    with staging(Path(out)) as folder:
        # what an earlier build made from the same inputs (builder/cache.py); what this one makes
        # waits in the staging folder, and is kept only if the build succeeds
        store = cache.open(out, pending=folder)
        editions, pdf_findings, epub_findings = {}, None, None
        write_epub = None
        if "epub" in formats:
            def write_epub(pages) -> tuple[Path, list]:
                """The EPUB written (with the PDF's page map, if any), and read back: its findings."""
                path = epub.write(archive, anchors, folder / f"{archive.slug}.epub", pages, store)
                with progress.step("EPUB read back"):
                    return path, verify.epub_findings(path, archive, store)
        if "pdf" in formats:  # first, so that the EPUB can follow its pages
            pdfs, pdf_findings, written = paginated_pdf(archive, anchors, folder, store, write_epub)
            editions.update(pdfs)  # {"pdf": path}, or in volumes {"pdf-vol1": path, ...}
        elif write_epub is not None:
            written = write_epub(None)
        if write_epub is not None:
            editions["epub"], epub_findings = written
        with progress.step("editions read back"):  # read back what was written: DamageFound
            verify.editions(archive, editions, pdf_findings, store, epub_findings)
        final = {kind: path.replace(Path(out) / path.name) for kind, path in editions.items()}
        volumes.clear_stale(archive, Path(out), final)  # no volume of an earlier set left beside these
        store.finish()
    return Built(archive, final, archive.warnings)


def paginated_pdf(archive: Archive, anchors: dict, folder: Path, store=None, write_epub=None):
    """Render the PDF and read it back once: its editions, its findings, and what write_epub(page
    map) gave (if asked: with the PDF's page map, if sound; else None)."""
    from . import verify_pdf
    from .writers import pdf, pdf_part_text  # Typst is loaded only when a PDF is asked for

    book = folder / f"{archive.slug}.pdf"
    early = EarlyEpub(archive, book, write_epub) if write_epub is not None and EPUB_BESIDE_JOIN else None
    try:
        with progress.step("PDF laid out"):
            path, placed = pdf.render(archive, anchors, book, store, meanwhile=early)
        if isinstance(path, list):  # in volumes ([pdf] volume_pages)
            from .writers import pdf_volumes
            pdfs, findings, pages = pdf_volumes.read_back(path, archive, write_epub is not None)
            return pdfs, findings, write_epub(pages) if write_epub is not None else None
        back, pages = read_pdf(archive, path, placed, store, write_epub is not None, early)
    finally:
        verify_pdf.abandon(book)  # a match begun while the parts were joined, if the read-back did not use it
        pdf_part_text.forget(book)
    if write_epub is None:
        return {"pdf": path}, back.findings, None
    if early is not None and early.written is not None:
        if early.pages == pages:
            return {"pdf": path}, back.findings, early.written
        EARLY_EPUB_MISSED.append(str(path))
    return {"pdf": path}, back.findings, write_epub(pages)


def read_pdf(archive: Archive, path: Path, placed: list[tuple], store, paginate: bool, early=None):
    """The PDF's read-back, and its page map (if wanted and sound): the book's own objects read
    where its parts were joined (pdf_part_text.JOINED), else here, opened once."""
    from . import verify_pdf
    from .writers import pdf, pdf_part_text

    read = pdf_part_text.JOINED.pop(str(path), None)
    with nullcontext() if read else verify_pdf.opened(path) as book:  # (a large book: 0.1 s to open)
        read = read or verify_pdf.facts(path, archive, opened=book)
        inert.refuse_pdf(path, archive, pdf.parts_scanned(path), book,  # no script, action or unsafe
                         read.catalog)  # link (docs/security.md)
        with progress.step("PDF read back"):
            back = verify_pdf.read_back(path, archive, pdf.page_texts(path, store), store, read)  # by part, from the cache
    if not paginate or back.findings:
        return back, None
    return back, ((early and early.map_from(back.pages, back.page_starts, read.labels))
                  or pagemap.compute(path, archive, placed, back.pages, back.page_starts, names=read.labels))


class EarlyEpub:
    """The EPUB written while a book's parts are joined (pdf_parts.render's meanwhile), with the
    page map that the parts give: their labels, their texts, and the match begun before the join."""

    def __init__(self, archive: Archive, book: Path, write):
        self.archive, self.book, self.write = archive, book, write
        self.made_from = self.pages = self.written = None

    def __call__(self, placed: list[tuple], names: list[str] | None) -> None:
        from . import verify_pdf
        from .writers import pdf_part_text

        texts, starts = pdf_part_text.TEXTS.get(str(self.book)), verify_pdf.begun_starts(self.book, self.archive)
        if names is not None and texts is not None and starts is not None and len(names) == len(texts):
            self.made_from = (texts, starts, names)
            self.pages = pagemap.compute(None, self.archive, placed, texts, starts, names=names)
            self.written = self.write(self.pages)

    def map_from(self, texts: list[str], starts: dict, names: list[str]):
        """Its page map, if the joined book's read-back gave what it was made from (the map is a
        pure function of these and the blocks placed); else None."""
        return self.pages if self.made_from == (texts, starts, names) else None


@contextmanager
def staging(out: Path) -> Iterator[Path]:
    """A folder inside out for editions in the making; gone afterwards, whatever happens
    (and out too, if the build made it and failed)."""
    made = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        if made and not any(out.iterdir()):
            out.rmdir()
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)

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
from contextlib import contextmanager
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
        editions, pdf_findings = {}, None
        write_epub = None
        if "epub" in formats:
            def write_epub(pages):
                return epub.write(archive, anchors, folder / f"{archive.slug}.epub", pages, store)
        if "pdf" in formats:  # first, so that the EPUB can follow its pages
            pdfs, pdf_findings, epub_path = paginated_pdf(archive, anchors, folder, store, write_epub)
            editions.update(pdfs)  # {"pdf": path}, or in volumes {"pdf-vol1": path, ...}
            if epub_path is not None:
                editions["epub"] = epub_path
        elif write_epub is not None:
            editions["epub"] = write_epub(None)
        with progress.step("editions read back"):
            verify.editions(archive, editions, pdf_findings, store)  # read back what was written: DamageFound
        final = {kind: path.replace(Path(out) / path.name) for kind, path in editions.items()}
        volumes.clear_stale(archive, Path(out), final)  # no volume of an earlier set left beside these
        store.finish()
    return Built(archive, final, archive.warnings)


def paginated_pdf(archive: Archive, anchors: dict, folder: Path, store=None, write_epub=None):
    """Render the PDF and read it back once: its editions, its findings, and the EPUB written by
    write_epub(page map) (if asked: with the PDF's page map, if sound; else None)."""
    from . import verify_pdf
    from .writers import pdf, pdf_parts  # Typst is loaded only when a PDF is asked for

    path = folder / f"{archive.slug}.pdf"
    early: dict = {}

    def meanwhile(placed: list[tuple], names: list[str] | None) -> None:
        """While the parts are joined: the EPUB, with the page map the parts give (the same as the
        joined book's, unless its read-back finds otherwise: then it is written again)."""
        texts, starts = pdf_parts.TEXTS.get(str(path)), verify_pdf.begun_starts(path, archive)
        if names is not None and texts is not None and starts is not None and len(names) == len(texts):
            early["pages"] = pagemap.compute(None, archive, placed, texts, starts, names=names)
            early["epub"] = write_epub(early["pages"])

    with progress.step("PDF laid out"):
        path, placed = pdf.render(archive, anchors, path, store,
                                  meanwhile=meanwhile if write_epub is not None and EPUB_BESIDE_JOIN else None)
    if isinstance(path, list):  # in volumes ([pdf] volume_pages)
        from .writers import pdf_volumes
        pdfs, findings, pages = pdf_volumes.read_back(path, archive, write_epub is not None)
        return pdfs, findings, write_epub(pages) if write_epub is not None else None
    try:
        with verify_pdf.opened(path) as book:  # opened once for the checks below (a large book: a tenth of a second)
            inert.refuse_pdf(path, archive, pdf.parts_scanned(path), book)  # no script, action or unsafe link (docs/security.md)
            with progress.step("PDF read back"):
                back = verify_pdf.read_back(path, archive, pdf.page_texts(path, store), store, book)  # by part, from the cache
            pages = None
            if write_epub is not None and not back.findings:
                pages = pagemap.compute(path, archive, placed, back.pages, back.page_starts, book)
    finally:
        verify_pdf.abandon(path)  # a match begun while the parts were joined, if the read-back did not use it
    if write_epub is None:
        return {"pdf": path}, back.findings, None
    if "epub" in early and early["pages"] == pages:
        return {"pdf": path}, back.findings, early["epub"]
    if "epub" in early:
        EARLY_EPUB_MISSED.append(str(path))
    return {"pdf": path}, back.findings, write_epub(pages)


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

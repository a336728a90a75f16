"""The build, start to finish: load -> validate -> anchor notes -> render -> package -> verify.

Nothing reaches the output folder until every edition is written and verified: editions
are made in a staging folder beside it and moved in at the end.

With both formats the PDF is rendered first and read back (builder.verify_pdf.read_back: its
verification and its pagination in one reading); the EPUB is then written with the PDF's page
map (builder.pagemap), so that page numbers match between the editions (docs/pages.md).
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
        editions, pages, pdf_findings = {}, None, None
        if "pdf" in formats:  # first, so that the EPUB can follow its pages
            pdfs, pdf_findings, pages = paginated_pdf(archive, anchors, folder, "epub" in formats, store)
            editions.update(pdfs)  # {"pdf": path}, or in volumes {"pdf-vol1": path, ...}
        if "epub" in formats:
            editions["epub"] = epub.write(archive, anchors, folder / f"{archive.slug}.epub", pages, store)
        with progress.step("editions read back"):
            verify.editions(archive, editions, pdf_findings, store)  # read back what was written: DamageFound
        final = {kind: path.replace(Path(out) / path.name) for kind, path in editions.items()}
        volumes.clear_stale(archive, Path(out), final)  # no volume of an earlier set left beside these
        store.finish()
    return Built(archive, final, archive.warnings)


def paginated_pdf(archive: Archive, anchors: dict, folder: Path, paginate: bool, store=None):
    """Render the PDF and read it back once: its findings, and its page map (if wanted and sound)."""
    from . import verify_pdf
    from .writers import pdf  # Typst is loaded only when a PDF is asked for

    with progress.step("PDF laid out"):
        path, placed = pdf.render(archive, anchors, folder / f"{archive.slug}.pdf", store)
    if isinstance(path, list):  # in volumes ([pdf] volume_pages)
        from .writers import pdf_volumes
        return pdf_volumes.read_back(path, archive, paginate)
    try:
        with verify_pdf.opened(path) as book:  # opened once for the checks below (a large book: a tenth of a second)
            inert.refuse_pdf(path, archive, pdf.parts_scanned(path), book)  # no script, action or unsafe link (docs/security.md)
            with progress.step("PDF read back"):
                back = verify_pdf.read_back(path, archive, pdf.page_texts(path, store), store, book)  # by part, from the cache
            pages = None
            if paginate and not back.findings:
                pages = pagemap.compute(path, archive, placed, back.pages, back.page_starts, book)
    finally:
        verify_pdf.abandon(path)  # a match begun while the parts were joined, if the read-back did not use it
    return {"pdf": path}, back.findings, pages


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

"""`archive check`: read editions and deposits back, with our own parsing, and name any damage.

An EPUB, a PDF, a bag (folder or zip) or a whole output folder. Each is checked against what
it carries itself (the originals inside an EPUB, the files attached to a PDF, the payload of a
bag, and the SHA-256 each records), or, with a corpus, against the corpus. Nothing here shares
rendering code with the writers: the XHTML, the PDF and the bag are parsed afresh (lxml,
zipfile, pikepdf, pdftotext, bagit), so a writer's mistake cannot hide from the check.

`check(paths, corpus_dir)` returns a Report; it raises only for bad usage. Exit codes:
0 all holds; 1 damage found; 2 unreadable input or bad usage; 3 a validator could not run.

One module per thing checked: `epub`, `pdf` (with `pdf_text`, the pages against the sources),
`web` (a web edition's folder) and `bag` (folders and zips); `report` holds the Report and Expected, `records` what an edition
or bag carries, read back as the archive model. Here: which check a path gets.
"""

from __future__ import annotations

from pathlib import Path

from .bag import check_bag, check_bag_zip
from .epub import check_epub
from .pdf import check_pdf, pdf_pages_text
from .pdf_text import pdf_text_findings, recorded_hashes
from .report import Expected, Finding, Report
from .web import check_web, is_web_edition
from . import volumes

__all__ = ["Expected", "Finding", "Report", "check", "check_bag", "check_bag_zip", "check_epub",
           "check_output_folder", "check_path", "check_pdf", "pdf_pages_text", "pdf_text_findings",
           "recorded_hashes"]


def check(paths: list[Path], corpus_dir: Path | None = None, epubcheck: bool = True) -> Report:
    """Check every path; a corpus, when given, is what the editions must hold."""
    report = Report()
    expected = None
    if corpus_dir is not None:
        from .. import anchor, corpus
        archive, anchors = anchor.anchor(corpus.load(Path(corpus_dir)))  # CorpusError: exit 2
        expected = Expected(archive, {s.id: len(anchors.get(s.id, [])) for s in archive.sources},
                            f"the corpus {corpus_dir}", corpus=True)
    if not paths:
        report.unreadable.append("no PATH given")
    for path in paths:
        check_path(Path(path), report, expected, epubcheck)
    return report


def check_path(path: Path, report: Report, expected: Expected | None, epubcheck: bool = True,
               label: str | None = None) -> None:
    """The check a path calls for: a bag, an output folder, an EPUB, a PDF or a bag zip."""
    label = label or str(path)
    if not path.exists():
        report.unreadable.append(f"{label}: no such file or folder")
    elif not path.is_dir() and not path.is_file():  # a FIFO or device would block or never end
        report.unreadable.append(f"{label}: not a regular file (a pipe, socket or device): nothing to check")
    elif path.is_dir() and (path / "bagit.txt").is_file():
        check_bag(path, report, expected, epubcheck, label)
    elif is_web_edition(path):
        check_web(path, report, expected, label)
    elif path.is_dir():
        check_output_folder(path, report, expected, epubcheck, label)
    elif path.suffix == ".epub":
        check_epub(path, report, expected, epubcheck, label)
    elif path.suffix == ".pdf":
        check_pdf(path, report, expected, label)
    elif path.suffix == ".zip":
        check_bag_zip(path, report, expected, epubcheck, label)
    else:
        report.unreadable.append(f"{label}: not an EPUB, a PDF, a bag or an output folder")


def check_output_folder(folder: Path, report: Report, expected: Expected | None, epubcheck: bool,
                        label: str) -> None:
    """Every EPUB, PDF, bag and deposit zip in an output folder; unreadable if it holds none."""
    found = False
    volumes.check_sets(sorted(folder.iterdir()), report, expected, label.rstrip("/"))  # a PDF in volumes: whole
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        if p.suffix in (".epub", ".pdf") or (p.suffix == ".zip" and p.name.endswith("-deposit.zip")) \
                or (p.is_dir() and (p / "bagit.txt").is_file()) or is_web_edition(p):
            found = True
            check_path(p, report, expected, epubcheck, f"{label.rstrip('/')}/{p.name}")
    if not found:
        report.unreadable.append(f"{label}: holds no EPUB, PDF or deposit to check")


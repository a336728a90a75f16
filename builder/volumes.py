"""The PDF edition in volumes (`[pdf] volume_pages`; docs/pdf.md, "Volumes").

Where one PDF of the whole archive is not wanted, `[pdf] volume_pages = N` in archive.toml asks
for volumes of about N pages each: the sources, in their order, in runs of at most N estimated
pages (a source is never split; a source longer than N pages has a volume of its own). Volume 1
opens with the front matter (title page, contents, introduction), the last ends with the back
matter (glossary, index, colophon). Page numbers continue from volume to volume; each volume's
page labels carry its number ("2:123"), and so does the EPUB's page-list.

Here: the option read from archive.toml (C196-C199), the plan (which sources each volume holds)
and the volumes' file names. Used by the writer (builder/writers/pdf_volumes.py), the check
(builder/check/volumes.py) and the deposit, so that all three agree on what a volume holds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

MIN_PAGES = 1
MAX_PAGES = 100_000  # a volume longer than this is no volume a reader can hold
MAX_VOLUMES = 999  # more volumes than this is a mistake in volume_pages, not a set to bind
VOLUME_NAME = re.compile(r"^(?P<slug>.+)-vol(?P<n>[1-9][0-9]*)\.pdf$")


def read_volume_pages(doc, pdf: dict) -> int | None:
    """`[pdf] volume_pages`: a whole number of pages from MIN_PAGES to MAX_PAGES, or None (one PDF)."""
    if "volume_pages" not in pdf:
        return None
    value = pdf["volume_pages"]
    line = doc.line_of("volume_pages")
    if isinstance(value, bool) or not isinstance(value, int):
        shown = ("true" if value else "false") if isinstance(value, bool) else json.dumps(value, ensure_ascii=False) \
            if isinstance(value, (str, float)) else "a table or a list" if isinstance(value, (dict, list)) \
            else f"a {type(value).__name__}"
        doc.problem("C196", f"[pdf] volume_pages is {shown}, not a whole number of pages",
                    "write a whole number without quotes, e.g. `volume_pages = 400`, or remove the line "
                    "for one PDF", line=line)
        return None
    if value < MIN_PAGES:
        doc.problem("C197", f"[pdf] volume_pages is {value}: a volume needs at least {MIN_PAGES} page",
                    "give the number of pages a volume should have, e.g. `volume_pages = 400`, or remove "
                    "the line for one PDF", line=line)
        return None
    if value > MAX_PAGES:
        doc.problem("C198", f"[pdf] volume_pages is {value:,}, more than {MAX_PAGES:,} pages: no volume is "
                    "that long", f"give a number from {MIN_PAGES} to {MAX_PAGES:,}, or remove the line for one "
                    "PDF (a PDF of any size is made in parts)", line=line)
        return None
    return value


def check_count(doc, archive) -> None:
    """C199: volume_pages so small for this corpus that it would make more than MAX_VOLUMES volumes."""
    if archive.volume_pages is None:
        return
    runs = plan(archive, limit=False)
    if runs is not None and len(runs) > MAX_VOLUMES:
        doc.problem("C199", f"[pdf] volume_pages = {archive.volume_pages} would make {len(runs):,} volumes of "
                    f"this archive's {len(archive.sources):,} sources, more than {MAX_VOLUMES}",
                    "give a larger volume_pages (about the number of pages a bound volume holds, e.g. 400)",
                    line=doc.line_of("volume_pages"))


def plan(archive, limit: bool = True) -> list[list[str]] | None:
    """The source ids of each volume, in order: runs of at most volume_pages estimated pages (a
    source longer than that alone); None when the archive asks for no volumes or fits in one."""
    if archive.volume_pages is None or not archive.sources:
        return None
    from .writers.pdf_parts import estimated_pages  # Typst is not loaded by this

    runs: list[list[str]] = [[]]
    size = 0.0
    for source in archive.sources:
        pages = estimated_pages(archive, source)
        if runs[-1] and size + pages > archive.volume_pages:
            runs.append([])
            size = 0.0
        runs[-1].append(source.id)
        size += pages
    if len(runs) < 2:
        return None
    if limit and len(runs) > MAX_VOLUMES:  # refused at load (C199); never made
        raise ValueError(f"{len(runs)} volumes")
    return runs


def file_name(slug: str, number: int) -> str:
    return f"{slug}-vol{number}.pdf"


def number_of(path: Path) -> tuple[str, int] | None:
    """(slug, volume number) of a volume's file name, or None for any other file."""
    m = VOLUME_NAME.match(Path(path).name)
    return (m.group("slug"), int(m.group("n"))) if m else None


def label(volume: int, page: str) -> str:
    """A page's label in a volume: "2:123" (volume 2, page 123), as the PDF and the EPUB give it."""
    return f"{volume}:{page}"


def clear_stale(archive, out: Path, made: dict[str, Path]) -> None:
    """After a build moved its editions into out: the PDF files of an earlier build that this one
    replaced by another form (one PDF, or a set of another size) are removed, so that out never
    holds a set that mixes two builds, nor one PDF beside the volumes that replace it."""
    kept = {p.name for p in made.values()}
    if not any(k == "pdf" or k.startswith("pdf-vol") for k in made):
        return  # no PDF made this time: an earlier one stays, as before
    for p in out.iterdir():
        old = number_of(p)
        if (old and old[0] == archive.slug or p.name == f"{archive.slug}.pdf") and p.name not in kept:
            p.unlink()

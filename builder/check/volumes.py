"""The PDF edition in volumes (`<slug>-vol<k>.pdf`, builder/volumes.py), checked as a set.

Each volume is a whole PDF, checked as any PDF (check/pdf.py), against the sources it should hold:
with a corpus that sets `[pdf] volume_pages`, those its plan puts in that volume; otherwise (a bag's
record, or a corpus without the option) those of the expected sources it carries. The set (an output
folder's or a bag's volumes) must then be whole: every volume from 1 to the number each volume's
title gives ("…, volume 2 of 3") or the corpus's plan, present, and every expected source carried by
exactly one volume. A missing or extra volume, or a source in none, is damage.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from .. import volumes
from .report import Expected, Report

OF = re.compile(r", volume (\d+) of (\d+)$")


def expected_in(path: Path, pdf, expected: Expected | None, report: Report, label: str) -> Expected | None:
    """What the volume at path must hold, of what the whole edition must hold."""
    found = volumes.number_of(path)
    if found is None or expected is None:
        return expected
    k = found[1]
    archive = expected.archive
    plan = _plan(expected)
    if plan is not None and _divided_otherwise(pdf, k, plan, archive):
        report.out_of_date(label, f"out of date: made with another division into volumes than {expected.against}'s "
                           f"[pdf] volume_pages = {archive.volume_pages} gives now ({len(plan)} volumes); "
                           "checked against what it carries")
        plan = None
    if plan is not None:
        if k > len(plan):
            report.damage(label, f"volume {k} is not one of the set: the corpus's [pdf] volume_pages makes "
                          f"{len(plan)} volumes")
            ids: set[str] = set()
        else:
            ids = set(plan[k - 1])
    else:
        ids = {s.id for s in archive.sources if s.file_name in attached(pdf)}
    return replace(expected, archive=replace(archive, sources=tuple(s for s in archive.sources if s.id in ids)))


def _divided_otherwise(pdf, k: int, plan: list[list[str]], archive) -> bool:
    """Whether a volume was made by another plan than the corpus's (volume_pages changed since, or the
    sources): the number of volumes its title gives differs, or it carries a source the plan puts in
    another volume. (A volume carrying less than the plan gives it has lost an original: damage.)"""
    said = claimed(pdf)
    if said is not None and said[1] != len(plan):
        return True
    names = {s.id: s.file_name for s in archive.sources}
    mine = {names[sid] for sid in plan[k - 1]} if k <= len(plan) else set()
    return bool((attached(pdf) & set(names.values())) - mine)  # (the last volume carries the notes file too)


def _plan(expected: Expected) -> list[list[str]] | None:
    if not expected.corpus or getattr(expected.archive, "volume_pages", None) is None:
        return None
    return volumes.plan(expected.archive)


def attached(pdf) -> set[str]:
    return {str(spec.get("/UF", spec.get("/F", ""))) for spec in pdf.Root.get("/AF", [])}


def claimed(pdf) -> tuple[int, int] | None:
    """(k, n) from the volume's title in its XMP ("…, volume k of n")."""
    m = OF.search(str(pdf.open_metadata().get("dc:title", "") or ""))
    return (int(m.group(1)), int(m.group(2))) if m else None


def check_sets(files: list[Path], report: Report, expected: Expected | None, label: str) -> None:
    """Every set of volumes among files (an output folder's or a bag's editions): whole, each source once."""
    import pikepdf

    sets: dict[str, dict[int, Path]] = {}
    for p in files:
        found = volumes.number_of(p)
        if found is not None:
            sets.setdefault(found[0], {})[found[1]] = p
    for slug, held in sorted(sets.items()):
        counts, carried = set(), {}
        for k, p in sorted(held.items()):
            try:
                with pikepdf.open(p) as pdf:
                    said = claimed(pdf)
                    carried[k] = attached(pdf)
            except pikepdf.PdfError:
                continue  # check_pdf says it is unreadable
            if said is None or said[0] != k:
                report.damage(f"{label}/{p.name}", "its title does not name it as volume "
                              f"{k} of a set (\"…, volume {k} of N\")", "XMP dc:title")
            else:
                counts.add(said[1])
        plan = _plan(expected) if expected is not None else None
        if plan is not None and len(counts) == 1 and len(plan) not in counts:
            plan = None  # made by another plan: out of date (expected_in says so for each volume)
        if plan is not None:
            counts.add(len(plan))
        n = max(counts | set(held))
        if len(counts) > 1:
            report.damage(label, f"the volumes of {slug} do not agree on how many there are "
                          f"({', '.join(str(c) for c in sorted(counts))})")
        missing = [k for k in range(1, n + 1) if k not in held]
        for k in missing:
            report.damage(label, f"volume {k} of {n} is missing from the set", volumes.file_name(slug, k))
        if expected is not None and not missing:
            for s in expected.archive.sources:
                where = [k for k, names in carried.items() if s.file_name in names]
                if not where:
                    report.damage(label, f"no volume carries the original of source '{s.id}'", s.file_name)
                elif len(where) > 1:
                    report.damage(label, f"the original of source '{s.id}' is in more than one volume "
                                  f"({', '.join(str(k) for k in where)})", s.file_name)
        if not [f for f in report.findings if f.file == label]:
            report.passed.append(f"{label}: the PDF edition of {slug} in {n} volumes, none missing"
                                 + (", each source in one of them" if expected is not None else ""))

"""An EPUB read back: EPUBCheck, then the originals it carries against the SHA-256 its colophon
records (and its provenance pages), every chapter's text whole and in the order of the sources
in the spine, and every note marker with its footnote, numbered 1..n, as many as the notes
the EPUB (or the corpus, or the bag) records. Parsed afresh with zipfile and lxml.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path, PurePosixPath

from lxml import etree

from .. import validators, verify
from ..errors import ValidatorUnavailable
from ..model import Archive
from .records import HEX64, PARSER, note_counts, rebuilt_archive, rebuilt_source
from .report import Expected, Report
from .stale import judged_against

XHTML_NS = "http://www.w3.org/1999/xhtml"
OPS_NS = "http://www.idpf.org/2007/ops"
OPF_NS = "http://www.idpf.org/2007/opf"


def check_epub(path: Path, report: Report, expected: Expected | None, epubcheck: bool = True,
               label: str | None = None) -> dict:
    """EPUBCheck, the container, fixity of the originals, every text whole and in order, the notes."""
    label = label or str(path)
    details: dict = {"file": path.name}
    if not zipfile.is_zipfile(path):
        report.unreadable.append(f"{label}: not a zip file, so not an EPUB")
        return details
    if epubcheck:
        try:
            raw = validators.epubcheck_report(path)
            details["epubcheck"] = raw
            bad = [m for m in raw.get("messages", []) if m.get("severity") in ("FATAL", "ERROR", "WARNING")]
            for m in bad:
                loc = (m.get("locations") or [{}])[0]
                report.damage(label, f"EPUBCheck {m.get('severity')} {m.get('ID')}: {m.get('message')}",
                              f"{loc.get('path', '')}:{loc.get('line', '')}")
            if not bad:
                report.passed.append(f"{label}: EPUBCheck {raw.get('checker', {}).get('checkerVersion', '')}"
                                     " reports no error or warning")
        except ValidatorUnavailable as e:
            report.unavailable.append(f"{label}: EPUBCheck: {e}")
    before = len(report.findings)
    with tempfile.TemporaryDirectory(prefix="archive-check-") as tmp:
        try:
            own = _own_records(path, Path(tmp), report, label)
        except (zipfile.BadZipFile, etree.XMLSyntaxError, KeyError) as e:
            report.damage(label, f"the EPUB cannot be read: {e}")
            return details
        target = judged_against(own, expected, len(report.findings) > before, report, label)
        unread = _no_transcription(target.archive)
        readable = replace(target.archive, sources=tuple(s for s in target.archive.sources if s.id not in unread))
        for f in verify.epub_findings(path, readable):
            report.damage(label, f.message, f.where.split(":", 1)[1] if ":" in f.where else "")
        _spine_order(path, target.archive, report, label)
        notes = _notes(path, target, report, label)
    details["sources"] = [s.id for s in target.archive.sources]
    details["notes"] = notes
    if len(report.findings) == before:
        report.passed.append(f"{label}: {len(target.archive.sources)} sources whole and in order, originals "
                             f"match {target.against}, {sum(notes.values())} notes each with its marker"
                             + (" (not damaged, but out of date)" if target is own and expected else "")
                             + (f"; the text of {len(unread)} scan(s) not read back ({', '.join(unread)}): the "
                                "EPUB does not carry a scan's transcription, the corpus does (--corpus)"
                                if unread else ""))
    return details


def _no_transcription(archive: Archive) -> list[str]:
    """The scans whose transcription is not at hand (an EPUB alone carries the scan, not the
    transcription file its chapter was made from): their text cannot be read back against it."""
    from ..readers import scan
    return [s.id for s in archive.sources if s.path.suffix in scan.MEDIA_TYPES and s.path.suffix != ".pdf"
            and not scan.transcription_path(s).is_file()]


def _own_records(path: Path, tmp: Path, report: Report, label: str) -> Expected:
    """The sources an EPUB says it holds: the colophon's fixity table, the originals it carries."""
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        recorded: list[tuple[str, str]] = []  # (file name, SHA-256), in the colophon's order
        colophon = "EPUB/text/colophon.xhtml"
        if colophon in names:
            root = etree.fromstring(z.read(colophon), PARSER)
            for tr in root.iter(f"{{{XHTML_NS}}}tr"):
                codes = ["".join(c.itertext()).strip() for c in tr.iter(f"{{{XHTML_NS}}}code")]
                hashes = [c for c in codes if HEX64.fullmatch(c)]
                files = [c for c in codes if not HEX64.fullmatch(c)]
                if hashes and files:
                    recorded.append((files[0], hashes[0]))
        if not recorded:
            report.damage(label, "the colophon's fixity table (file names and SHA-256) is missing", colophon)
        carried = sorted(n for n in names if n.startswith("EPUB/originals/") and not n.endswith("/"))
        listed = {name for name, _ in recorded}
        for n in carried:
            if PurePosixPath(n).name not in listed:
                report.damage(label, "an original the colophon does not list", n)
        sources = []
        for name, sha in recorded:
            member = f"EPUB/originals/{name}"
            sid = PurePosixPath(name).stem
            prov = f"EPUB/text/{sid}-provenance.xhtml"
            if prov in names:
                text = "".join(etree.fromstring(z.read(prov), PARSER).itertext())
                for other in sorted(set(HEX64.findall(text)) - {sha}):
                    report.damage(label, f"the provenance page records SHA-256 {other}, the colophon {sha}", prov)
            if member not in names:
                report.damage(label, "the original file is missing", member)
                continue
            data = z.read(member)
            local = tmp / name
            local.write_bytes(data)
            sources.append(rebuilt_source(sid, local, sha, data))
        notes_file = "EPUB/notes/annotations.jsonld"
        raw = z.read(notes_file) if notes_file in names else None
    notes = note_counts(raw, sources, report, label, notes_file)
    return Expected(rebuilt_archive(sources), notes, "the records the EPUB carries")


def _spine_order(path: Path, archive: Archive, report: Report, label: str) -> None:
    """The chapters come in the spine in the order of the sources."""
    with zipfile.ZipFile(path) as z:
        try:
            container = etree.fromstring(z.read("META-INF/container.xml"), PARSER)
            opf_name = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
            opf = etree.fromstring(z.read(opf_name), PARSER)
        except (KeyError, IndexError, etree.XMLSyntaxError):
            report.damage(label, "the package document (OPF) cannot be read", "META-INF/container.xml")
            return
    base = PurePosixPath(opf_name).parent
    hrefs = {i.get("id"): str(base / i.get("href", "")) for i in opf.iter(f"{{{OPF_NS}}}item")}
    spine = [hrefs.get(r.get("idref"), "") for r in opf.iter(f"{{{OPF_NS}}}itemref")]
    wanted = [f"EPUB/text/{s.id}.xhtml" for s in archive.sources]
    shown = [h for h in spine if h in set(wanted)]
    for w in wanted:
        if w not in spine:
            report.damage(label, "the chapter is not in the reading order (spine)", opf_name)
    if [w for w in wanted if w in shown] != shown:
        report.damage(label, "the chapters are not in the order of the sources: "
                      + ", ".join(PurePosixPath(s).stem for s in shown), opf_name)


def _notes(path: Path, expected: Expected, report: Report, label: str) -> dict[str, int]:
    """Every noteref leads to its footnote and every footnote has its noteref; numbered 1..n."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        for source in expected.archive.sources:
            chapter = f"EPUB/text/{source.id}.xhtml"
            if chapter not in names:
                continue
            root = etree.fromstring(z.read(chapter), PARSER)
            refs = [a for a in root.iter(f"{{{XHTML_NS}}}a") if "noteref" in a.get(f"{{{OPS_NS}}}type", "").split()]
            asides = {el.get("id"): el for el in root.iter()  # the notes: endnotes (footnotes before issue 14)
                      if {"footnote", "endnote"} & set(el.get(f"{{{OPS_NS}}}type", "").split()) and el.get("id")}
            targets = {}
            for a in refs:
                href = a.get("href", "")
                target = href[1:] if href.startswith("#") else href.split("#", 1)[-1]
                targets.setdefault(target, a)
                if target not in asides:
                    report.damage(label, f"note marker {a.get('data-n') or ''.join(a.itertext()).strip()!s} leads to no footnote "
                                  f"(#{target})", chapter)
            for aid in asides:
                if aid not in targets:
                    report.damage(label, f"footnote #{aid} has no note marker in the text", chapter)
            numbers = sorted(int(t) for t in (a.get("data-n") or "".join(a.itertext()).strip() for a in refs)
                             if t.isdigit())  # data-n: the number drawn by the style sheet (issue 14)
            if numbers != list(range(1, len(numbers) + 1)):
                report.damage(label, f"note markers are not numbered 1..{len(numbers)}: "
                              f"{', '.join(map(str, numbers))} (a note is missing)", chapter)
            counts[source.id] = len(asides)
            want = (expected.notes or {}).get(source.id)
            if expected.notes is not None and want != len(asides):
                report.damage(label, f"{len(asides)} notes, but {expected.against} has {want or 0}", chapter)
    return counts


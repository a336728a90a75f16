"""A bag read back, as a folder or a zip: BagIt validity and the declared version (RFC 8493),
every file in the manifest with its checksum, every file METS lists with the SHA-256 METS
records, then every edition in it (EPUB, PDF) against the bag's own sources, in the METS
order, and its notes, or against the corpus when one is given. A zip must hold one bag, with
safe names. Read with bagit, zipfile and lxml.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from lxml import etree

from .epub import check_epub
from .pdf import check_pdf
from .volumes import check_sets
from .records import PARSER, note_counts, rebuilt_archive, rebuilt_source
from .report import Expected, Report
from .stale import judged_against

METS_NS = {"m": "http://www.loc.gov/METS/", "x": "http://www.w3.org/1999/xlink"}


def check_bag(bag_dir: Path, report: Report, expected: Expected | None, epubcheck: bool = True,
              label: str | None = None) -> None:
    """BagIt validity, the declared version, then every edition against the bag's own sources and notes."""
    import bagit
    label = label or str(bag_dir)
    before = len(report.findings)
    declaration = (bag_dir / "bagit.txt").read_text(encoding="utf-8", errors="replace")
    if "BagIt-Version: 1.0" not in declaration.splitlines():
        report.damage(label, "bagit.txt does not declare BagIt-Version: 1.0 (RFC 8493)", "bagit.txt")
    try:
        bag = bagit.Bag(str(bag_dir))
        try:
            bag.validate(processes=1)
        except bagit.BagValidationError as e:
            if "Payload-Oxum" not in str(e):
                raise
            report.damage(label, f"the bag is not valid: {e}", "bag-info.txt")
            # bagit stops at the Payload-Oxum; go on to name each file that differs or is missing
            bag._validate_completeness()
            bag._validate_entries(processes=1)
    except bagit.BagValidationError as e:
        for d in e.details or [e]:
            if isinstance(d, bagit.ChecksumMismatch):
                report.damage(label, f"{d.algorithm} checksum differs from the manifest", d.path)
            elif isinstance(d, bagit.FileMissing):
                report.damage(label, "a file listed in the manifest is missing", d.path)
            elif isinstance(d, bagit.UnexpectedFile):
                report.damage(label, "a file not listed in the manifest", d.path)
            else:
                report.damage(label, f"the bag is not valid: {d}")
    except bagit.BagError as e:
        report.damage(label, f"not a valid bag: {e}")
    data = bag_dir / "data"
    _check_mets(data, report, label)
    bag_expected = _bag_expected(data, report, label)
    if len(report.findings) == before:  # shown whatever the editions inside turn out to be
        report.passed.append(f"{label}: a valid BagIt 1.0 bag; METS checksums match the payload")
    target = expected
    if bag_expected is not None:  # the bag's sources and notes are its record of what it was made from
        target = judged_against(bag_expected, expected, len(report.findings) > before, report, label)
    if (data / "editions").is_dir():  # a PDF in volumes: the set whole (check/volumes.py)
        check_sets(sorted((data / "editions").glob("*")), report, target, f"{label}/data/editions")
    for edition in sorted((data / "editions").glob("*")) if (data / "editions").is_dir() else []:
        inner = f"{label}/data/editions/{edition.name}"
        if edition.suffix == ".epub":
            check_epub(edition, report, target, epubcheck, inner)
        elif edition.suffix == ".pdf":
            check_pdf(edition, report, target, inner)


def _bag_expected(data: Path, report: Report, label: str) -> Expected | None:
    """The bag's own sources (data/sources, in the METS order) and notes (data/notes)."""
    folder = data / "sources"
    if not folder.is_dir():
        report.damage(label, "the bag holds no sources", "data/sources")
        return None
    files = {p.name: p for p in sorted(folder.iterdir()) if p.is_file()}
    order = _mets_source_order(data / "metadata" / "mets.xml")
    names = [n for n in order if n in files] + [n for n in files if n not in order]
    encodings = _recorded_encodings(data / "provenance")
    sources = []
    for n in names:
        content = files[n].read_bytes()
        sources.append(rebuilt_source(Path(n).stem, files[n], hashlib.sha256(content).hexdigest(), content,
                                      encodings.get(n)))
    anno = data / "notes" / "annotations.jsonld"
    raw = anno.read_bytes() if anno.is_file() else None
    notes = note_counts(raw, sources, report, label, "data/notes/annotations.jsonld")
    return Expected(rebuilt_archive(sources), notes, "the bag's sources and notes")



def _recorded_encodings(folder: Path) -> dict[str, str]:
    """file name -> the encoding its text was read in, from the bag's provenance/<id>.json records
    (`received.encoding`: the detector's choice or the editor's correction of it); a record that
    cannot be read gives none, and the detector decides."""
    found: dict[str, str] = {}
    for record in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(record.read_bytes().decode("utf-8"))
            name, encoding = data["file"]["name"], data["received"].get("encoding")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if isinstance(name, str) and isinstance(encoding, str) and encoding:
            found[name] = encoding
    return found


def _mets_source_order(mets: Path) -> list[str]:
    try:
        root = etree.parse(str(mets), PARSER).getroot()
    except (OSError, etree.XMLSyntaxError):
        return []
    hrefs = {f.get("ID"): f.xpath("m:FLocat/@x:href", namespaces=METS_NS)[0]
             for f in root.xpath("//m:file", namespaces=METS_NS) if f.xpath("m:FLocat/@x:href", namespaces=METS_NS)}
    order = []
    for fptr in root.xpath("//m:div[@TYPE='source']/m:fptr", namespaces=METS_NS):
        href = hrefs.get(fptr.get("FILEID"), "")
        if href.startswith("sources/"):
            order.append(href[len("sources/"):])
    return order


def _check_mets(data: Path, report: Report, label: str) -> None:
    """Every file METS lists is there, with the SHA-256 and size METS records."""
    mets = data / "metadata" / "mets.xml"
    try:
        root = etree.parse(str(mets), PARSER).getroot()
    except (OSError, etree.XMLSyntaxError) as e:
        report.damage(label, f"METS is missing or not well-formed: {e}", "data/metadata/mets.xml")
        return
    for f in root.xpath("//m:fileSec//m:file", namespaces=METS_NS):
        href = (f.xpath("m:FLocat/@x:href", namespaces=METS_NS) or [""])[0]
        path = data / href
        if not href or not path.is_file():
            report.damage(label, "a file METS lists is missing", f"data/{href}")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != f.get("CHECKSUM", "").lower():
            report.damage(label, "the file's SHA-256 differs from the one METS records", f"data/{href}")


def check_bag_zip(path: Path, report: Report, expected: Expected | None, epubcheck: bool = True,
                  label: str | None = None) -> None:
    """A deposit zip: exactly one top folder, with safe names, holding a bag; that bag checked."""
    label = label or str(path)
    try:
        with zipfile.ZipFile(path) as z, tempfile.TemporaryDirectory(prefix="archive-check-") as tmp:
            names = z.namelist()
            tops = {n.split("/", 1)[0] for n in names}
            unsafe = [n for n in names if n.startswith("/") or ".." in PurePosixPath(n).parts]
            if unsafe or len(tops) != 1:
                report.damage(label, "the zip does not hold exactly one top folder with safe names: "
                              + ", ".join(sorted(unsafe or tops)[:5]))
                return
            z.extractall(tmp)
            top = Path(tmp) / tops.pop()
            if not (top / "bagit.txt").is_file():
                report.damage(label, "the zip's folder is not a bag (no bagit.txt)")
                return
            check_bag(top, report, expected, epubcheck, f"{label}:{top.name}")
    except zipfile.BadZipFile as e:
        report.unreadable.append(f"{label}: not a readable zip file: {e}")


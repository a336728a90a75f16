"""A PDF read back: qpdf --check, the PDF/A and PDF/UA claims (XMP, structure tree, language),
every font embedded, the attached originals (/AF) against their /Size, /CheckSum and the SHA-256
the pages record, and every source's text whole and in order in the pages as pdftotext reads
them. Parsed afresh with pikepdf and poppler; against a corpus, the build's own reader too.
"""

from __future__ import annotations

import hashlib
import shutil  # noqa: F401  (tests take pdftotext away through this module's shutil.which)
import tempfile
from pathlib import Path, PurePosixPath

from ..errors import ValidatorUnavailable
from . import volumes
from .pdf_text import hash_order, pdf_text_findings, recorded_hashes
from .records import note_counts, rebuilt_archive, rebuilt_source
from .report import Expected, Report
from .stale import judged_against

NOTES_NAME = "annotations.jsonld"  # attached with AFRelationship /Supplement: the notes as W3C annotations

def check_pdf(path: Path, report: Report, expected: Expected | None, label: str | None = None) -> dict:
    """qpdf, the PDF/A and PDF/UA claims, fonts embedded, attachments' fixity, every text in the pages."""
    label = label or str(path)
    details: dict = {"file": path.name}
    try:
        import pikepdf
    except ImportError:
        report.unavailable.append(f"{label}: pikepdf is not installed (pip install pikepdf)")
        return details
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PdfError as e:
        report.unreadable.append(f"{label}: not a readable PDF: {e}")
        return details
    before = len(report.findings)
    expected = volumes.expected_in(path, pdf, expected, report, label)  # a volume: its own sources
    with pdf, tempfile.TemporaryDirectory(prefix="archive-check-") as tmp:
        try:
            from ..validators import qpdf_check
            problems = qpdf_check(path)
            details["qpdf"] = problems
            for p in problems:
                report.damage(label, f"qpdf --check: {p}")
        except ValidatorUnavailable as e:
            report.unavailable.append(f"{label}: qpdf: {e}")
        details["claims"] = _claims(pdf, report, label)
        details["fonts"] = _fonts(pdf, report, label)
        try:
            pages = pdf_pages_text(path, len(pdf.pages))
        except ValidatorUnavailable as e:
            report.unavailable.append(f"{label}: {e}")
            return details
        text = "\n".join(pages)
        own_before = len(report.findings)
        own = _attachments(pdf, Path(tmp), text, report, label)
        details["attachments"] = [{"name": s.file_name, "sha256": s.sha256, "size": s.size}
                                  for s in own.archive.sources]
        carried = {s.file_name: s.sha256 for s in own.archive.sources}
        recorded = recorded_hashes(text)  # an original the pages record but the PDF does not carry: damage
        dropped = expected is not None and any(s.file_name not in carried and s.sha256 in recorded
                                               for s in expected.archive.sources)
        target = judged_against(own, expected, dropped or len(report.findings) > own_before, report, label)
        if expected is not None and target is expected:
            for s in expected.archive.sources:
                if s.file_name not in carried:
                    report.damage(label, f"no attached original for source '{s.id}'", s.file_name)
                elif carried[s.file_name] != s.sha256:
                    report.damage(label, f"the attached original differs from {expected.against} (SHA-256)",
                                  s.file_name)
        for f in pdf_text_findings(pages, target.archive):
            report.damage(label, f.message, f.where)
        if target.corpus:  # the build's own reader too: it finds each source by its outline entry
            from .. import verify_pdf
            for f in verify_pdf.findings(path, target.archive, pages):
                report.damage(label, f.message, f.where.split(":", 1)[1].strip() if ":" in f.where else "")
    if len(report.findings) == before:
        report.passed.append(f"{label}: claims {details['claims']}, fonts embedded, "
                             f"{len(details.get('attachments', []))} attachments match their recorded SHA-256, "
                             f"every text whole and in order in the pages")
    return details


def _claims(pdf, report: Report, label: str) -> dict:
    meta = pdf.open_metadata()
    claims = {"pdfa": meta.pdfa_status or "", "pdfua": str(meta.get("pdfuaid:part", "") or "")}
    if not claims["pdfa"]:
        report.damage(label, "no PDF/A claim in the XMP metadata", "XMP pdfaid")
    if not claims["pdfua"]:
        report.damage(label, "no PDF/UA claim in the XMP metadata", "XMP pdfuaid")
    if "/StructTreeRoot" not in pdf.Root:
        report.damage(label, "no structure tree (a tagged PDF is claimed)", "/StructTreeRoot")
    if "/Lang" not in pdf.Root:
        report.damage(label, "no document language", "/Lang")
    return claims


def _fonts(pdf, report: Report, label: str) -> list[dict]:
    import pikepdf
    fonts: dict[str, bool] = {}
    seen: set = set()

    def visit(resources) -> None:
        if not isinstance(resources, pikepdf.Dictionary) or resources.objgen in seen and resources.objgen != (0, 0):
            return
        seen.add(resources.objgen)
        for font in (resources.get("/Font") or {}).values():
            name = str(font.get("/BaseFont", "?"))
            if font.get("/Subtype") == "/Type3":
                fonts[name] = True
                continue
            desc_font = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            desc = desc_font.get("/FontDescriptor")
            fonts[name] = bool(desc) and any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        for xobj in (resources.get("/XObject") or {}).values():
            if xobj.get("/Subtype") == "/Form" and "/Resources" in xobj:
                visit(xobj.Resources)

    for page in pdf.pages:
        visit(page.obj.get("/Resources"))
    for name, embedded in sorted(fonts.items()):
        if not embedded:
            report.damage(label, f"font {name} is not embedded", "fonts")
    return [{"name": n, "embedded": e} for n, e in sorted(fonts.items())]


def _attachments(pdf, tmp: Path, text: str, report: Report, label: str) -> Expected:
    """The attached originals, in reading order, checked against the SHA-256 the PDF records."""
    recorded = recorded_hashes(text)
    specs = list(pdf.Root.get("/AF", []))
    if not specs:
        report.damage(label, "no associated files (/AF): the originals are not attached", "/AF")
    sources = []
    notes_raw = None
    for spec in specs:
        name = str(spec.get("/UF", spec.get("/F", "")))
        stream = spec.EF.get("/F") if "/EF" in spec else None
        if stream is None:
            report.damage(label, "an attachment without its embedded file", name)
            continue
        data = stream.read_bytes()
        if name == NOTES_NAME and str(spec.get("/AFRelationship", "")) == "/Supplement":
            notes_raw = data  # the notes, the PDF's record of them: not a source
            continue
        sha = hashlib.sha256(data).hexdigest()
        params = stream.get("/Params") or {}
        if "/Size" in params and int(params.Size) != len(data):
            report.damage(label, f"the attached file has {len(data)} bytes, the PDF records {int(params.Size)}",
                          name)
        if "/CheckSum" in params and bytes(params.CheckSum) != hashlib.md5(data).digest():
            report.damage(label, "the attached file's MD5 differs from its /CheckSum", name)
        if sha not in recorded:
            report.damage(label, f"the attached file's SHA-256 ({sha}) is not one the PDF records "
                          "(its provenance pages and colophon)", name)
        base = PurePosixPath(name).name
        local = tmp / base
        local.write_bytes(data)
        sources.append(rebuilt_source(PurePosixPath(base).stem, local, sha, data))
    order = hash_order(text)  # reading order: where each source's provenance records its hash
    sources.sort(key=lambda s: order.get(s.sha256, len(text)))
    notes = note_counts(notes_raw, sources, report, label, NOTES_NAME) if notes_raw is not None else None
    return Expected(rebuilt_archive(sources), notes, "the files attached to the PDF")


def pdf_pages_text(path: Path, npages: int | None = None) -> list[str]:
    """The text of each page, as `pdftotext -raw` reads it (poppler: an independent reader)."""
    from .. import verify_pdf
    if npages is None:
        import pikepdf
        with pikepdf.open(path) as pdf:
            npages = len(pdf.pages)
    return verify_pdf.extract_pages(path, npages)

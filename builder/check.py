"""`archive check`: read editions and deposits back, with our own parsing, and name any damage.

An EPUB, a PDF, a bag (folder or zip) or a whole output folder. Each is checked against what
it carries itself (the originals inside an EPUB, the files attached to a PDF, the payload of a
bag, and the SHA-256 each records), or, with a corpus, against the corpus. Nothing here shares
rendering code with the writers: the XHTML, the PDF and the bag are parsed afresh (lxml,
zipfile, pikepdf, pdftotext, bagit), so a writer's mistake cannot hide from the check.

`check(paths, corpus_dir)` returns a Report; it raises only for bad usage. Exit codes:
0 all holds; 1 damage found; 2 unreadable input or bad usage; 3 a validator could not run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree

from . import verify
from .errors import (
    EXIT_FAULT,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_VALIDATOR,
    ValidatorUnavailable,
)
from .model import Archive, Provenance, Source

XHTML_NS = "http://www.w3.org/1999/xhtml"
OPS_NS = "http://www.idpf.org/2007/ops"
OPF_NS = "http://www.idpf.org/2007/opf"
HEX64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\u00ad\ufeff"))
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@dataclass(frozen=True)
class Finding:
    """One thing damaged: in which file, what is wrong, and where in it."""

    file: str
    what: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.file}{':' + self.where if self.where else ''}: {self.what}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)  # checks that held, in words
    unavailable: list[str] = field(default_factory=list)  # validators that could not run
    unreadable: list[str] = field(default_factory=list)  # inputs that could not be read

    def damage(self, file: str, what: str, where: str = "") -> None:
        self.findings.append(Finding(file, what, where))

    @property
    def exit_code(self) -> int:
        if self.unreadable:
            return EXIT_INPUT
        if self.findings:
            return EXIT_FAULT
        if self.unavailable:
            return EXIT_VALIDATOR
        return EXIT_OK

    def as_dict(self) -> dict:
        return {"ok": self.exit_code == EXIT_OK, "exit_code": self.exit_code,
                "findings": [asdict(f) for f in self.findings], "passed": self.passed,
                "validators_unavailable": self.unavailable, "unreadable": self.unreadable}

    def text(self) -> str:
        lines = [f"unreadable: {u}" for u in self.unreadable]
        lines += [f"DAMAGED {f}" for f in self.findings]
        lines += [f"not run: {u}" for u in self.unavailable]
        lines += [f"ok: {p}" for p in self.passed]
        verdict = {EXIT_OK: "All checks hold.", EXIT_FAULT: f"{len(self.findings)} damaged item(s) found.",
                   EXIT_INPUT: "Some input could not be read.",
                   EXIT_VALIDATOR: "No damage found, but a validator could not run."}[self.exit_code]
        return "\n".join(lines + [verdict])


@dataclass(frozen=True)
class Expected:
    """What an edition must hold: the sources in order (with their bytes), and the notes per source."""

    archive: Archive
    notes: dict[str, int] | None = None  # source id -> number of notes; None: not known
    against: str = "its own records"
    corpus: bool = False  # the archive is a loaded corpus (titles, provenance), not rebuilt from files


# -- entry point ------------------------------------------------------------------------------

def check(paths: list[Path], corpus_dir: Path | None = None, epubcheck: bool = True) -> Report:
    """Check every path; a corpus, when given, is what the editions must hold."""
    report = Report()
    expected = None
    if corpus_dir is not None:
        from . import anchor, corpus
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
    label = label or str(path)
    if not path.exists():
        report.unreadable.append(f"{label}: no such file or folder")
    elif path.is_dir() and (path / "bagit.txt").is_file():
        check_bag(path, report, expected, epubcheck, label)
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
    found = False
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        if p.suffix in (".epub", ".pdf") or (p.suffix == ".zip" and p.name.endswith("-deposit.zip")) \
                or (p.is_dir() and (p / "bagit.txt").is_file()):
            found = True
            check_path(p, report, expected, epubcheck, f"{label.rstrip('/')}/{p.name}")
    if not found:
        report.unreadable.append(f"{label}: holds no EPUB, PDF or deposit to check")


# -- EPUB -------------------------------------------------------------------------------------

def check_epub(path: Path, report: Report, expected: Expected | None, epubcheck: bool = True,
               label: str | None = None, epubcheck_report: dict | None = None) -> dict:
    """EPUBCheck, the container, fixity of the originals, every text whole and in order, the notes."""
    label = label or str(path)
    details: dict = {"file": path.name}
    if not zipfile.is_zipfile(path):
        report.unreadable.append(f"{label}: not a zip file, so not an EPUB")
        return details
    if epubcheck:
        try:
            raw = epubcheck_report if epubcheck_report is not None else run_epubcheck(path)
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
            own = _epub_own_records(path, Path(tmp), report, label)
        except (zipfile.BadZipFile, etree.XMLSyntaxError, KeyError) as e:
            report.damage(label, f"the EPUB cannot be read: {e}")
            return details
        target = expected or own
        for f in verify.epub_findings(path, target.archive):
            report.damage(label, f.message, f.where.split(":", 1)[1] if ":" in f.where else "")
        _epub_order(path, target.archive, report, label)
        notes = _epub_notes(path, target, report, label)
    details["sources"] = [s.id for s in target.archive.sources]
    details["notes"] = notes
    if len(report.findings) == before:
        report.passed.append(f"{label}: {len(target.archive.sources)} sources whole and in order, originals "
                             f"match {target.against}, {sum(notes.values())} notes each with its marker")
    return details


def run_epubcheck(path: Path) -> dict:
    """EPUBCheck's full JSON report (validators.epubcheck gives only the messages)."""
    from .validators import epubcheck_jar
    java = shutil.which("java")
    if not java:
        raise ValidatorUnavailable("EPUBCheck needs Java 11 or later: apt-get install default-jre-headless")
    proc = subprocess.run([java, "-jar", str(epubcheck_jar()), str(path), "--json", "-", "-q"],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "LC_ALL": "C.UTF-8"})
    try:
        return json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError as e:
        raise ValidatorUnavailable(f"EPUBCheck gave no report (exit {proc.returncode}): "
                                   f"{(proc.stderr or proc.stdout)[-500:]}") from e


def _epub_own_records(path: Path, tmp: Path, report: Report, label: str) -> Expected:
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
            sources.append(_source(sid, local, sha, data))
        notes_file = "EPUB/notes/annotations.jsonld"
        raw = z.read(notes_file) if notes_file in names else None
    notes = _note_counts(raw, sources, report, label, notes_file)
    return Expected(_pseudo_archive(sources), notes, "the records the EPUB carries")


def _epub_order(path: Path, archive: Archive, report: Report, label: str) -> None:
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


def _epub_notes(path: Path, expected: Expected, report: Report, label: str) -> dict[str, int]:
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
            asides = {el.get("id"): el for el in root.iter()
                      if "footnote" in el.get(f"{{{OPS_NS}}}type", "").split() and el.get("id")}
            targets = {}
            for a in refs:
                href = a.get("href", "")
                target = href[1:] if href.startswith("#") else href.split("#", 1)[-1]
                targets.setdefault(target, a)
                if target not in asides:
                    report.damage(label, f"note marker {''.join(a.itertext()).strip()!s} leads to no footnote "
                                  f"(#{target})", chapter)
            for aid in asides:
                if aid not in targets:
                    report.damage(label, f"footnote #{aid} has no note marker in the text", chapter)
            numbers = sorted(int(t) for t in ("".join(a.itertext()).strip() for a in refs) if t.isdigit())
            if numbers != list(range(1, len(numbers) + 1)):
                report.damage(label, f"note markers are not numbered 1..{len(numbers)}: "
                              f"{', '.join(map(str, numbers))} (a note is missing)", chapter)
            counts[source.id] = len(asides)
            want = (expected.notes or {}).get(source.id)
            if expected.notes is not None and want != len(asides):
                report.damage(label, f"{len(asides)} notes, but {expected.against} has {want or 0}", chapter)
    return counts


# -- PDF --------------------------------------------------------------------------------------

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
    with pdf, tempfile.TemporaryDirectory(prefix="archive-check-") as tmp:
        try:
            from .validators import qpdf_check
            problems = qpdf_check(path)
            details["qpdf"] = problems
            for p in problems:
                report.damage(label, f"qpdf --check: {p}")
        except ValidatorUnavailable as e:
            report.unavailable.append(f"{label}: qpdf: {e}")
        details["claims"] = _pdf_claims(pdf, report, label)
        details["fonts"] = _pdf_fonts(pdf, report, label)
        try:
            pages = pdf_pages_text(path)
        except ValidatorUnavailable as e:
            report.unavailable.append(f"{label}: {e}")
            return details
        own = _pdf_attachments(pdf, Path(tmp), "\n".join(pages), report, label)
        details["attachments"] = [{"name": s.file_name, "sha256": s.sha256, "size": s.size}
                                  for s in own.archive.sources]
        target = expected or own
        if expected is not None:
            carried = {s.file_name: s.sha256 for s in own.archive.sources}
            for s in expected.archive.sources:
                if s.file_name not in carried:
                    report.damage(label, f"no attached original for source '{s.id}'", s.file_name)
                elif carried[s.file_name] != s.sha256:
                    report.damage(label, f"the attached original differs from {expected.against} (SHA-256)",
                                  s.file_name)
        for f in pdf_text_findings(pages, target.archive):
            report.damage(label, f.message, f.where)
        if target.corpus:  # the build's own reader too: it finds each source by its outline entry
            from . import verify_pdf
            for f in verify_pdf.findings(path, target.archive):
                report.damage(label, f.message, f.where.split(":", 1)[1].strip() if ":" in f.where else "")
    if len(report.findings) == before:
        report.passed.append(f"{label}: claims {details['claims']}, fonts embedded, "
                             f"{len(details.get('attachments', []))} attachments match their recorded SHA-256, "
                             f"every text whole and in order in the pages")
    return details


def _pdf_claims(pdf, report: Report, label: str) -> dict:
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


def _pdf_fonts(pdf, report: Report, label: str) -> list[dict]:
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


def _pdf_attachments(pdf, tmp: Path, text: str, report: Report, label: str) -> Expected:
    """The attached originals, in the document's /AF order, checked against the SHA-256 the PDF records."""
    recorded = recorded_hashes(text)
    specs = list(pdf.Root.get("/AF", []))
    if not specs:
        report.damage(label, "no associated files (/AF): the originals are not attached", "/AF")
    sources = []
    for spec in specs:
        name = str(spec.get("/UF", spec.get("/F", "")))
        stream = spec.EF.get("/F") if "/EF" in spec else None
        if stream is None:
            report.damage(label, "an attachment without its embedded file", name)
            continue
        data = stream.read_bytes()
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
        sources.append(_source(PurePosixPath(base).stem, local, sha, data))
    return Expected(_pseudo_archive(sources), None, "the files attached to the PDF")


def recorded_hashes(text: str) -> set[str]:
    """Every SHA-256 written in the PDF's text (broken across lines with invisible spaces)."""
    joined = re.sub(r"(?<=[0-9a-f])\s*\n\s*(?=[0-9a-f])", "", text.translate(INVISIBLE))
    return set(HEX64.findall(joined))


def pdf_pages_text(path: Path) -> list[str]:
    """The text of each page, as `pdftotext -raw` reads it (poppler: an independent reader)."""
    exe = shutil.which("pdftotext")
    if not exe:
        raise ValidatorUnavailable("pdftotext is not installed: apt-get install poppler-utils")
    proc = subprocess.run([exe, "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=600)
    if proc.returncode != 0:
        raise ValidatorUnavailable(f"pdftotext failed: {proc.stderr.decode(errors='replace')[-300:]}")
    return proc.stdout.decode("utf-8").split("\f")


def _compact(text: str) -> str:
    return "".join(verify.normalise(text.translate(INVISIBLE)).split())


def pdf_text_findings(pages: list[str], archive: Archive) -> list[verify.Finding]:
    """Each source's text, compared without white space, whole and in order in the pages.

    Allowed between the characters of a source: a page break with its running head and folio,
    a hyphen at a line's end (hyphenation), and a note marker's digits. Anything else is damage.
    """
    stream: list[str] = []  # compact characters of the PDF
    breaks: list[int] = []  # indexes in stream where a page starts
    hyphens: set[int] = set()  # indexes of hyphens that end a line
    for page in pages:
        breaks.append(len(stream))
        for line in page.translate(INVISIBLE).split("\n"):
            chars = _compact(line)
            if chars.endswith("-"):
                hyphens.add(len(stream) + len(chars) - 1)
            stream.extend(chars)
    pdf = "".join(stream)
    findings, at = [], 0
    for source in archive.sources:
        if source.format != "txt":
            continue
        want = _compact(source.read_text())
        if not want:
            continue
        best: tuple[int, int, int] | None = None  # (matched, where in pdf, pdf index reached)
        start = pdf.find(want[:12], at)
        for _ in range(50):
            if start < 0:
                break
            i, j = _match(pdf, start, want, hyphens, breaks)
            if best is None or i > best[0]:
                best = (i, start, j)
            if i == len(want):
                break
            start = pdf.find(want[:12], start + 1)
        if best is None:
            findings.append(verify.Finding(source.file_name, "the beginning of the source's text is not in the "
                                           "pages (or not after the source before it)"))
            continue
        i, _, j = best
        if i < len(want):
            findings.append(verify.Finding(source.file_name, "the pages' text differs from the source "
                                           + verify.first_difference(want[max(0, i - 30):i + 30],
                                                                     pdf[max(0, j - 30):j + 30])
                                           + f" (source character {i} of {len(want)}, white space left out)"))
        at = j
    return findings


def _match(pdf: str, j: int, want: str, hyphens: set[int], breaks: list[int]) -> tuple[int, int]:
    """How far the source's characters can be followed from pdf[j]: (source index, pdf index)."""
    i = 0
    while i < len(want):
        if j < len(pdf) and pdf[j] == want[i]:
            i, j = i + 1, j + 1
        elif j in hyphens:
            j += 1
        elif (k := _note_marker(pdf, j, want, i)):
            j += k
        else:
            resume = _across_page_break(pdf, j, want, i, breaks, hyphens)
            if resume is None:
                break
            j = resume
    return i, j


def _note_marker(pdf: str, j: int, want: str, i: int) -> int:
    """The length of a note marker (1 to 3 digits) at pdf[j], after which the source goes on; else 0."""
    for k in (1, 2, 3):
        if not pdf[j:j + k].isdigit():
            return 0
        if pdf[j + k:j + k + 1] == want[i:i + 1]:
            return k
    return 0


def _across_page_break(pdf: str, j: int, want: str, i: int, breaks: list[int], hyphens: set[int],
                       reach: int = 400) -> int | None:
    """Where the source resumes on the next page, past the footnotes, folio and running head.

    Only the rest of a page may be passed over: a difference in the middle of a page is damage,
    because the source's next characters are then not at the head of the next page.
    """
    nxt = next((b for b in breaks if b >= j), None)
    if nxt is None:
        return None
    n = min(24, len(want) - i)
    for k in range(nxt, min(nxt + reach, len(pdf))):
        if pdf[k] == want[i] and _follows(pdf, k, want, i, n, hyphens):
            return k
    return None


def _follows(pdf: str, j: int, want: str, i: int, n: int, hyphens: set[int]) -> bool:
    """Whether n characters of the source follow from pdf[j] (hyphens and note markers allowed)."""
    end = i + n
    while i < end:
        if j < len(pdf) and pdf[j] == want[i]:
            i, j = i + 1, j + 1
        elif j in hyphens:
            j += 1
        elif (k := _note_marker(pdf, j, want, i)):
            j += k
        else:
            return False
    return True


# -- bags -------------------------------------------------------------------------------------

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
    bag_expected = _bag_expected(data, report, label)
    target = expected or bag_expected
    if expected is not None and bag_expected is not None:
        ours = {s.file_name: s.sha256 for s in bag_expected.archive.sources}
        for s in expected.archive.sources:
            if ours.get(s.file_name) != s.sha256:
                report.damage(label, f"the source differs from {expected.against} or is missing",
                              f"data/sources/{s.file_name}")
    for edition in sorted((data / "editions").glob("*")) if (data / "editions").is_dir() else []:
        inner = f"{label}/data/editions/{edition.name}"
        if edition.suffix == ".epub":
            check_epub(edition, report, target, epubcheck, inner)
        elif edition.suffix == ".pdf":
            check_pdf(edition, report, target, inner)
    _check_mets(data, report, label)
    if len(report.findings) == before:
        report.passed.append(f"{label}: a valid BagIt 1.0 bag; METS checksums match the payload")


def _bag_expected(data: Path, report: Report, label: str) -> Expected | None:
    """The bag's own sources (data/sources, in the METS order) and notes (data/notes)."""
    folder = data / "sources"
    if not folder.is_dir():
        report.damage(label, "the bag holds no sources", "data/sources")
        return None
    files = {p.name: p for p in sorted(folder.iterdir()) if p.is_file()}
    order = _mets_source_order(data / "metadata" / "mets.xml")
    names = [n for n in order if n in files] + [n for n in files if n not in order]
    sources = [_source(Path(n).stem, files[n], hashlib.sha256(files[n].read_bytes()).hexdigest())
               for n in names]
    anno = data / "notes" / "annotations.jsonld"
    raw = anno.read_bytes() if anno.is_file() else None
    notes = _note_counts(raw, sources, report, label, "data/notes/annotations.jsonld")
    return Expected(_pseudo_archive(sources), notes, "the bag's sources and notes")


def _note_counts(raw: bytes | None, sources: list[Source], report: Report, label: str,
                 where: str) -> dict[str, int] | None:
    """Notes per source, from the W3C Web Annotation collection an edition or bag carries."""
    if raw is None:
        report.damage(label, "the notes (W3C Web Annotation JSON-LD) are missing", where)
        return None
    try:
        collection = json.loads(raw.decode("utf-8"))
        items = (collection.get("first") or {}).get("items", [])
        notes = {s.id: 0 for s in sources}
        for item in items:
            sid = str(item.get("id", "")).rsplit("#", 1)[-1].split("/", 1)[0]
            notes[sid] = notes.get(sid, 0) + 1
        return notes
    except (ValueError, AttributeError):
        report.damage(label, "the notes are not readable JSON-LD", where)
        return None


def _mets_source_order(mets: Path) -> list[str]:
    try:
        root = etree.parse(str(mets), PARSER).getroot()
    except (OSError, etree.XMLSyntaxError):
        return []
    ns = {"m": "http://www.loc.gov/METS/", "x": "http://www.w3.org/1999/xlink"}
    hrefs = {f.get("ID"): f.xpath("m:FLocat/@x:href", namespaces=ns)[0]
             for f in root.xpath("//m:file", namespaces=ns) if f.xpath("m:FLocat/@x:href", namespaces=ns)}
    order = []
    for fptr in root.xpath("//m:div[@TYPE='source']/m:fptr", namespaces=ns):
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
    ns = {"m": "http://www.loc.gov/METS/", "x": "http://www.w3.org/1999/xlink"}
    for f in root.xpath("//m:fileSec//m:file", namespaces=ns):
        href = (f.xpath("m:FLocat/@x:href", namespaces=ns) or [""])[0]
        path = data / href
        if not href or not path.is_file():
            report.damage(label, "a file METS lists is missing", f"data/{href}")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != f.get("CHECKSUM", "").lower():
            report.damage(label, "the file's SHA-256 differs from the one METS records", f"data/{href}")


def check_bag_zip(path: Path, report: Report, expected: Expected | None, epubcheck: bool = True,
                  label: str | None = None) -> None:
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


# -- the archive model, rebuilt from what an edition or bag carries -----------------------------

def _source(sid: str, path: Path, sha256: str, data: bytes | None = None) -> Source:
    data = path.read_bytes() if data is None else data
    try:
        characters = len(data.decode("utf-8"))
    except UnicodeDecodeError:
        characters = 0
    return Source(sid, path, sha256, len(data), characters, Provenance(title=sid, received_file_name=path.name))


def _pseudo_archive(sources: list[Source]) -> Archive:
    import datetime as dt
    return Archive(root=Path("."), title="", subtitle="", slug="", identifier="", language="",
                   date=dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc), publisher="", rights="", description="",
                   subjects=(), editors=(), sources=tuple(sources), introduction="")

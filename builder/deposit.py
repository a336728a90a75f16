"""The deposit: a BagIt 1.0 bag (and the same bag zipped) for a repository or an upload portal.

`deposit(corpus, out)`: editions (reused only when the record of their inputs matches) ->
validation reports (read back by builder.check and DAISY Ace, volatile fields removed) -> payload
(editions, originals, their provenance, the introduction, notes, citations, Dublin Core, METS +
PREMIS, reports, the list of checks) -> bag -> zip. The bag and the zip are written whole or not at
all. The editions carry the edition's date; the preservation records (PREMIS events, Bagging-Date)
carry the time each event happened (builder.clock), and SOURCE_DATE_EPOCH stands in for the clock,
so a deposit made with it set is byte-identical across runs; every listing is sorted.

The bag is written here rather than by `bagit.make_bag`, which declares BagIt 0.97, stamps
today's date and changes the working directory; bagit-python still validates it (tests).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import __version__, anchor, check, clock, corpus, deposit_records, metadata, notes_io, validators
from . import progress, volumes
from .build import FORMATS, build
from .errors import DamageFound, ValidatorUnavailable
from .metadata import Agent, Event, PayloadFile
from .model import MEDIA_TYPES, Archive
from .files import Refused, open_file
from .output import atomic_dir, atomic_path, out_problems, zip_entry

TOOL = "annotated-archive"
MIME = {".epub": "application/epub+zip", ".pdf": "application/pdf", **MEDIA_TYPES, ".json": "application/json",
        ".jsonld": "application/ld+json", ".xml": "application/xml", ".toml": "application/toml"}
CSL_MIME = "application/vnd.citationstyles.csl+json"


@dataclass(frozen=True)
class Deposited:
    bag: Path
    zip: Path
    editions: dict[str, Path]
    reused: bool  # the editions were reused: their recorded inputs matched
    payload_bytes: int
    files: int
    warnings: tuple[str, ...] = ()


def deposit(corpus_dir: Path, out: Path, formats: tuple[str, ...] = FORMATS) -> Deposited:
    corpus_dir, out = Path(corpus_dir), Path(out)
    archive = corpus.load(corpus_dir, also=out_problems(corpus_dir, out), editions=True)  # every problem, or nothing
    archive, anchors = anchor.anchor(archive)
    editions, reused, built_at = editions_for(corpus_dir, out, archive, formats)
    with progress.step("editions checked (EPUBCheck, Ace, read-back)"):
        reports, events, checks = validate(archive, anchors, editions)
    bag = out / f"{archive.slug}-deposit"
    with atomic_dir(bag) as tmp:
        tmp.chmod(0o755)
        with progress.step("payload written"):
            files = write_payload(tmp / "data", archive, anchors, editions, reports, events, checks, built_at)
        write_tags(tmp, archive, files, clock.now())
        with atomic_path(out / f"{archive.slug}-deposit.zip") as zip_tmp:
            with progress.step("zip written"):
                write_zip(tmp, zip_tmp, bag.name, archive)
    size = sum(f.size for f in files)
    return Deposited(bag, out / f"{archive.slug}-deposit.zip", editions, reused, size, len(files),
                     archive.warnings)


# -- editions, reused only when their inputs are the same ---------------------------------------

def inputs_record(corpus_dir: Path, formats: tuple[str, ...]) -> dict:
    """What the editions are made from: every corpus file's SHA-256, the tool, SOURCE_DATE_EPOCH."""
    files = {}
    for p in progress.each("corpus hashed", sorted(corpus_dir.rglob("*"))):
        rel = p.relative_to(corpus_dir)
        if not p.is_dir() and not any(part.startswith(".") for part in rel.parts):
            files[rel.as_posix()] = _corpus_sha256(p, corpus_dir)
    return {"tool": TOOL, "version": __version__, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH"),
            "formats": sorted(formats), "corpus": files}


def _corpus_sha256(path: Path, corpus_dir: Path) -> str:
    """A corpus file's SHA-256, read as builder.files allows (never outside the corpus, never a pipe)."""
    try:
        with open_file(path, corpus_dir) as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except Refused as e:
        return f"not read: {e.problem.code}"


def editions_for(corpus_dir: Path, out: Path, archive: Archive,
                 formats: tuple[str, ...]) -> tuple[dict, bool, str]:
    """The editions, reused or built, whether they were reused, and when they were built."""
    record_path = out / f".{archive.slug}.inputs.json"
    wanted = inputs_record(corpus_dir, formats)
    try:
        old = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}
    editions = {kind: out / f"{archive.slug}.{kind}" for kind in formats}
    if "pdf" in formats and (plan := volumes.plan(archive)):  # the PDF in volumes
        del editions["pdf"]
        editions.update({f"pdf-vol{k}": out / volumes.file_name(archive.slug, k) for k in range(1, len(plan) + 1)})
    if old.get("inputs") == wanted and clock.parse(old.get("built", "")) and all(
            p.is_file() and _sha256(p) == old.get("editions", {}).get(p.name) for p in editions.values()):
        return editions, True, old["built"]
    built = build(corpus_dir, out, formats)
    built_at = clock.stamp(clock.now())
    with atomic_path(record_path) as tmp:
        tmp.write_text(json.dumps({"inputs": wanted, "built": built_at,
                                   "editions": {p.name: _sha256(p) for p in built.editions.values()}},
                                  indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return dict(built.editions), False, built_at


def pdf_kinds(editions: dict) -> list[str]:
    """The PDF edition's entries: "pdf", or its volumes "pdf-vol1", "pdf-vol2", ... in order."""
    return sorted((k for k in editions if k == "pdf" or k.startswith("pdf-vol")),
                  key=lambda k: int(k[len("pdf-vol"):]) if k.startswith("pdf-vol") else 0)


# -- validation reports ------------------------------------------------------------------------

def validate(archive: Archive, anchors: dict,
             editions: dict[str, Path]) -> tuple[dict[str, dict], list[Event], list[dict]]:
    """Read the editions back (builder.check, DAISY Ace) against the corpus: reports without volatile
    fields, a PREMIS event per edition (at the time its checks ended) and every check run, listed."""
    expected = check.Expected(archive, {s.id: len(anchors.get(s.id, [])) for s in archive.sources},
                              "the corpus", corpus=True)
    report = check.Report()
    reports: dict[str, dict] = {}
    events: list[Event] = []
    checks: list[dict] = []
    if "epub" in editions:
        epub = editions["epub"]
        subject = f"editions/{epub.name}"
        before = len(report.findings)
        details = check.check_epub(epub, report, expected, True, epub.name)
        raw = details.get("epubcheck")
        counts = (raw or {}).get("checker", {})
        if raw is not None:
            reports["epubcheck.json"] = clean_epubcheck(raw, epub)
            bad = counts.get("nFatal", 0) + counts.get("nError", 0) + counts.get("nWarning", 0)
            checks.append(_check("EPUBCheck", "EPUBCheck", counts.get("checkerVersion", ""), subject,
                                 bad == 0, f"{counts.get('nFatal', 0)} fatal, {counts.get('nError', 0)} errors, "
                                 f"{counts.get('nWarning', 0)} warnings", "reports/epubcheck.json"))
        mine = report.findings[before:]
        fidelity = [f for f in mine if not f.what.startswith("EPUBCheck ")]
        reports["fidelity-epub.json"] = {"edition": epub.name, "checked_against": "the corpus",
                                         "sources": details.get("sources", []), "notes": details.get("notes", {}),
                                         "findings": [str(f) for f in mine]}
        checks.append(_check("originals' fixity, every text whole and in order, notes with their markers",
                             TOOL, __version__, subject, not fidelity, f"{len(fidelity)} findings",
                             "reports/fidelity-epub.json"))
        ace_raw = _ace(epub, report)
        if ace_raw is not None:
            reports["ace.json"] = deposit_records.clean_ace(ace_raw, epub)
            violations = validators.ace_messages(ace_raw)
            for m in violations:
                report.damage(epub.name, f"DAISY Ace {m.severity} {m.id}: {m.message}", m.location)
            checks.append(_check("accessibility (EPUB Accessibility 1.1, WCAG)", "DAISY Ace",
                                 deposit_records.ace_version(ace_raw), subject, not violations,
                                 f"{len(violations)} violations", "reports/ace.json"))
        agents = ("agent-tool", "agent-epubcheck") + (("agent-ace",) if ace_raw is not None else ())
        events.append(Event("validated-epub", "validation", clock.stamp(clock.now()),
                            f"EPUBCheck {counts.get('checkerVersion', '')}; DAISY Ace "
                            f"{deposit_records.ace_version(ace_raw or {})}; fidelity and notes read back by "
                            f"{TOOL} check", "success" if len(report.findings) == before else "failure",
                            f"EPUBCheck: {counts.get('nFatal', 0)} fatal, {counts.get('nError', 0)} errors, "
                            f"{counts.get('nWarning', 0)} warnings; every source whole and in order",
                            agents, (subject,)))
    for kind in pdf_kinds(editions):  # one PDF, or each volume (builder/volumes.py)
        pdf = editions[kind]
        subject = f"editions/{pdf.name}"
        before = len(report.findings)
        details = check.check_pdf(pdf, report, expected, pdf.name)
        checks_file = "pdf-checks.json" if kind == "pdf" else f"pdf-checks-{kind[4:]}.json"
        reports[checks_file] = {**details, "note": "PDF/A-3a and PDF/UA-1 are claimed and checked "
                                      "structurally (qpdf, XMP claims, fonts, attachments); no veraPDF",
                                      "findings": [str(f) for f in report.findings[before:]]}
        mine = report.findings[before:]
        versions = deposit_records.software_versions()
        if "qpdf" in details:
            checks.append(_check("qpdf --check", "qpdf", versions.get("qpdf", ""), subject, not details["qpdf"],
                                 f"{len(details['qpdf'])} problems", f"reports/{checks_file}"))
        checks.append(_check("PDF/A and PDF/UA claims, fonts embedded, attachments' fixity, every text whole "
                             "and in order (pdftotext -raw)", TOOL, __version__, subject,
                             not [f for f in mine if not f.what.startswith("qpdf")],
                             f"{len(mine)} findings; claims {details.get('claims', {})}",
                             f"reports/{checks_file}"))
        events.append(Event(f"validated-{kind}", "validation", clock.stamp(clock.now()),
                            f"qpdf --check, XMP claims, fonts, attachments' fixity, text read back by pdftotext, "
                            f"by {TOOL} check", "success" if len(report.findings) == before else "failure",
                            f"claims {details.get('claims', {})}", ("agent-tool", "agent-qpdf", "agent-poppler"),
                            (subject,)))
    if report.unavailable:
        raise ValidatorUnavailable("a validator could not run, so the deposit is not made:\n  "
                                   + "\n  ".join(report.unavailable))
    if report.findings or report.unreadable:
        raise DamageFound("the editions do not pass their checks; nothing was deposited:\n"
                          + "\n".join(f"  {f}" for f in report.findings + report.unreadable))
    return reports, events, checks


def _check(what: str, tool: str, version: str, subject: str, passed: bool, summary: str, report: str) -> dict:
    """One check run, for reports/checks.json: what, by which tool and version, on what, its result."""
    return {"check": what, "tool": tool, "version": version, "subject": subject,
            "result": "pass" if passed else "fail", "summary": summary, "report": report,
            "at": clock.stamp(clock.now())}


def _ace(epub: Path, report: check.Report) -> dict | None:
    """DAISY Ace's report on the EPUB; None (and the reason in the report) when it cannot run."""
    with tempfile.TemporaryDirectory(prefix="archive-ace-") as tmp:
        try:
            return validators.ace_report(epub, Path(tmp))
        except ValidatorUnavailable as e:
            report.unavailable.append(f"{epub.name}: DAISY Ace: {e}")
            return None


def clean_epubcheck(raw: dict, path: Path) -> dict:
    """EPUBCheck's report without what changes from run to run: dates, durations, paths."""
    data = json.loads(json.dumps(raw).replace(str(path.resolve()), path.name).replace(str(path), path.name))
    checker = data.get("checker", {})
    for key in ("path", "checkDate", "elapsedTime"):
        checker.pop(key, None)
    return data


# -- the payload -------------------------------------------------------------------------------

def write_payload(data: Path, archive: Archive, anchors: dict, editions: dict[str, Path],
                  reports: dict[str, dict], events: list[Event], checks: list[dict],
                  built_at: str) -> list[PayloadFile]:
    files: list[PayloadFile] = []

    def put(rel: str, content: bytes, use: str, mime: str | None = None, **extra) -> None:
        path = data / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        files.append(PayloadFile(rel, hashlib.sha256(content).hexdigest(), len(content),
                                 mime or MIME.get(path.suffix, "application/octet-stream"), use, **extra))

    for kind in sorted(editions):
        put(f"editions/{editions[kind].name}", editions[kind].read_bytes(), "edition")
    for s in archive.sources:
        put(f"sources/{s.file_name}", s.read_bytes(), "source", s.provenance.received_format or s.media_type,
            source_id=s.id, original_name=s.provenance.received_file_name)
    from .files import read_bytes as corpus_file  # every read of the corpus: builder.files
    for s in archive.sources:  # a scan's transcription: its reading text, made by OCR or an editor (docs/scans.md)
        stored = s.path.with_name(f"{s.id}.transcription.txt")
        if stored.is_file():
            put(f"transcriptions/{stored.name}", corpus_file(stored), "notes", "text/plain")
    for s in archive.sources:
        sidecar = s.path.with_name(f"{s.id}.toml")
        if s.provenance.recorded and sidecar.is_file():
            put(f"provenance/{s.id}.toml", sidecar.read_bytes(), "provenance")
        record = deposit_records.provenance_record(archive, s, len(anchors.get(s.id, [])))
        put(f"provenance/{s.id}.json", metadata.json_bytes(record), "provenance")
    put("introduction.md", archive.introduction.encode("utf-8"), "editorial")
    if archive.register:  # people, organisations and terms (builder/register.py): as recorded, and as JSON
        put("register.toml", corpus_file(archive.root / "register.toml"), "editorial")
        put("register.json", metadata.json_bytes([dataclasses.asdict(e) for e in archive.register]), "editorial")
    put("notes/annotations.jsonld", metadata.json_bytes(notes_io.collection_of(archive, anchors)), "notes")
    for s in archive.sources:
        if s.notes_path and s.notes_path.is_file():
            put(f"notes/{s.notes_path.name}", s.notes_path.read_bytes(), "notes")
    put("metadata/citations.json", metadata.citations(archive), "metadata", CSL_MIME)
    put("metadata/citation.json", metadata.json_bytes([deposit_records.edition_citation(archive)]), "metadata",
        CSL_MIME)
    put("metadata/citation.txt", (deposit_records.citation_text(archive) + "\n").encode("utf-8"), "metadata")
    mimes = list(dict.fromkeys(MIME[editions[k].suffix] for k in sorted(editions)))  # volumes: one PDF type
    put("metadata/dc.xml", metadata.dublin_core(archive, mimes), "metadata")
    for name in sorted(reports):
        put(f"reports/{name}", metadata.json_bytes(reports[name]), "report")
    put("reports/checks.json", metadata.json_bytes(checks), "report")
    put("README.txt", readme(archive, files).encode("utf-8"), "metadata", "text/plain")
    agents, all_events = provenance_events(archive, editions, reports, events, built_at)
    put("metadata/mets.xml", metadata.mets(archive, files, all_events, agents, mimes,
                                                 clock.stamp(clock.now())), "metadata")
    return files


USES = {"edition": "an edition", "source": "a source, byte for byte as received", "notes": "the editorial notes",
        "provenance": "a source's provenance", "editorial": "editorial matter",
        "metadata": "metadata", "report": "a validation report"}
TRANSCRIPTION = "the transcription of a scan, the text its editions show (how it was made: its provenance)"
ABOUT = {"notes/annotations.jsonld": "the editorial notes, as W3C Web Annotation JSON-LD",
         "introduction.md": "the editorial introduction (Markdown), as the editions print it",
         "register.toml": "the register of people, organisations and terms, as the corpus records it",
         "register.json": "the same register as JSON: id, kind, name, short form, description, evidence",
         "metadata/citations.json": "a citation of every source, as CSL-JSON",
         "metadata/citation.json": "a citation of this edition, as CSL-JSON",
         "metadata/citation.txt": "a citation of this edition, as a line of text",
         "metadata/dc.xml": "the archive described in Dublin Core",
         "reports/checks.json": "every check run on the editions: tool, version, result, time",
         "reports/ace.json": "DAISY Ace's accessibility report on the EPUB",
         "reports/epubcheck.json": "EPUBCheck's report on the EPUB"}


def readme(archive: Archive, files: list[PayloadFile]) -> str:
    """A plain-text guide to the bag for a person: what each file is and where it came from."""
    from .describe import authors, date_line, title
    lines = [archive.full_title, "=" * len(archive.full_title), "",
             f"Identifier: {archive.identifier}", f"Published by {archive.publisher}, edition of "
             f"{archive.date.date().isoformat()}.", "", archive.description, "",
             "Cite as: " + deposit_records.citation_text(archive), "",
             "This folder is the payload of a BagIt bag (RFC 8493). The manifests one level up give the",
             "SHA-256 and SHA-512 of every file; metadata/mets.xml describes every file in METS, with",
             "PREMIS fixity, formats, rights and events (received, built, validated).", "", "Files", "-----"]
    by_name = {f"sources/{s.file_name}": s for s in archive.sources}
    for f in files:
        about = ABOUT.get(f.path, TRANSCRIPTION if f.path.startswith("transcriptions/") else USES.get(f.use, f.use))
        if f.path.startswith("provenance/"):
            about += " (" + ("as data, JSON" if f.path.endswith(".json") else "as recorded, TOML") + ")"
        lines.append(f"{f.path}  ({f.mime}, {f.size:,} bytes): {about}")
        source = by_name.get(f.path)
        if source:
            p = source.provenance
            lines += [f"    {title(p)}; {p.kind or 'kind not recorded'}; {date_line(p)}; author: {authors(p)}",
                      f"    received as {p.received_file_name or source.file_name}; SHA-256 {source.sha256}"]
    lines += ["metadata/mets.xml: this bag's structure and provenance, in METS with PREMIS", "",
              "Rights", "------", archive.rights]
    if archive.license:
        lines.append(f"Licence of the editorial matter: {archive.license}")
    return "\n".join(lines + [""])


def provenance_events(archive: Archive, editions: dict[str, Path], reports: dict[str, dict],
                      validated: list[Event], built_at: str) -> tuple[list[Agent], list[Event]]:
    """PREMIS agents (with their software versions) and events, each at the time it happened."""
    versions = deposit_records.software_versions()
    epubcheck_version = reports.get("epubcheck.json", {}).get("checker", {}).get("checkerVersion", "")
    agents = [Agent("agent-tool", TOOL, "software", __version__, "builds, checks and deposits the editions"),
              Agent("agent-editor", archive.publisher, "organization", "",
                    "the editors: " + ", ".join(e.name for e in archive.editors))]
    if pdf_kinds(editions):
        agents.append(Agent("agent-typst", "Typst", "software", versions.get("Typst", ""),
                            "typesets the PDF edition (PDF/A-3a, PDF/UA-1)"))
        agents.append(Agent("agent-qpdf", "qpdf", "software", versions.get("qpdf", ""), "checks the PDF's structure"))
        agents.append(Agent("agent-poppler", "pdftotext (poppler)", "software", versions.get("pdftotext (poppler)", ""),
                            "reads the PDF's text back"))
    if epubcheck_version:
        agents.append(Agent("agent-epubcheck", "EPUBCheck", "software", epubcheck_version, "W3C's EPUB validator"))
    if "ace.json" in reports:
        agents.append(Agent("agent-ace", "DAISY Ace", "software", deposit_records.ace_version(reports["ace.json"]),
                            "checks the EPUB's accessibility"))
    built = clock.parse(built_at)
    bound = min(archive.date, built).date() if built else archive.date.date()
    events = []
    for s in archive.sources:
        p = s.provenance
        name = p.received_file_name or s.file_name
        events.append(Event(f"received-{s.id}", "ingestion", clock.receipt_edtf(p.received_date, bound),
                            " ".join(x for x in (p.received_how.strip(), f"Received file name: {name}.") if x),
                            "success" if p.received_sha256 else "unknown",
                            f"SHA-256 recorded on receipt: {p.received_sha256}; verified at build: {s.sha256}"
                            if p.received_sha256 else "no SHA-256 recorded on receipt",
                            ("agent-editor",), (f"sources/{s.file_name}",)))
    sources = tuple(f"sources/{s.file_name}" for s in archive.sources)
    for kind in sorted(editions):
        engine = ("agent-typst",) if kind in pdf_kinds(editions) else ()
        what = "PDF edition, volume " + kind[len("pdf-vol"):] if kind.startswith("pdf-vol") else f"{kind.upper()} edition"
        events.append(Event(f"built-{kind}", "creation", built_at,
                            f"{what} built by {TOOL} {__version__} from the corpus"
                            + (f" (typeset by Typst {versions.get('Typst', '')})" if engine else ""),
                            "success", "every source verified against its recorded SHA-256",
                            ("agent-tool", *engine, "agent-editor"), (f"editions/{editions[kind].name}", *sources)))
    return agents, events + validated


# -- tag files and the zip ---------------------------------------------------------------------

def write_tags(bag: Path, archive: Archive, files: list[PayloadFile], bagged: dt.datetime) -> None:
    """bagit.txt (1.0), payload manifests (SHA-256, SHA-512), bag-info (dated when bagged), tag manifests."""
    rels = sorted(f.path for f in files)
    (bag / "bagit.txt").write_bytes(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    known = {f.path: f.sha256 for f in files}  # hashed as the payload was written
    for alg in ("sha256", "sha512"):
        lines = [f"{known[rel] if alg == 'sha256' else _digest(bag / 'data' / rel, alg)}  data/{_escape(rel)}\n"
                 for rel in rels]
        (bag / f"manifest-{alg}.txt").write_text("".join(lines), encoding="utf-8", newline="\n")
    info = [("Source-Organization", archive.publisher),
            ("External-Identifier", archive.identifier),
            ("External-Description", f"{archive.full_title}: the EPUB and PDF editions, every source as "
                                     "received with its provenance, the introduction, the editorial notes, "
                                     "citations, METS/PREMIS and validation reports."),
            ("Bagging-Date", bagged.date().isoformat()),
            ("Payload-Oxum", f"{sum(f.size for f in files)}.{len(files)}"),
            ("Bag-Software-Agent", f"{TOOL} {__version__}")]
    (bag / "bag-info.txt").write_text("".join(f"{k}: {' '.join(v.split())}\n" for k, v in info),
                                      encoding="utf-8", newline="\n")
    tags = ["bag-info.txt", "bagit.txt", "manifest-sha256.txt", "manifest-sha512.txt"]
    for alg in ("sha256", "sha512"):
        lines = [f"{_digest(bag / t, alg)}  {t}\n" for t in tags]
        (bag / f"tagmanifest-{alg}.txt").write_text("".join(lines), encoding="utf-8", newline="\n")


def write_zip(bag: Path, path: Path, top: str, archive: Archive) -> None:
    """The bag as a zip with one top folder: sorted entries, the edition's date, fixed permissions."""
    entries = sorted(p for p in bag.rglob("*"))
    with zipfile.ZipFile(path, "w") as z:
        for p in [bag, *entries]:
            rel = p.relative_to(bag).as_posix()
            name = f"{top}/{rel}/" if p.is_dir() and rel != "." else (f"{top}/" if p == bag else f"{top}/{rel}")
            if p.is_dir():
                info = zip_entry(name, archive.date, 0o40755, compress=False)
                info.external_attr |= 0x10  # MS-DOS directory flag
                z.writestr(info, b"")
            else:
                z.writestr(zip_entry(name, archive.date, 0o100644), p.read_bytes(), compresslevel=9)


def _escape(rel: str) -> str:
    """RFC 8493 §2.1.3: percent-encode CR, LF and % in manifest paths."""
    return rel.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _digest(path: Path, alg: str) -> str:
    h = hashlib.new(alg)
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _sha256(path: Path) -> str:
    return _digest(path, "sha256")


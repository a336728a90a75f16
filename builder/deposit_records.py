"""Records the deposit carries beside the editions, for a repository to read without the editions:
each source's provenance as structured data, a citation of the edition itself, the software that
made and checked it (with versions), and the Ace report without what changes from run to run.

Plain functions from the archive's records to data; the deposit writes them (builder.deposit).
Certainty stays in fields of its own: a title, a name or a publication is never qualified in words.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from . import __version__, describe
from .model import Archive, Source

TOOL = "annotated-archive"


def provenance_record(archive: Archive, source: Source, notes: int) -> dict:
    """A source's provenance as structured data: what the sidecar TOML says, field by field."""
    p = source.provenance
    return {
        "id": source.id,
        "archive": archive.identifier,
        "uri": f"{archive.identifier}#{source.id}",
        "recorded": p.recorded,
        "title": p.title,
        "title_supplied": p.title_supplied,
        "kind": p.kind,
        "language": p.language,
        "summary": p.summary,
        "rights": p.rights,
        "authors": [{"name": a.name, "role": a.role, "certainty": a.certainty, "evidence": a.evidence}
                    for a in p.authors],
        "date": {"value": p.date.value, "certainty": p.date.certainty, "evidence": p.date.evidence},
        "origin": {"description": p.origin_description, "publication": p.publication,
                   "publication_certainty": p.publication_certainty if p.publication else None, "url": p.url,
                   "identifiers": list(p.identifiers)},
        "received": {"file_name": p.received_file_name, "format": p.received_format,
                     "sha256": p.received_sha256, "how": p.received_how, "date": p.received_date or None,
                     # the encoding the text is read in ("" = UTF-8), so that a bag is read as the build read it
                     "encoding": p.received_encoding or None},
        "condition": {"summary": p.condition_summary, "flaws": list(p.flaws)},
        "file": {"name": source.file_name, "media_type": source.media_type, "sha256": source.sha256,
                 "size": source.size, "characters": source.characters},
        "notes": notes,
    }


def edition_citation(archive: Archive) -> dict:
    """The edition itself as one CSL-JSON item (a book edited by the archive's editors)."""
    item: dict = {"id": archive.slug, "type": "book", "title": archive.title,
                  "publisher": archive.publisher, "issued": {"date-parts": [[archive.date.year, archive.date.month,
                                                                              archive.date.day]]},
                  "language": archive.language, "medium": "EPUB; PDF", "genre": "annotated archive",
                  "note": f"Identifier: {archive.identifier}"}
    if archive.subtitle:
        item["title"] = archive.full_title
        item["title-short"] = archive.title
    if archive.editors:
        item["editor"] = [{"literal": e.name} for e in archive.editors]
    if archive.identifier.startswith(("http://", "https://")):
        item["URL"] = archive.identifier
    if archive.license:
        item["license"] = archive.license
    return item


def citation_text(archive: Archive) -> str:
    """The citation line a reader copies: editors (ed.), title, publisher, date, identifier."""
    names = [e.name for e in archive.editors]
    who = ""
    if names and names != [archive.publisher]:
        who = "; ".join(names) + (" (eds.). " if len(names) > 1 else " (ed.). ")
    title = archive.full_title.rstrip(".")
    return (f"{who}{title}. {archive.publisher}, {describe.date_text(archive.date.date().isoformat())}. "
            f"EPUB and PDF editions. {archive.identifier}.")


def software_versions() -> dict[str, str]:
    """The versions of the software that builds and checks the editions ("" when it cannot tell)."""
    versions = {TOOL: __version__, "Typst": _package_version("typst"), "pikepdf": _package_version("pikepdf"),
                "qpdf": _program_version(["qpdf", "--version"], r"qpdf version (\S+)"),
                "pdftotext (poppler)": _program_version(["pdftotext", "-v"], r"pdftotext version (\S+)")}
    return {k: v for k, v in versions.items() if v}


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return ""


def _program_version(cmd: list[str], pattern: str) -> str:
    if not shutil.which(cmd[0]):
        return ""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return ""
    m = re.search(pattern, proc.stdout + proc.stderr)
    return m.group(1) if m else ""


def clean_ace(raw: dict, path: Path) -> dict:
    """Ace's report without what changes from run to run: its date and the path it was given."""
    data = json.loads(json.dumps(raw))
    data.pop("dct:date", None)
    subject = data.get("earl:testSubject")
    if isinstance(subject, dict):
        subject["url"] = path.name
    return data


def ace_version(raw: dict) -> str:
    return str(((raw.get("earl:assertedBy") or {}).get("doap:release") or {}).get("doap:revision", ""))

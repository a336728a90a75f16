"""A web edition (a folder with index.html and register.html) read back: against its own records
(the register's list of sources with the SHA-256 of each original) or against a corpus. Each
original is checked against its SHA-256, each source's page against the text of its original,
every link inside the site, and the search index (builder/verify_web.py). With a corpus, every
note of every source must be on its page too.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from lxml import html as lxml_html

from .. import verify_web
from .records import HEX64, rebuilt_archive, rebuilt_source
from .report import Expected, Report


def is_web_edition(path: Path) -> bool:
    return path.is_dir() and (path / "index.html").is_file() and (path / "register.html").is_file()


def check_web(folder: Path, report: Report, expected: Expected | None, label: str | None = None) -> None:
    label = label or str(folder)
    archive = expected.archive if expected is not None and expected.corpus else _own_records(folder, report, label)
    if archive is None:
        return
    before = len(report.findings)
    for f in verify_web.findings(archive, folder):
        report.damage(label, f.message, f.where)
    if len(report.findings) == before:
        against = expected.against if expected is not None and expected.corpus else "its register"
        report.passed.append(f"{label}: {len(archive.sources)} sources whole in their pages against {against}; "
                             "originals match their SHA-256; every link resolves")


def _own_records(folder: Path, report: Report, label: str):
    """The sources the register lists: id (its page), original, and the SHA-256 it records."""
    try:
        tree = lxml_html.document_fromstring((folder / "register.html").read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        report.unreadable.append(f"{label}: register.html cannot be read: {e}")
        return None
    sources = []
    for row in tree.xpath("//table[contains(@class, 'register')]/tbody/tr"):
        page = row.xpath(".//th//a/@href")
        original = [h for h in row.xpath(".//a/@href") if h.startswith("originals/")]
        sha = [h.strip() for h in row.xpath(".//code[contains(@class, 'hash')]/text()")]
        if not page or not original or not sha or not HEX64.fullmatch(sha[0]):
            report.damage(label, "a row of the register names no page, original or SHA-256", "register.html")
            continue
        path = folder / unquote(original[0])
        sid = page[0].removesuffix(".html")
        if not path.is_file():
            report.damage(label, f"W103: the original {original[0]} is missing", "register.html")
            continue
        sources.append(rebuilt_source(sid, path, sha[0].lower()))
    if not sources:
        report.unreadable.append(f"{label}: the register lists no source")
        return None
    return rebuilt_archive(sources)

"""Read the web edition back as a browser would (HTML parsing) and prove it whole.

Shares nothing with the web writer: every source's page shows the source's text complete and
in order (note references left out), every note of the source is on its page, every original
is byte for byte the file received, and every link inside the site resolves (the file, and the
#fragment in it). Findings are W-coded:

W101 a page is missing · W102 a source's text differs · W103 an original is missing or differs ·
W104 a note is missing · W105 a link does not resolve · W106 the search index is missing.
"""

from __future__ import annotations

import hashlib
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import html as lxml_html

from . import characters
from .errors import DamageFound
from .model import Archive
from .verify import Finding, expected, first_difference, squeezer


def page_text(tree, container_id: str) -> str | None:
    """The text shown in the element container_id, note references left out; None if absent."""
    found = tree.xpath("//*[@id=$id]", id=container_id)
    if not found:
        return None
    parts: list[str] = []

    def walk(el) -> None:
        is_ref = "noteref" in (el.get("class") or "").split() or "doc-noteref" in (el.get("role") or "")
        if not is_ref:
            if el.tag == "br":
                parts.append("\n")
            elif el.tag == "p":
                parts.append("\n\n")
            parts.append(el.text or "")
            for child in el:
                if isinstance(child.tag, str):
                    walk(child)
                else:
                    parts.append(child.tail or "")
        parts.append(el.tail or "")

    container = found[0]
    parts.append(container.text or "")
    for child in container:
        if isinstance(child.tag, str):
            walk(child)
    return "".join(parts)


def _parse(path: Path):
    return lxml_html.document_fromstring(path.read_bytes().decode("utf-8"))


def findings(archive: Archive, folder: Path, search: bool | None = None) -> list[Finding]:
    folder = Path(folder)
    found: list[Finding] = []
    for source in archive.sources:
        page = folder / f"{source.id}.html"
        if not page.is_file():
            found.append(Finding(page.name, "W101: the source's page is missing"))
            continue
        tree = _parse(page)
        shown = page_text(tree, f"{source.id}-text")
        text, plain = expected(source)  # its reading text, and how white space is compared
        squeeze = squeezer(plain)
        want = squeeze(characters.shown(text))  # a character no edition shows as it is: its marker
        if shown is None:
            found.append(Finding(page.name, "W102: no source text block"))
        elif squeeze(shown) != want:
            found.append(Finding(page.name, "W102: the text differs from the source "
                                 + first_difference(want, squeeze(shown))))
        notes = tree.xpath("//aside[@data-note-id]/@data-note-id")
        for note in source.notes:
            if note.id not in notes:
                found.append(Finding(page.name, f"W104: note '{note.id}' is missing"))
        original = folder / "originals" / source.file_name
        if not original.is_file():
            found.append(Finding(f"originals/{source.file_name}", "W103: the original file is missing"))
        elif hashlib.sha256(original.read_bytes()).hexdigest() != source.sha256:
            found.append(Finding(f"originals/{source.file_name}", "W103: the original's SHA-256 does not match"))
    if search is None:
        search = (folder / "search.html").is_file() and b'id="search"' in (folder / "search.html").read_bytes()
    if search and not (folder / "pagefind" / "pagefind-ui.js").is_file():
        found.append(Finding("pagefind/", "W106: the search index is missing"))
    return found + link_findings(folder)


def link_findings(folder: Path) -> list[Finding]:
    """Every href and src inside the site names a file of the site, and its #fragment an id there."""
    found: list[Finding] = []
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    ids: dict[str, set[str]] = {}

    def ids_of(rel: str, tree=None) -> set[str]:
        if rel not in ids:
            ids[rel] = set((tree if tree is not None else _parse(folder / rel)).xpath("//@id")) \
                if rel.endswith(".html") else set()
        return ids[rel]

    for page in sorted(folder.glob("*.html")):
        tree = _parse(page)
        ids_of(page.name, tree)
        for ref in tree.xpath("//@href | //@src"):
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc:
                continue  # outside the site (a source's URL, a licence)
            rel = posixpath.normpath(unquote(parts.path)) if parts.path else page.name
            if rel not in files:
                found.append(Finding(page.name, f"W105: link to {ref}: no such file in the site"))
            elif parts.fragment and unquote(parts.fragment) not in ids_of(rel):
                found.append(Finding(page.name, f"W105: link to {ref}: no such place in {rel}"))
    return found


def site(archive: Archive, folder: Path) -> None:
    """Raise DamageFound unless the site holds every source whole and every link resolves."""
    problems = findings(archive, folder)
    if problems:
        raise DamageFound("the web edition does not hold the sources whole:\n"
                          + "\n".join(f"  {f}" for f in problems))

"""The register: people, organisations and terms, each described once (corpus/register.toml).

Notes and the introduction refer to an entry with a Markdown link whose target is
`#register:ID` (docs/corpus-format.md, "The register"), instead of glossing it again. The EPUB
edition gets a glossary (every entry) and an index of people and organisations with a link back to
each note and introduction that refers to them; the PDF prints the references as plain text.
A passage of a source can also be linked to an entry without a note (a register link, `kind =
"register"` in the source's notes file, docs/notes.md): check_links refuses one to no entry (R109).

Error codes R100–R109.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import files, tomlfile
from .errors import Problem

FILE = "register.toml"
KINDS = ("person", "organisation", "term")
KEYS = {"id", "kind", "name", "short", "description", "evidence"}
ID_FORM = re.compile(r"[a-z][a-z0-9-]*\Z")
REFERENCE = re.compile(r"\]\(#register:([^)\s]*)\)")  # [text](#register:ID) in Markdown
LINK = re.compile(r'href="#register:([a-z][a-z0-9-]*)"')  # the same, once rendered


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str  # person | organisation | term
    name: str
    description: str  # short, neutral
    evidence: str  # where the description comes from
    short: str = ""  # an abbreviation, e.g. "JLM"

    @property
    def indexed(self) -> bool:
        """People and organisations have an index entry; terms are in the glossary only."""
        return self.kind in ("person", "organisation")


def load(path: Path, read: files.Reader, problems: list[Problem]) -> tuple[Entry, ...] | None:
    """The register, if the corpus has one; every fault a Problem (R100-R105, R107). None: the file
    is there but could not be read (references to it are then not checked)."""
    import os
    if not os.path.lexists(path):
        return ()
    raw = read.metadata(path)
    if raw is None:
        return None
    doc = tomlfile.parse(path, raw, problems, "R100")
    if doc is None:
        return None
    return parse(doc, problems)


def parse(doc: tomlfile.Doc, problems: list[Problem]) -> tuple[Entry, ...]:
    data = doc.data
    for key in data:
        if key != "entry":
            problems.append(Problem("R101", doc.path, f"unknown table or field '{key}'",
                                    "write each entry as `[[entry]]` with id, kind, name, description, evidence",
                                    doc.line_of(key)))
    raw = data.get("entry", [])
    if not isinstance(raw, list):
        problems.append(Problem("R101", doc.path, "'entry' should be a list of tables",
                                "write each entry as `[[entry]]`", doc.line_of("entry")))
        return ()
    heads = [i for i, line in enumerate(doc.lines, 1) if re.match(r"\s*\[\[\s*entry\s*\]\]", line)]
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for k, e in enumerate(raw):
        line = heads[k] if k < len(heads) else None

        def at(key: str) -> int | None:
            found = doc.line_of(key, after=(line or 1) - 1) if line else None
            return found if found and (k + 1 >= len(heads) or found < heads[k + 1]) else line

        if not isinstance(e, dict):
            problems.append(Problem("R101", doc.path, f"entry {k + 1} is not a table", "write it as `[[entry]]`", line))
            continue
        for key in e:
            if key not in KEYS:
                problems.append(Problem("R101", doc.path, f"entry {k + 1}: unknown field '{key}'",
                                        f"remove it, or use one of: {', '.join(sorted(KEYS))}", at(key)))
        values: dict[str, str] = {}
        for key in ("id", "kind", "name", "description", "evidence", "short"):
            value = e.get(key, "")
            if not isinstance(value, str):
                problems.append(Problem("R107", doc.path, f"entry {k + 1}: '{key}' should be a string, "
                                        f"not {type(value).__name__}", f"write {key} = \"…\"", at(key)))
                value = ""
            elif key != "short" and not value.strip():
                problems.append(Problem("R102", doc.path, f"entry {k + 1}: required field '{key}' is "
                                        f"{'empty' if key in e else 'missing'}",
                                        f"give the entry {'a neutral description' if key == 'description' else 'its evidence (where the description comes from)' if key == 'evidence' else 'a ' + key}",
                                        at(key)))
            values[key] = value.strip()
        sid = values["id"]
        if sid and not ID_FORM.match(sid):
            problems.append(Problem("R103", doc.path, f"entry id '{sid}' is not of the form [a-z][a-z0-9-]*",
                                    "use lower-case letters, digits and hyphens, starting with a letter", at("id")))
        elif sid in seen:
            problems.append(Problem("R104", doc.path, f"entry id '{sid}' is used twice (first at line {seen[sid]})",
                                    "give each entry its own id, or merge the two", at("id")))
        elif sid:
            seen[sid] = at("id") or 0
        if values["kind"] and values["kind"] not in KINDS:
            problems.append(Problem("R105", doc.path, f"entry {k + 1}: kind '{values['kind']}' is not one of "
                                    f"{', '.join(KINDS)}", f"use one of: {', '.join(KINDS)}", at("kind")))
        entries.append(Entry(sid, values["kind"], values["name"], values["description"], values["evidence"],
                             values["short"]))
    return tuple(entries)


def references(markdown: str) -> list[str]:
    """The entry ids a Markdown text refers to, in order, each once."""
    return list(dict.fromkeys(REFERENCE.findall(markdown)))


def check_references(entries: tuple[Entry, ...], texts) -> list[Problem]:
    """R106: a reference to no entry. texts: (path, line of the text's start, Markdown)."""
    ids = {e.id for e in entries}
    out = []
    for path, first, text in texts:
        for m in REFERENCE.finditer(text):
            if m.group(1) not in ids:
                known = ", ".join(sorted(ids)) or f"none: the corpus has no {FILE}"
                line = first + text.count("\n", 0, m.start()) if first else None
                out.append(Problem("R106", path, f"a reference to '#register:{m.group(1)}', which is no entry "
                                   "of the register", f"use an entry's id ({known}), or add the entry to {FILE}",
                                   line))
    return out


def check_links(entries: tuple[Entry, ...], links) -> list[Problem]:
    """R109: a register link (a notes file's `kind = "register"`) to no entry. links: (path, Note)."""
    ids = {e.id for e in entries}
    known = ", ".join(sorted(ids)) or f"none: the corpus has no {FILE}"
    return [Problem("R109", path, f"register link '{n.id}' names entry '{n.entry}', which is no entry of the "
                    "register", f"use an entry's id ({known}), or add the entry to {FILE}", n.line or None)
            for path, n in links if n.entry and n.entry not in ids]


def link(html: str, pattern: str) -> str:
    """Rewrite rendered `href="#register:ID"` to the edition's own target (pattern with {id})."""
    return LINK.sub(lambda m: f'href="{pattern.format(id=m.group(1))}"', html)


def plain(html: str) -> str:
    """A rendered reference's words without its link (an edition with no glossary: the web edition)."""
    return re.sub(r'<a href="#register:[^"]*">(.*?)</a>', r"\1", html, flags=re.S)


def ordered(entries: tuple[Entry, ...]) -> list[Entry]:
    """Entries in alphabetical order of their names (case-insensitive, then id)."""
    return sorted(entries, key=lambda e: (e.name.casefold(), e.id))

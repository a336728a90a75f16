"""`archive cite`: the citation of the edition, of a source in it, or of a note's passage.

From the same records as the deposit's CSL-JSON (builder.metadata.csl_item) and the editions:
the titles as the editions print them ([brackets] for a title not the document's own), dates only
as precise as known ("circa" when inferred), no invented author or URL. Formats: text, csl-json,
bibtex, ris.
"""

from __future__ import annotations

import json
import re

from . import describe, metadata
from .errors import CorpusError, Problem
from .model import Archive, Note, Source

FORMATS = ("text", "csl-json", "bibtex", "ris")
RIS_TYPES = {"personal_communication": "PCOMM", "article-newspaper": "NEWS", "webpage": "ELEC", "book": "BOOK"}


def edition_item(archive: Archive) -> dict:
    """The edition as a CSL-JSON item (type book, edited)."""
    d = archive.date.date()
    item = {"id": archive.slug, "type": "book", "title": archive.full_title,
            "editor": [{"literal": e.name} for e in archive.editors], "publisher": archive.publisher,
            "issued": {"date-parts": [[d.year, d.month, d.day]]}, "language": archive.language,
            "note": f"Identifier: {archive.identifier}"}
    if archive.identifier.startswith(("http://", "https://")):
        item["URL"] = archive.identifier
    return item


def source_item(archive: Archive, source: Source, note: Note | None = None) -> dict:
    """A source (or a note's passage in it) as a CSL-JSON item, placed in the edition."""
    item = metadata.csl_item(source)
    item["collection-title"] = archive.full_title
    item["collection-editor"] = [{"literal": e.name} for e in archive.editors]
    item["publisher"] = archive.publisher
    item["archive"] = archive.full_title
    item["archive_location"] = f"{archive.identifier}#{source.id}"
    if note is not None:
        item["id"] = f"{source.id}/{note.id}"
        where = f"note {note.id}" + (f" on «{describe.lemma(note.selector.exact)}»" if note.selector.exact
                                      else " on the whole source")
        if note.selector.start is not None:
            where += f" (characters {note.selector.start}–{note.selector.end})"
        item["archive_location"] = f"{archive.identifier}#{source.id}/{note.id}"
        item["note"] = f"Editorial {note.kind} {where}. " + item.get("note", "")
    return item


def item_for(archive: Archive, target: str | None) -> dict:
    """target: None (the edition), SOURCE-ID, or SOURCE-ID#NOTE-ID. Raises CorpusError (S419)."""
    if target is None:
        return edition_item(archive)
    sid, _, nid = target.partition("#")
    by_id = {s.id: s for s in archive.sources}
    source = by_id.get(sid)
    if source is None:
        raise CorpusError([Problem("S419", None, f"there is no source '{sid}'",
                                   "give a source id (`archive status` lists them), or --edition")])
    if not nid:
        return source_item(archive, source)
    note = next((n for n in source.notes if n.id == nid), None)
    if note is None:
        known = ", ".join(n.id for n in source.notes) or "none"
        raise CorpusError([Problem("S419", source.notes_path, f"source '{sid}' has no note '{nid}'",
                                   f"give one of its notes: {known}")])
    return source_item(archive, source, note)


def render(item: dict, fmt: str) -> str:
    return {"text": text, "csl-json": csl_json, "bibtex": bibtex, "ris": ris}[fmt](item)


def csl_json(item: dict) -> str:
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


def _names(people: list[dict]) -> str:
    names = [p["literal"] for p in people]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""


def _date(item: dict) -> str:
    issued = item.get("issued")
    if not issued:
        return "n.d."
    parts = issued["date-parts"][0]
    value = describe.date_text("-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts)))
    return ("c. " if issued.get("circa") else "") + value


def _sentence(value: str) -> str:
    """value closed with a full stop, unless it ends with one already ("n.d.", "c. 1934")."""
    return value if value.endswith(".") else value + "."


def text(item: dict) -> str:
    """A plain citation, in the order of an author-title style."""
    if item["type"] == "book" and "editor" in item:
        eds = _names(item["editor"])
        return (f"{eds} (ed{'s' if len(item['editor']) > 1 else ''}.). {item['title']}. {item['publisher']}, "
                f"{_sentence(_date(item))} {item['note'].replace('Identifier: ', '')}.\n")
    who = _names(item.get("author", [])) or "Author unknown"
    out = f"{who}. “{item['title']}”"
    if item.get("container-title"):
        out += f", {item['container-title']}"
    out += f", {_sentence(_date(item))} In {item['collection-title']}, edited by {_names(item['collection-editor'])}. " \
           f"{item['publisher']}. {item['archive_location']}."
    if "/" in item["id"]:
        out += " " + item["note"].split(". ")[0] + "."
    return out + "\n"


BIBTEX_SPECIAL = re.compile(r"([{}\\&%$#_])")


def _tex(value: str) -> str:
    return BIBTEX_SPECIAL.sub(lambda m: "\\" + m.group(1) if m.group(1) not in "{}\\" else
                              {"{": "\\{", "}": "\\}", "\\": "\\textbackslash{}"}[m.group(1)], value)


def bibtex(item: dict) -> str:
    key = re.sub(r"[^A-Za-z0-9:-]", "-", item["id"].replace("/", ":"))  # source:note
    fields: list[tuple[str, str]] = [("title", "{" + _tex(item["title"]) + "}")]
    if item["type"] == "book" and "editor" in item:
        kind = "book"
        fields.append(("editor", " and ".join("{" + _tex(p["literal"]) + "}" for p in item["editor"])))
    else:
        kind = "misc"
        if item.get("author"):
            fields.append(("author", " and ".join("{" + _tex(p["literal"]) + "}" for p in item["author"])))
        fields.append(("howpublished", "In " + _tex(item["collection-title"])))
    issued = item.get("issued")
    if issued:
        parts = issued["date-parts"][0]
        fields.append(("year", str(parts[0])))
        if not issued.get("circa"):
            fields.append(("date", "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts))))
    fields.append(("publisher", _tex(item["publisher"])))
    if item.get("language"):
        fields.append(("language", item["language"]))
    note = item.get("note", "")
    if item.get("archive_location"):
        note = f"{item['archive_location']}. {note}"
    fields.append(("note", _tex(note.strip())))
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def ris(item: dict) -> str:
    lines = [("TY", RIS_TYPES.get(item["type"], "GEN"))]
    lines.append(("TI", item["title"]))
    for p in item.get("author", []):
        lines.append(("AU", p["literal"]))
    for p in item.get("editor", []) + item.get("collection-editor", []):
        lines.append(("ED", p["literal"]))
    if item.get("collection-title"):
        lines.append(("T2", item["collection-title"]))
    issued = item.get("issued")
    if issued:
        year, month, day = (issued["date-parts"][0] + [0, 0])[:3]
        lines.append(("PY", str(year)))
        lines.append(("DA", f"{year}/{f'{month:02d}' if month else ''}/{f'{day:02d}' if day else ''}/"))
    lines.append(("PB", item["publisher"]))
    if item.get("language"):
        lines.append(("LA", item["language"]))
    if item.get("archive_location"):
        lines.append(("AN", item["archive_location"]))
    if item.get("note"):
        lines.append(("N1", item["note"]))
    lines.append(("ID", item["id"]))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {value}\n" for tag, value in lines)

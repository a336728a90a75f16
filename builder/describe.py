"""How the edition words provenance (and a note's lemma): shared by both editions so they say the same thing."""

from __future__ import annotations

import datetime as dt

from .model import Archive, Provenance, Source

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def date_text(value: str) -> str:
    """ISO 8601 (YYYY, YYYY-MM, YYYY-MM-DD) in words: '19 April 2020'."""
    if not value:
        return "date unknown"
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    if len(parts) == 2:
        return f"{MONTHS[parts[1] - 1]} {parts[0]}"
    return f"{parts[2]} {MONTHS[parts[1] - 1]} {parts[0]}"


def date_line(p: Provenance) -> str:
    if p.date.certainty == "unknown" or not p.date.value:
        return "Date unknown"
    return f"{date_text(p.date.value)} ({p.date.certainty})"


def title(p: Provenance) -> str:
    return f"[{p.title}]" if p.title_supplied or p.title_derived else p.title


def lemma(exact: str, width: int = 60) -> str:
    """A note's passage as its lemma: on one line, its middle elided when it is long."""
    from .characters import shown

    s = shown(" ".join(exact.split()), 1)
    return s if len(s) <= width else s[: width // 2 - 1] + " … " + s[-(width // 2 - 2):]


def authors(p: Provenance) -> str:
    if not p.recorded:
        return "not recorded"
    if not p.authors:
        return "unknown"
    parts = []
    for a in p.authors:
        text = a.name if a.role == "author" else f"{a.name} ({a.role})"
        parts.append(text + (" (inferred)" if a.certainty == "inferred" else ""))
    return "; ".join(parts)


def source_context(source: Source) -> dict:
    """Plain data about a source for templates (no live objects)."""
    p = source.provenance
    return {
        "id": source.id, "title": title(p), "title_plain": p.title, "title_supplied": p.title_supplied,
        "title_derived": p.title_derived,
        "kind": p.kind or "not recorded", "language": p.language, "summary": p.summary, "rights": p.rights,
        "authors": authors(p), "author_list": [vars_(a) for a in p.authors],
        "date": date_line(p), "date_value": p.date.value, "date_certainty": p.date.certainty,
        "date_evidence": p.date.evidence, "origin": p.origin_description, "publication": p.publication,
        "url": p.url, "received_file_name": p.received_file_name, "received_format": p.received_format,
        "received_how": p.received_how, "received_date": p.received_date,
        "recorded_sha256": p.received_sha256, "sha256": source.sha256, "size": source.size,
        "characters": source.characters, "file_name": source.file_name, "media_type": source.media_type,
        "condition": p.condition_summary, "flaws": list(p.flaws), "recorded": p.recorded,
        "encoding": encoding_line(p), "attachments": list(p.attachments), "attached_to": p.attached_to,
    }


def encoding_line(p: Provenance) -> str:
    """How the text's encoding is recorded, in words ("" when none is: UTF-8 is read)."""
    if not p.received_encoding:
        return ""
    how = [p.received_detected] if p.received_detected else []
    how += [f"confidence {p.received_confidence:g}"] if p.received_confidence is not None else []
    return f"text in {p.received_encoding}" + (f" ({', '.join(how)})" if how else "")


def with_document(ctx: dict, doc) -> dict:
    """A source's context with what its document adds to the condition record: characters shown
    as markers (builder/characters.py) and what its reader could not carry (doc.losses)."""
    from . import characters

    added = characters.condition(doc.text) + [
        f"{loss.count} {loss.what} not carried into the editions (kept in the original)" for loss in doc.losses]
    return {**ctx, "flaws": ctx["flaws"] + added} if added else ctx


def vars_(obj) -> dict:
    return {k: getattr(obj, k) for k in obj.__dataclass_fields__}


def archive_context(archive: Archive, version: str) -> dict:
    return {
        "title": archive.title, "subtitle": archive.subtitle, "full_title": archive.full_title,
        "slug": archive.slug, "identifier": archive.identifier, "language": archive.language,
        "date": archive.date.date().isoformat(), "date_text": date_text(archive.date.date().isoformat()),
        "modified": archive.date.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "year": archive.date.year, "publisher": archive.publisher, "rights": archive.rights,
        "description": archive.description, "subjects": list(archive.subjects),
        "editors": [vars_(e) for e in archive.editors], "version": version,
        "sources": [source_context(s) for s in archive.sources],
    }

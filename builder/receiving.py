"""What `archive add` makes of a received file, from its content: its kind, media type and
encoding (builder/readers/detect.py), its title, and, for an mbox or an email, the sources it
becomes: one per message of an mbox (`<id>-<n>.eml`), one per attachment of an email
(`<email-id>-<attachment-name>`), linked both ways in their provenance.

The library behind builder/sources_io.py's checks; error codes A330-A339.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePath

import tomlkit

from . import corpus
from .errors import Problem
from .readers import email as email_reader
from .readers.detect import Kind, NotASource, kind_of
from .readers.encoding import reading_text


def kind(file: Path, name: str, data: bytes, problems: list[Problem]) -> Kind | None:
    """The kind of one received item; None (and a problem) for bytes of no kind the archive reads."""
    try:
        return kind_of(data, name)
    except NotASource as e:
        problems.append(Problem("A330", file, f"{name}: not a source this archive can read: {e}",
                                "check that this is the file meant; sources are text (in any encoding), "
                                "Markdown, HTML or email (.eml, .mbox)"))
        return None


def plans(file: Path, data: bytes, sid: str, check, problems: list[Problem]) -> list:
    """The plans one received file makes: check(name, data, id, **received) plans one item."""
    name = file.name
    try:
        found = kind_of(data, name)
    except NotASource:
        found = None
    if found is not None and found.name == "mbox":
        messages = [m for m in email_reader.split_mbox(data) if m.strip()]
        if not messages:
            problems.append(Problem("A331", file, "an mbox with no message in it",
                                    "check that this is the mailbox meant"))
            return []
        made = []
        box_sha = hashlib.sha256(data).hexdigest()
        for n, message in enumerate(messages, 1):
            how = (f"Message {n} of {len(messages)} in the mailbox {name} (SHA-256 {box_sha}), as it stands "
                   "there.")
            made += _email(file, f"{PurePath(name).stem}-{n}.eml", message, f"{sid}-{n}", check, problems,
                           received_name=name, how_received=how)
        return made
    if found is not None and found.name == "email":
        return _email(file, name, data, sid, check, problems)
    plan = check(name, data, sid)
    return [plan] if plan is not None else []


NESTED = 8  # emails forwarded as attachments, within each other: deeper ones are kept whole, not opened


def _email(file: Path, name: str, data: bytes, sid: str, check, problems: list[Problem], depth: int = 0,
           **received) -> list:
    """The plans of an email and of its attachments; an attached email (a forwarded message) is
    opened in turn, its own attachments becoming sources linked to it, up to NESTED levels."""
    msg = email_reader.parse(data)
    attached = email_reader.attachments(msg)
    ids = [corpus.id_from(f"{sid}-{corpus.id_from(PurePath(a.file_name).stem) or 'attachment'}") for a in attached]
    ids = [i if ids.count(i) == 1 else f"{i}-{n}" for n, i in enumerate(ids, 1)]
    plan = check(name, data, sid, email=email_reader.fields(msg), attachments=tuple(ids), **received)
    made = [plan] if plan is not None else []
    for a, aid in zip(attached, ids):
        how = f"Attached to the email {sid} ({name}) as {a.file_name} ({a.media_type}), as sent."
        if a.media_type == "message/rfc822" and depth < NESTED and _is_email(a.data, a.file_name):
            made += _email(file, a.file_name, a.data, aid, check, problems, depth + 1, attached_to=sid,
                           how_received=how)
            continue
        p = check(a.file_name, a.data, aid, attached_to=sid, how_received=how)
        if p is not None:
            made.append(p)
    return made


def _is_email(data: bytes, name: str) -> bool:
    try:
        return kind_of(data, name).name == "email"
    except NotASource:
        return False


def title(found: Kind, data: bytes, name: str) -> tuple[str, bool]:
    """The title an added source gets, and whether it is supplied (not the document's own): an
    email's subject (its own), else the first line of its text (supplied)."""
    from .sources_io import first_line_title
    if found.name == "email":
        fields = dict(email_reader.fields(email_reader.parse(data)))
        subject = first_line_title(fields.get("subject", ""), ".txt")
        return (subject, False) if subject else (f"Email from {fields.get('from', 'unknown')}", True)
    if found.encoding is None:
        return "", True
    return first_line_title(reading_text(data, found.encoding.encoding), found.suffix), True


def record(doc: tomlkit.TOMLDocument, p) -> None:
    """What the provenance skeleton records beyond the basic receipt: encoding, email, links."""
    received = doc["received"]
    if p.encoding is not None:
        received["encoding"] = p.encoding.encoding
        received["detected"] = p.encoding.how
        received["confidence"] = p.encoding.confidence
        if p.encoding.alternatives:
            received["alternatives"] = list(p.encoding.alternatives)
        received["encoding"].comment("as detected on receipt: correct it here if the text reads wrongly")
    if p.attached_to:
        received["attached_to"] = p.attached_to
    if p.email or p.attachments:
        table = tomlkit.table()
        for key, value in p.email:
            table[key] = value
        if p.attachments:
            table["attachments"] = list(p.attachments)
        doc["email"] = table

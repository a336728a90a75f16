"""An email as received (.eml, RFC 5322 / MIME), parsed with the standard library.

`read(data, source)` -> Document: a header block (Fields: From, To, Cc, Date, Subject,
Message-ID) and the body, as the plain-text reader reads a text/plain part, or as the HTML
reader reads (and sanitises) an HTML part when there is no text/plain one. The reading text
is the header values, one a line, a blank line, then the body's reading text, so that notes
can anchor on a subject or a sender as on the body. The header values come from the message
itself (decoded, on one line), not from the provenance: the bytes are what is read.

`fields(msg)`: the header fields a reader needs (From, To, Cc, Date, Subject, Message-ID),
decoded (RFC 2047). `body(msg)`: the text a reader reads, the text/plain part preferred, else
the HTML part (sanitised like an HTML source by whoever shows it). `attachments(msg)`: every
attached file, its bytes exactly as sent (transfer encoding undone, nothing else).
`split_mbox(data)`: the messages of an mbox, each one's bytes exactly as they stand in it.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.headerregistry import HeaderRegistry
from email.parser import BytesParser

from .. import document as d
from . import html as html_reader
from . import text as text_reader

FIELDS = (("from", "From"), ("to", "To"), ("cc", "Cc"), ("date", "Date"), ("subject", "Subject"),
          ("message_id", "Message-ID"))
class _ParsedOnce(HeaderRegistry):
    """The standard library's header registry, each header parsed once: header objects are
    immutable, and the library parses Content-Type again on every look (most of an email's
    reading time otherwise)."""

    @functools.lru_cache(maxsize=4096)  # noqa: B019 (one registry for the life of the process)
    def __call__(self, name, value):
        return super().__call__(name, value)


POLICY = policy.default.clone(header_factory=_ParsedOnce())
MBOX_SEPARATOR = re.compile(rb"^From [^\r\n]*\r?\n", re.MULTILINE)


@dataclass(frozen=True)
class Body:
    text: str
    html: bool  # True: the text is HTML (no text/plain part)


@dataclass(frozen=True)
class Attachment:
    file_name: str
    media_type: str
    data: bytes


def read(data: bytes, source=None) -> d.Document:
    msg = parse(data)
    labels = dict(FIELDS)
    header: list[d.Field] = []
    parts: list[str] = []
    at = 0
    for key, value in fields(msg):
        if parts:
            parts.append("\n")
            at += 1
        header.append(d.Field(labels[key], (d.Text(value, at, at + len(value)),) if value else ()))
        parts.append(value)
        at += len(value)
    found = body(msg)
    inner = html_reader.document(found.text) if found.html else text_reader.document(found.text, kind="eml")
    if parts and inner.text:
        parts.append("\n\n")
        at += 2
    blocks = ((d.Fields(tuple(header)),) if header else ()) + tuple(shift(b, at) for b in inner.blocks)
    return d.Document("".join(parts) + inner.text, blocks, kind="eml", losses=inner.losses)


def shift(node, by: int):
    """A node of a document with every offset into the reading text moved by `by`."""
    if isinstance(node, tuple):
        return tuple(shift(n, by) for n in node)
    if not dataclasses.is_dataclass(node):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if f.name in ("start", "end", "offset") and isinstance(value, int):
            changes[f.name] = value + by
        elif isinstance(value, tuple) or dataclasses.is_dataclass(value):
            changes[f.name] = shift(value, by)
    return dataclasses.replace(node, **changes)


def parse(data: bytes) -> EmailMessage:
    return BytesParser(policy=POLICY).parsebytes(data)


def fields(msg: EmailMessage) -> tuple[tuple[str, str], ...]:
    """(key, value) for each of FIELDS the message has, values decoded and on one line."""
    found = []
    for key, name in FIELDS:
        value = msg.get(name)
        if value is not None:
            found.append((key, " ".join(str(value).split())))
    return tuple(found)


def body(msg: EmailMessage) -> Body:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return Body("", False)
    try:
        text = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or wrong charset: read it as Latin-1, never fail
        text = (part.get_payload(decode=True) or b"").decode("latin-1")
    return Body(text if isinstance(text, str) else "", part.get_content_subtype() == "html")


def attachments(msg: EmailMessage) -> list[Attachment]:
    found = []
    for n, part in enumerate(msg.iter_attachments(), 1):
        data = part.get_payload(decode=True)
        if data is None:  # a message/rfc822 part: its bytes as a message
            inner = part.get_payload()
            data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
        found.append(Attachment(part.get_filename() or f"attachment-{n}", part.get_content_type(), data))
    return found


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox: the bytes between one "From " separator line and the next (the blank
    line that ends each message, before the next or at the end, belongs to the mbox)."""
    starts = [m for m in MBOX_SEPARATOR.finditer(data) if m.start() == 0 or data[m.start() - 1:m.start()] == b"\n"]
    messages = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(data)
        chunk = data[m.end():end]
        # the blank line before the next separator (or ending the mailbox) is the mbox's
        chunk = chunk[:-2] if chunk.endswith(b"\r\n\r\n") else chunk[:-1] if chunk.endswith(b"\n\n") else chunk
        messages.append(chunk)
    return messages

"""What kind of source received bytes are, from their content (the file name only breaks a tie).

`kind_of(data, file_name)` -> Kind: its name, the media type recorded in the provenance, the
suffix the source gets in the corpus, and (for text) the encoding detected. Signatures decide
first (PDF, PNG, JPEG, TIFF); then text: an mbox ("From " line, then a header), an email (a
header block naming From and one of Date, Subject, To, Message-ID, MIME-Version), HTML (a
doctype or <html>, or a .html/.htm name), Markdown (a .md/.markdown name), else plain text.
Raises NotASource for bytes that are none of these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from .encoding import Detected, NotText, detect

SIGNATURES = (  # (prefix, kind, media type, suffix)
    (b"%PDF-", "pdf", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image", "image/png", ".png"),
    (b"\xff\xd8\xff", "image", "image/jpeg", ".jpg"),
    (b"II*\x00", "image", "image/tiff", ".tif"),
    (b"MM\x00*", "image", "image/tiff", ".tif"),
)
HEAD = 64 * 1024  # how much of a text is looked at for an email header or an HTML start
FIELD = re.compile(r"([!-9;-~]+):[ \t]?", re.ASCII)  # an RFC 5322 field name and its colon
EMAIL_NEEDS = {"date", "subject", "to", "message-id", "mime-version"}
HTML_START = re.compile(r"\A(\s|<!--.*?-->)*<(!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Kind:
    name: str  # text | markdown | html | email | mbox | pdf | image
    media_type: str
    suffix: str  # of the source in the corpus
    encoding: Detected | None = None  # text kinds only


class NotASource(ValueError):
    """Bytes of no kind the archive reads."""


def kind_of(data: bytes, file_name: str = "") -> Kind:
    for prefix, name, media_type, suffix in SIGNATURES:
        if data.startswith(prefix):
            return Kind(name, media_type, suffix)
    suffix = PurePath(file_name).suffix.lower()
    if data.startswith(b"From ") and is_email_header(_after_first_line(data[:HEAD])):
        return Kind("mbox", "application/mbox", ".mbox")
    if suffix != ".mbox" and is_email_header(data[:HEAD]):
        return Kind("email", "message/rfc822", ".eml")
    try:
        found = detect(data)
    except NotText as e:
        raise NotASource(str(e)) from e
    head = data[:HEAD].decode(found.encoding, "replace").lstrip("\ufeff")  # a character cut at the end: replaced
    if suffix in (".html", ".htm", ".xhtml") or HTML_START.match(head):
        return Kind("html", "text/html", ".html", found)
    if suffix in (".md", ".markdown"):
        return Kind("markdown", "text/markdown", ".md", found)
    return Kind("text", "text/plain", ".txt", found)


def is_email_header(head: bytes) -> bool:
    """Whether bytes begin with an email's header block: field lines (with folded continuations)
    up to a blank line, naming From and at least one other field an email has."""
    names: set[str] = set()
    for raw in head.split(b"\n"):
        line = raw.rstrip(b"\r").decode("latin-1")
        if not line:
            break
        if line[0] in " \t":
            if not names:
                return False
            continue
        m = FIELD.match(line)
        if not m:
            return False
        names.add(m.group(1).lower())
    else:
        if len(head) >= HEAD:  # a header longer than the part looked at: not an email we know
            return False
    return "from" in names and bool(names & EMAIL_NEEDS)


def _after_first_line(data: bytes) -> bytes:
    cut = data.find(b"\n")
    return data[cut + 1:] if cut >= 0 else b""

"""The receipt details a source's provenance records beyond name, format, hash and how:
its text encoding (`[received] encoding`, with how it was `detected`, the `confidence` and the
`alternatives`), the header fields of an email (`[email]`), and the links between an email and
the attachments it came with (`[email] attachments`, `[received] attached_to`).

`read(doc, received, data)` checks these fields of one provenance file and returns them;
`check_links(sources)` checks, once every source is loaded, that each link goes both ways.
Error codes C190-C199.
"""

from __future__ import annotations

from .errors import Problem
from .readers.encoding import label

ENCODING_KEYS = ("encoding", "detected", "confidence", "alternatives")
RECEIVED_KEYS = {"file_name", "format", "sha256", "how", "date", "attached_to", *ENCODING_KEYS}
EMAIL_FIELDS = ("from", "to", "cc", "date", "subject", "message_id")  # in the order a header block shows them
EMAIL_KEYS = {*EMAIL_FIELDS, "attachments"}
EMAIL_LABELS = {"from": "From", "to": "To", "cc": "Cc", "date": "Date", "subject": "Subject",
                "message_id": "Message-ID"}


def read(doc, data: dict, received: dict) -> dict:
    """The extra receipt fields of one provenance file (doc: tomlfile.Doc), as Provenance's keyword
    arguments (received_encoding, ..., email, attachments, attached_to); problems added to doc."""
    doc.unknown(received, RECEIVED_KEYS, where="received.")
    encoding = doc.get(received, "encoding", default="", where="received.")
    if encoding:
        try:
            label(encoding)
        except ValueError:
            doc.problem("C190", f"received.encoding '{encoding}' is not an encoding this tool knows",
                        "name it as the WHATWG Encoding Standard or Python does: utf-8, utf-16, windows-1252, "
                        "iso-8859-1, big5, shift_jis, euc-kr, gb2312, …", key="encoding")
    confidence = received.get("confidence")
    if confidence is not None and (isinstance(confidence, bool) or not isinstance(confidence, (int, float))
                                   or not 0 <= confidence <= 1):
        doc.problem("C191", f"received.confidence '{confidence}' is not a number from 0 to 1",
                    "leave the detector's figure as it is, or remove the field", key="confidence")
        confidence = None
    alternatives = doc.get(received, "alternatives", list, default=[], where="received.")
    if not all(isinstance(a, str) for a in alternatives):
        doc.problem("C191", "received.alternatives is not a list of encoding names",
                    'write it as alternatives = ["windows-1250", "cp850"], or remove it', key="alternatives")
        alternatives = []
    email = doc.get(data, "email", dict, default={})
    doc.unknown(email, EMAIL_KEYS, where="email.")
    fields = []
    for key in EMAIL_FIELDS:
        value = doc.get(email, key, default=None, where="email.")
        if value is not None:
            fields.append((key, value))
    attachments = doc.get(email, "attachments", list, default=[], where="email.")
    if not all(isinstance(a, str) for a in attachments):
        doc.problem("C192", "email.attachments is not a list of source ids",
                    'write it as attachments = ["first-attachment-id"]', key="attachments")
        attachments = []
    return {"received_encoding": encoding,
            "received_detected": doc.get(received, "detected", default="", where="received."),
            "received_confidence": float(confidence) if confidence is not None else None,
            "received_alternatives": tuple(alternatives), "email": tuple(fields), "attachments": tuple(attachments),
            "attached_to": doc.get(received, "attached_to", default="", where="received.")}


def check_links(sources: dict) -> list[Problem]:
    """Every attachment an email lists exists and names the email back, and the other way round."""
    problems = []
    for sid, source in sources.items():
        p = source.provenance
        for aid in p.attachments:
            other = sources.get(aid)
            if other is None:
                problems.append(Problem("C193", source.path.with_suffix(".toml"),
                                        f"email.attachments names '{aid}', but there is no such source",
                                        "correct the id, or add the attachment as a source"))
            elif other.provenance.attached_to != sid:
                problems.append(Problem("C194", other.path.with_suffix(".toml"),
                                        f"'{sid}' lists '{aid}' as its attachment, but '{aid}' does not say "
                                        f"received.attached_to = \"{sid}\"",
                                        f"add attached_to = \"{sid}\" under [received] in {aid}.toml"))
        if p.attached_to:
            email = sources.get(p.attached_to)
            if email is None or sid not in email.provenance.attachments:
                problems.append(Problem("C194", source.path.with_suffix(".toml"),
                                        f"received.attached_to names '{p.attached_to}', but "
                                        + ("there is no such source" if email is None
                                           else f"'{p.attached_to}' does not list '{sid}' in email.attachments"),
                                        "correct the id, or list this source in the email's attachments"))
    return problems

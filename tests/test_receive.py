"""Text in any encoding and email: detected from content by `archive add`, recorded in the
provenance, read back whole by the loader; the provenance's receipt fields are checked."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from receiving import SENTENCES, UNICODE, email_with_attachment, encoded, letter

from builder import corpus
from builder.cli import main
from builder.errors import CorpusError
from builder.readers import detect as kinds
from builder.readers import email as email_reader
from builder.readers.encoding import detect, label, reading_text

CASES = {codec: (codec, codec, letter(text)) for codec, text in SENTENCES.items()}
CASES |= {name: (codec, recorded, letter(text, end)) for name, (codec, recorded, text, end) in UNICODE.items()}


def add(*args) -> object:
    return CliRunner().invoke(main, ["add", *map(str, args)])


def received(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "received"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def sidecar(root: Path, sid: str) -> dict:
    return tomllib.loads((root / "sources" / f"{sid}.toml").read_text(encoding="utf-8"))


# -- detection -----------------------------------------------------------------------------------

@pytest.mark.parametrize("codec, recorded, text", CASES.values(), ids=list(CASES))
def test_each_encoding_is_detected_and_read_whole(codec, recorded, text):
    data = encoded(codec, text)
    found = detect(data)
    assert label(found.encoding) == label(recorded), found
    assert reading_text(data, found.encoding) == text  # BOM dropped, line ends as received
    assert 0.5 <= found.confidence <= 1
    assert kinds.kind_of(data, "x.txt").name == "text"


def test_a_long_multibyte_text_cut_in_a_character_is_still_detected():
    """Detection looks at the first 64 KiB: a Big5 character cut there must not make it fail."""
    def cut(data: bytes) -> bool:
        try:
            data[:65536].decode("big5")
            return False
        except UnicodeDecodeError:
            return True
    data = next(d for pad in range(4) if cut(d := encoded("big5", "a" * pad + CASES["big5"][2] * 400)))
    found = kinds.kind_of(data, "long.txt")
    assert (found.name, found.encoding.encoding) == ("text", "big5")


def test_a_latin_text_is_not_read_as_another_codepage():
    """The Windows-1252 letter holds characters (“ ” — ’) that Latin-1 has not: named windows-1252;
    the Latin-1 letter has none of them: named iso-8859-1, the narrowest reading the same."""
    assert detect(encoded("windows-1252", CASES["windows-1252"][2])).encoding == "windows-1252"
    assert detect(encoded("iso-8859-1", CASES["iso-8859-1"][2])).encoding == "iso-8859-1"


def test_kinds_from_content_not_suffix():
    mail = email_with_attachment()
    assert kinds.kind_of(mail, "message.txt").name == "email"  # an email saved as .txt is an email
    assert kinds.kind_of(b"From ann@example.org Tue Mar  5 10:00:00 2019\n" + mail, "box").name == "mbox"
    assert kinds.kind_of(b"<!DOCTYPE html>\n<p>Hello</p>\n", "page.txt").name == "html"
    assert kinds.kind_of(b"# Title\n\nText.\n", "notes.md").name == "markdown"
    assert kinds.kind_of(b"From: the editor\n\nNot an email: no other field.\n", "a.txt").name == "text"
    assert kinds.kind_of(b"%PDF-1.7\n", "letter.txt").media_type == "application/pdf"
    with pytest.raises(kinds.NotASource):
        kinds.kind_of(b"PK\x03\x04\x14\x00\x00", "notes.txt")


# -- archive add ---------------------------------------------------------------------------------

@pytest.mark.parametrize("codec, recorded, text", CASES.values(), ids=list(CASES))
def test_add_records_kind_encoding_and_hash(tmp_path, corpus_copy, codec, recorded, text):
    data = encoded(codec, text)
    file = received(tmp_path, "Letter.TXT", data)
    result = add(file, "--corpus", corpus_copy)
    assert result.exit_code == 0, result.output
    assert (corpus_copy / "sources" / "letter.txt").read_bytes() == data  # as received, BOM and all
    receipt = sidecar(corpus_copy, "letter")["received"]
    assert receipt["format"] == "text/plain"
    assert receipt["sha256"] == hashlib.sha256(data).hexdigest()
    assert label(receipt["encoding"]) == label(recorded)
    assert receipt["detected"] in ("byte-order mark", "valid UTF-8") or receipt["detected"].startswith(
        "charset-normalizer")
    assert f"sha256 {receipt['sha256']}" in result.stdout and f"encoding {receipt['encoding']}" in result.stdout
    source = {s.id: s for s in corpus.load(corpus_copy).sources}["letter"]
    assert source.read_text() == text and source.read_bytes() == data


def test_the_editor_corrects_the_encoding(tmp_path, corpus_copy):
    """A short Latin text the detector misreads: the editor's received.encoding is what is read."""
    data = "Café\n".encode("iso-8859-1")
    assert add(received(tmp_path, "short.txt", data), "--corpus", corpus_copy).exit_code == 0
    path = corpus_copy / "sources" / "short.toml"
    text = path.read_text(encoding="utf-8")
    recorded = tomllib.loads(text)["received"]["encoding"]
    path.write_text(text.replace(f'encoding = "{recorded}"', 'encoding = "iso-8859-1"'), encoding="utf-8")
    source = {s.id: s for s in corpus.load(corpus_copy).sources}["short"]
    assert source.read_text() == "Café\n"


BAD_RECEIPTS = {  # the line of [received] that starts so, replaced by
    "unknown encoding": ("encoding = ", 'encoding = "klingon-8"', "C190", "'klingon-8' is not an encoding"),
    "wrong encoding": ("encoding = ", 'encoding = "utf-8"', "C195", "does not decode as utf-8"),
    "confidence out of range": ("confidence = ", "confidence = 7", "C191", "not a number from 0 to 1"),
    "no encoding recorded": ("encoding = ", "", "C141", "reads as windows-1252"),
}


@pytest.mark.parametrize("key, line, code, message", BAD_RECEIPTS.values(), ids=list(BAD_RECEIPTS))
def test_a_wrong_receipt_is_an_input_error(tmp_path, corpus_copy, key, line, code, message):
    data = encoded("windows-1252", CASES["windows-1252"][2])
    assert add(received(tmp_path, "old.txt", data), "--corpus", corpus_copy).exit_code == 0
    path = corpus_copy / "sources" / "old.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("\n" + key) + 1
    path.write_text(text[:start] + line + "\n" + text[text.index("\n", start) + 1:], encoding="utf-8")
    with pytest.raises(CorpusError) as e:
        corpus.load(corpus_copy)
    found = [p for p in e.value.problems if p.path.stem == "old"]
    assert [p.code for p in found] == [code] and message in found[0].message, str(e.value)
    assert len(e.value.problems) == (2 if code == "C141" else 1)  # C141 also leaves it out of the order


# -- email -----------------------------------------------------------------------------------------

def test_add_an_email_and_its_attachment_linked_both_ways(tmp_path, corpus_copy):
    attachment = encoded("windows-1252", CASES["windows-1252"][2])
    data = email_with_attachment(attachment=attachment, attachment_name="Minutes (draft).txt")
    result = add(received(tmp_path, "Minutes.eml", data), "--corpus", corpus_copy)
    assert result.exit_code == 0, result.output
    assert (corpus_copy / "sources" / "minutes.eml").read_bytes() == data
    assert (corpus_copy / "sources" / "minutes-minutes-draft.txt").read_bytes() == attachment
    mail, att = sidecar(corpus_copy, "minutes"), sidecar(corpus_copy, "minutes-minutes-draft")
    assert mail["kind"] == "email" and (mail["title"], mail["title_supplied"]) == ("Minutes of the meeting", False)
    assert mail["received"]["format"] == "message/rfc822"
    assert mail["received"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert mail["email"] == {"from": "Ann Archer <ann@example.org>", "to": "Bob Baker <bob@example.org>",
                             "cc": "Zöe Clerk <zoe@example.org>", "date": "Tue, 05 Mar 2019 10:00:00 +0000",
                             "subject": "Minutes of the meeting", "message_id": "<minutes-2019-03-05@example.org>",
                             "attachments": ["minutes-minutes-draft"]}
    assert att["received"]["attached_to"] == "minutes"
    assert att["received"]["file_name"] == "Minutes (draft).txt"
    assert att["received"]["encoding"] == "windows-1252"
    assert att["received"]["sha256"] == hashlib.sha256(attachment).hexdigest()
    archive = corpus.load(corpus_copy)
    sources = {s.id: s for s in archive.sources}
    assert sources["minutes"].provenance.attachments == ("minutes-minutes-draft",)
    assert sources["minutes-minutes-draft"].read_text() == CASES["windows-1252"][2]


def forwarded(inner: bytes, times: int = 1) -> bytes:
    """inner forwarded times over, each time as a message/rfc822 attachment of a new email."""
    from email import message_from_bytes, policy
    from email.message import EmailMessage
    for n in range(times):
        msg = EmailMessage()
        msg["From"], msg["To"] = "Bob Baker <bob@example.org>", f"Reader {n} <r{n}@example.org>"
        msg["Date"], msg["Subject"] = "Wed, 06 Mar 2019 09:00:00 +0000", "Fwd: Minutes of the meeting"
        msg.set_content(f"Forwarded ({n + 1}).\n")
        msg.add_attachment(message_from_bytes(inner, policy=policy.default))
        inner = bytes(msg)
    return inner


def test_a_forwarded_email_is_opened_and_its_attachment_linked_to_it(tmp_path, corpus_copy):
    """An email forwarded as an attachment becomes a source, and its own attachment another,
    linked to the forwarded message (not lost inside it); the build reads all three back."""
    attachment = b"Minutes: the motion was carried by 19 votes to 6.\n"
    data = forwarded(email_with_attachment(attachment=attachment, attachment_name="minutes.txt"))
    result = add(received(tmp_path, "fwd.eml", data), "--corpus", corpus_copy)
    assert result.exit_code == 0, result.output
    outer, inner, leaf = (sidecar(corpus_copy, i) for i in ("fwd", "fwd-attachment-1", "fwd-attachment-1-minutes"))
    assert outer["email"]["attachments"] == ["fwd-attachment-1"]
    assert inner["received"]["attached_to"] == "fwd" and inner["email"]["attachments"] == ["fwd-attachment-1-minutes"]
    assert inner["email"]["subject"] == "Minutes of the meeting" and inner["received"]["format"] == "message/rfc822"
    assert leaf["received"]["attached_to"] == "fwd-attachment-1"
    assert (corpus_copy / "sources" / "fwd-attachment-1-minutes.txt").read_bytes() == attachment
    archive = corpus.load(corpus_copy)
    sources = {s.id: s for s in archive.sources}
    assert "Dear Bob," in sources["fwd-attachment-1"].read_text() or "Dear Bob," in \
        email_reader.parse(sources["fwd-attachment-1"].read_bytes()).get_body(("plain",)).get_content()


def test_emails_forwarded_within_each_other_are_opened_only_so_deep(tmp_path, corpus_copy):
    """A hostile or absurd nesting (20 forwards deep) is not followed for ever: past NESTED
    levels the innermost messages stay whole inside the last one opened."""
    from builder.receiving import NESTED
    data = forwarded(email_with_attachment(attachment=b"x\n"), times=20)
    result = add(received(tmp_path, "deep.eml", data), "--corpus", corpus_copy)
    assert result.exit_code == 0, result.output
    made = list((corpus_copy / "sources").glob("deep*.eml"))
    assert len(made) == NESTED + 2  # the one received, NESTED opened within it, and the last kept whole
    unopened = [m for m in made if "attachments" not in
                tomllib.loads(m.with_suffix(".toml").read_text(encoding="utf-8")).get("email", {})]
    assert len(unopened) == 1 and unopened[0].read_bytes().count(b"Forwarded (") > 1
    assert all(len(m.stem) <= corpus.ID_MAX for m in made)


@pytest.mark.parametrize("side", ["email", "attachment"])
def test_a_link_one_way_only_is_an_input_error(tmp_path, corpus_copy, side):
    data = email_with_attachment(attachment=b"Minutes.\n")
    assert add(received(tmp_path, "mail.eml", data), "--corpus", corpus_copy).exit_code == 0
    sid = "mail" if side == "email" else "mail-minutes"
    path = corpus_copy / "sources" / f"{sid}.toml"
    text = path.read_text(encoding="utf-8")
    cut = 'attachments = ["mail-minutes"]\n' if side == "email" else 'attached_to = "mail"\n'
    assert cut in text
    path.write_text(text.replace(cut, ""), encoding="utf-8")
    with pytest.raises(CorpusError) as e:
        corpus.load(corpus_copy)
    assert [p.code for p in e.value.problems] == ["C194"]


def test_an_mbox_becomes_one_source_per_message(tmp_path, corpus_copy):
    one = email_with_attachment(body="First message.\n>From the minutes: nothing.\n", subject="One")
    two = email_with_attachment(body="Second message.\n", subject="Two")
    box = (b"From ann@example.org Tue Mar  5 10:00:00 2019\n" + one + b"\n"
           + b"From ann@example.org Wed Mar  6 10:00:00 2019\n" + two + b"\n")
    assert email_reader.split_mbox(box) == [one, two]
    result = add(received(tmp_path, "Box.mbox", box), "--corpus", corpus_copy)
    assert result.exit_code == 0, result.output
    for n, message, subject in ((1, one, "One"), (2, two, "Two")):
        assert (corpus_copy / "sources" / f"box-{n}.eml").read_bytes() == message
        meta = sidecar(corpus_copy, f"box-{n}")
        assert meta["title"] == subject and meta["received"]["file_name"] == "Box.mbox"
        assert f"Message {n} of 2 in the mailbox Box.mbox (SHA-256 {hashlib.sha256(box).hexdigest()})" \
            in meta["received"]["how"]
    assert len(corpus.load(corpus_copy).sources) == 7


def test_an_email_body_prefers_text_plain():
    data = email_with_attachment(body="The plain text.\n", html="<p>The <b>HTML</b>.</p>\n")
    body = email_reader.body(email_reader.parse(data))
    assert (body.text, body.html) == ("The plain text.\n", False)
    only_html = email_reader.parse(data)
    only_html.get_body(("plain",)).set_content("x", subtype="html")
    assert email_reader.body(only_html).html

"""The email reader: a header block and the body, text/plain preferred, HTML sanitised like an
HTML source, charsets decoded; its document agrees with its reading text."""

from __future__ import annotations

from email.message import EmailMessage

from receiving import email_with_attachment

from builder import document as d
from builder.readers import email as email_reader


def fields_of(doc: d.Document) -> dict[str, str]:
    header = doc.blocks[0]
    assert isinstance(header, d.Fields)
    return {f.name: "".join(r.text for r in d.runs(f.inlines)) for f in header.fields}


def test_header_block_and_plain_body():
    doc = d.check(email_reader.read(email_with_attachment(body="Dear Bob,\n\nIt is done.\nAnn\n",
                                                          attachment=b"minutes\n")))
    assert fields_of(doc) == {"From": "Ann Archer <ann@example.org>", "To": "Bob Baker <bob@example.org>",
                              "Cc": "Zöe Clerk <zoe@example.org>", "Date": "Tue, 05 Mar 2019 10:00:00 +0000",
                              "Subject": "Minutes of the meeting", "Message-ID": "<minutes-2019-03-05@example.org>"}
    assert doc.text.endswith("\n\nDear Bob,\n\nIt is done.\nAnn\n")
    assert "minutes\n" not in doc.text  # an attachment is a source of its own, not the body
    body = doc.blocks[1:]
    assert [type(b) for b in body] == [d.Paragraph, d.Paragraph]
    assert [r.text for r in d.runs(body) if isinstance(r, d.Text)] == ["Dear Bob,", "It is done.", "Ann"]


def test_text_plain_preferred_over_html():
    doc = d.check(email_reader.read(email_with_attachment(body="The plain text.\n",
                                                          html="<p>The <b>HTML</b> text.</p>")))
    assert "The plain text." in doc.text and "HTML" not in doc.text


def test_an_html_only_body_is_sanitised():
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "ann@example.org", "Only HTML"
    msg.set_content('<p onclick="steal()">Hello <b>there</b><script>steal()</script></p>'
                    '<img src="https://tracker.example/p.gif"><p>Bye</p>', subtype="html")
    doc = d.check(email_reader.read(bytes(msg)))
    assert "steal" not in doc.text and "tracker" not in doc.text
    assert "Hello there" in doc.text and "Bye" in doc.text
    assert any("script" in loss.what for loss in doc.losses)
    assert any(isinstance(n, d.Strong) for b in doc.blocks if isinstance(b, d.Paragraph) for n in b.inlines)


def test_charsets_and_transfer_encodings_are_decoded():
    raw = ("From: =?iso-8859-1?q?Andr=E9?= <andre@example.org>\r\nSubject: =?utf-8?b?w4ljb2xl?=\r\n"
           "Date: Tue, 05 Mar 2019 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           "Ch=E8re Madame,\r\nle caf=E9 est ferm=E9.\r\n").encode("ascii")
    doc = d.check(email_reader.read(raw))
    assert fields_of(doc)["From"] == "André <andre@example.org>" and fields_of(doc)["Subject"] == "École"
    assert "Chère Madame," in doc.text and "le café est fermé." in doc.text


def test_a_wrong_charset_never_fails():
    raw = (b"From: a@example.org\nSubject: x\nContent-Type: text/plain; charset=x-no-such\n\nCaf\xe9\n")
    doc = d.check(email_reader.read(raw))
    assert "Café" in doc.text

"""Received material the receiving tests make: the tests' own sentences encoded with each codec
(long enough for detection to be fair), and emails made with the standard library."""

from __future__ import annotations

from email.message import EmailMessage

SENTENCES = {
    "windows-1252": "Dear Sir, I write about the meeting of 3 March — it was “unfortunate” that the café’s "
                    "owner, Mr. Müller, could not attend. We shall meet again on Tuesday; the agenda follows. "
                    "Yours faithfully, J. Smith.",
    "iso-8859-1": "Chère Madame, je vous écris au sujet de la réunion du 3 mars. Le propriétaire du café, "
                  "M. Müller, n'a pas pu venir. Nous reprendrons mardi; l'ordre du jour suit. Veuillez agréer, "
                  "Madame, mes salutations distinguées.",
    "big5": "親愛的先生：我寫信是關於三月三日的會議。咖啡館的老闆未能出席，這是很遺憾的。我們將在星期二再次開會，議程如下。此致敬禮，史密斯。",
    "shift_jis": "拝啓　三月三日の会議についてお手紙を差し上げます。喫茶店の店主が出席できなかったのは残念でした。火曜日に再び会議を開きます。議題は以下の通りです。敬具",
    "euc-kr": "친애하는 선생님, 삼월 삼일 회의에 관하여 편지를 드립니다. 카페 주인이 참석하지 못한 것은 유감이었습니다. "
              "화요일에 다시 회의를 열 예정입니다. 안건은 다음과 같습니다.",
    "gb2312": "亲爱的先生：我写信是关于三月三日的会议。咖啡馆的老板未能出席，这是很遗憾的。我们将在星期二再次开会，议程如下。此致敬礼，史密斯。",
}
# (codec the bytes are made with, the encoding recorded, text, line end)
UNICODE = {
    "utf-8": ("utf-8", "utf-8", SENTENCES["iso-8859-1"], "\n"),
    "utf-8-bom": ("utf-8-sig", "utf-8", SENTENCES["windows-1252"], "\r\n"),
    "utf-16-le-bom": ("utf-16", "utf-16", SENTENCES["big5"], "\r\n"),
    "utf-16-be-bom": ("utf-16-be", "utf-16", SENTENCES["euc-kr"], "\n"),
    "utf-32-bom": ("utf-32", "utf-32", SENTENCES["shift_jis"], "\r"),
}


def letter(sentence: str, line_end: str = "\n", paragraphs: int = 3) -> str:
    """A text of a few paragraphs made of the sentence, with the given line ends."""
    title = sentence.split(",")[0].split("：")[0].split("　")[0]
    body = [f"{title}{line_end}{line_end}"]
    for n in range(1, paragraphs + 1):
        body.append(f"{n}. {sentence}{line_end}{sentence}{line_end}{line_end}")
    return "".join(body)


def encoded(codec: str, text: str) -> bytes:
    if codec == "utf-16-be":
        return b"\xfe\xff" + text.encode("utf-16-be")
    return text.encode(codec)


def email_with_attachment(body: str = "Dear Bob,\n\nThe minutes of the meeting are attached. Ann\n",
                          attachment: bytes = b"", attachment_name: str = "minutes.txt",
                          html: str | None = None, subject: str = "Minutes of the meeting") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ann Archer <ann@example.org>"
    msg["To"] = "Bob Baker <bob@example.org>"
    msg["Cc"] = "=?utf-8?q?Z=C3=B6e_Clerk?= <zoe@example.org>"
    msg["Date"] = "Tue, 05 Mar 2019 10:00:00 +0000"
    msg["Subject"] = subject
    msg["Message-ID"] = "<minutes-2019-03-05@example.org>"
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if attachment:
        maintype, subtype = ("text", "plain") if attachment_name.endswith(".txt") else ("application", "octet-stream")
        msg.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=attachment_name)
    return bytes(msg)


# -- a corpus of received kinds, added with `archive add`, each source with a passage note ---------

CLOSINGS = {"windows-1252": "P.S. The “café” minutes follow — J.S.", "utf-16": "Nachsatz: die Kopie für Zoë.",
            "big5": "附件：會議紀錄。"}
ARCHIVE_TOML = '''title = "Received Kinds"
subtitle = "A test archive of texts in many encodings and an email"
identifier = "urn:uuid:00000000-2222-4333-8444-555566667777"
language = "en-GB"
date = 2024-06-01
publisher = "Test Press"
rights = "CC BY 4.0"
description = "Sources as an archive receives them."
sources = []
[[editors]]
name = "Ada Editor"
'''


def received_files(folder) -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, the text a reader must see) of each file the kinds corpus receives."""
    texts = {
        "Brief 1998.txt": ("windows-1252", letter(SENTENCES["windows-1252"], "\r\n") + CLOSINGS["windows-1252"]
                           + "\r\n"),
        "export.txt": ("utf-16", letter(SENTENCES["iso-8859-1"], "\r\n") + CLOSINGS["utf-16"] + "\r\n"),
        "big5-letter.txt": ("big5", letter(SENTENCES["big5"]) + CLOSINGS["big5"] + "\n"),
    }
    files = {name: (encoded(codec, text), text) for name, (codec, text) in texts.items()}
    minutes = MINUTES.encode("utf-8")
    files["Minutes.eml"] = (email_with_attachment(body=EMAIL_BODY, attachment=minutes,
                                                  attachment_name="minutes.txt"), EMAIL_TEXT)
    files["minutes.txt"] = (minutes, MINUTES)  # received attached to the email
    folder.mkdir(parents=True, exist_ok=True)
    for name, (data, _) in files.items():
        if name != "minutes.txt":
            (folder / name).write_bytes(data)
    return files


EMAIL_BODY = "Dear Bob,\n\nThe minutes of the meeting of 3 March are attached.\nPlease check the list of those present.\n\nAnn\n"
EMAIL_TEXT = ("Ann Archer <ann@example.org>\nBob Baker <bob@example.org>\nZöe Clerk <zoe@example.org>\n"
              "Tue, 05 Mar 2019 10:00:00 +0000\nMinutes of the meeting\n<minutes-2019-03-05@example.org>\n\n"
              + EMAIL_BODY)  # the reading text of the email: its header values, then its body
MINUTES = "Minutes of the meeting of 3 March 2019\n\nPresent: Ann Archer, Bob Baker, Zöe Clerk.\n"
NOTES = {  # source id -> the passage its note is on
    "brief-1998": CLOSINGS["windows-1252"], "export": CLOSINGS["utf-16"], "big5-letter": CLOSINGS["big5"],
    "minutes": "Please check the list of those present.", "minutes-minutes": "Present: Ann Archer",
}


def kinds_corpus(root, received) -> dict[str, tuple[bytes, str]]:
    """A corpus made with `archive add` from the received files, each source with a passage note."""
    from builder import sources_io

    root.mkdir(parents=True)
    (root / "archive.toml").write_text(ARCHIVE_TOML, encoding="utf-8")
    (root / "introduction.md").write_text("## Scope\n\nTexts received in many encodings.\n", encoding="utf-8")
    files = received_files(received)
    sources_io.add(root, sorted(received / name for name in files if name != "minutes.txt"))
    for sid, exact in NOTES.items():
        (root / "sources" / f"{sid}.notes.toml").write_text(
            f'[[notes]]\nid = "closing"\nkind = "gloss"\nexact = "{exact.replace(chr(34), chr(92) + chr(34))}"\n'
            f'body = "The closing line of {sid}."\n', encoding="utf-8")
    return files

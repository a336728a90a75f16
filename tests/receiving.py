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

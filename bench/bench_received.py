"""Build time per kind of received source: N sources of each kind, added with `archive add`
(detection included) and built into both editions, against N UTF-8 plain-text sources in the
same run. Ratios, never timed assertions.

    .venv/bin/python bench/bench_received.py [N]      # default 100
"""

from __future__ import annotations

import random
import sys
import tempfile
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from measure import run  # noqa: E402
from synthetic import text_of, write_archive  # noqa: E402

ARCHIVE = Path(sys.executable).parent / "archive"
HANZI = "的一是在不了有和人這中大為上個國我以要他時來用們生到作地於出就分對成會可主發年動同工也能下過子說產種面而方後多定行學法所民得經十三之進著等部度家電力裡如水化高自二理起小物現實加量都兩體制機當使點從業本去把性好應開它合還因由其些然前外天政四日那社義事平形相全表間樣與關各重新線內數正心反你明看原又麼利比或但質氣第向道命此變條只沒結解問意建月公無系軍很情者最立代想已通並提直題黨程展五果料象員革位入常文總次品式活設及管特件長求老頭基資邊流路級少圖山統接知較將組見計別她手角期根論運農指幾九區強放決西被幹做必戰先回則任取據處府研質"


def hanzi(rng: random.Random, chars: int = 2000) -> str:
    paragraphs, left = [], chars
    while left > 0:
        n = min(left, rng.randint(60, 180))
        paragraphs.append("".join(rng.choice(HANZI) for _ in range(n)) + "。")
        left -= n
    return "\n\n".join(paragraphs) + "\n"


def email(rng: random.Random, i: int) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = f"Sender {i} <s{i}@example.org>", "archive@example.org"
    msg["Date"], msg["Subject"] = "Tue, 05 Mar 2019 10:00:00 +0000", f"Message {i}"
    msg["Message-ID"] = f"<m{i}@example.org>"
    msg.set_content(text_of(rng))
    return bytes(msg)


KINDS = {  # name -> (file suffix, bytes of source i)
    "UTF-8 text (baseline)": (".txt", lambda rng, i: text_of(rng).encode("utf-8")),
    "Windows-1252 text": (".txt", lambda rng, i: text_of(rng).replace(" the ", " “the” ").encode("cp1252")),
    "UTF-16 text": (".txt", lambda rng, i: text_of(rng).encode("utf-16")),
    "Big5 text": (".txt", lambda rng, i: hanzi(rng).encode("big5")),
    "email (.eml)": (".eml", email),
}


def corpus(folder: Path, n: int, make) -> tuple[Path, list[Path]]:
    suffix, data = make
    rng = random.Random(1)
    received = folder / "received"
    received.mkdir(parents=True)
    files = []
    for i in range(n):
        path = received / f"s{i:05d}{suffix}"
        path.write_bytes(data(rng, i))
        files.append(path)
    root = folder / "corpus"
    root.mkdir()
    write_archive(root, "Kinds benchmark", f"8000-{n:012d}", "Benchmark corpus.", [])
    return root, files


def best(measure, times: int = 2) -> float:
    """The fastest of a few runs: the machine is shared, the slower runs measure the neighbours."""
    return min(measure()[0] for _ in range(times))


def main(n: int) -> None:
    print(f"\n## Build time per kind: {n} sources each\n")
    print("| kind | `archive add` (s) | EPUB (s) | PDF (s) | both (s) | both, ratio to UTF-8 |")
    print("|---|---:|---:|---:|---:|---:|")
    base = None
    for name, make in KINDS.items():
        with tempfile.TemporaryDirectory() as tmp:
            root, files = corpus(Path(tmp), n, make)
            add_s, _ = run([str(ARCHIVE), "add", "--corpus", str(root), *map(str, files)])
            epub_s = best(lambda: run([str(ARCHIVE), "build", str(root), "--out", f"{tmp}/e", "--format", "epub"]))
            pdf_s = best(lambda: run([str(ARCHIVE), "build", str(root), "--out", f"{tmp}/p", "--format", "pdf"]))
            both_s = best(lambda: run([str(ARCHIVE), "build", str(root), "--out", f"{tmp}/b"]))
        base = base or both_s
        print(f"| {name} | {add_s:.2f} | {epub_s:.2f} | {pdf_s:.2f} | {both_s:.2f} | {both_s / base:.2f} |",
              flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)

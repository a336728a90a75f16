"""Small test corpora written on the fly: notes, Arabic, text that looks like markup,
Markdown and HTML sources. Shared by the EPUB and PDF tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

LETTER = ('SOUTHALL CLP Rabour Party\n12 High Street\n\nDear Sir,\n\n'
          'I write about the   meeting of 3 March 2019, at which #set page(paper: "a4") and $x^2$ and '
          '[link](x) <lbl> @ref * _ \\ were said. The word internationalisation stays whole.\n'
          'A second line of the paragraph.\n\n  Indented line with\ttab and no\u00a0break\u00a0spaces.\n\n'
          'Yours faithfully,\nJ. Smith\n')
ARABIC = "Statement in Arabic and English\n\nالعربية لغة جميلة\n\nEnd of statement.\n"
PLAIN = "\n\n".join(" ".join(f"word{i}x{j}" for j in range(60)) for i in range(8)) + "\n"


def write_corpus(root: Path, page_size: str = "a5") -> Path:
    src = root / "sources"
    src.mkdir(parents=True)
    (root / "archive.toml").write_text(f'''title = "A Test Archive"
subtitle = "Made for the PDF tests"
identifier = "urn:uuid:00000000-1111-4222-8333-444455556666"
language = "en-GB"
date = 2024-05-01
publisher = "Test Press"
rights = "CC BY 4.0"
description = "Sources for the PDF tests."
sources = ["letter", "arabic", "long", "mdsource", "htmlsource"]
[[editors]]
name = "Ada Editor"
[pdf]
page_size = "{page_size}"
''', encoding="utf-8")
    (root / "introduction.md").write_text(
        "## Scope\n\nSee [the letter](#letter); *#set* and $x$ print as text.\n\n- one\n- two\n\n"
        "| A | B |\n|---|---|\n| 1 | 2 |\n", encoding="utf-8")
    (src / "letter.txt").write_text(LETTER, encoding="utf-8", newline="")
    (src / "arabic.txt").write_text(ARABIC, encoding="utf-8")
    (src / "long.txt").write_text(PLAIN, encoding="utf-8")
    (src / "mdsource.md").write_text("# A heading\n\nSome *text*.\n", encoding="utf-8")
    (src / "htmlsource.html").write_text("<p>Para <script>x()</script><em>em</em></p>\n", encoding="utf-8")
    sha = hashlib.sha256(LETTER.encode()).hexdigest()
    (src / "letter.toml").write_text(f'''title = "Letter to the Editor"
kind = "letter"
summary = "A letter."
rights = "The author."
[[authors]]
name = "J. Smith"
[date]
value = "2019-03-05"
certainty = "stated"
[origin]
description = "By post."
[received]
file_name = "scan.txt"
format = "text/plain"
sha256 = "{sha}"
how = "By email."
[condition]
summary = "OCR text."
''', encoding="utf-8")
    (src / "letter.notes.toml").write_text('''[[notes]]
kind = "sic"
exact = "Rabour"
body = "Probably *Labour*. Compare [the statement](#arabic)."

[[notes]]
kind = "condition"
body = "Only an OCR text survives."

[[notes]]
kind = "gloss"
exact = "meeting of 3 March 2019"
body = "A `#strong[x]` here prints as text."
''', encoding="utf-8")
    return root

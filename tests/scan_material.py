"""Test material for PDF and scan sources, made from known text (never read from ../shared):

- `make_pdf(pages, path)`: a born-digital PDF with a text layer, one page per text, made by Typst
  (the texts passed as data, never as markup);
- `render_scan(text, noise=..., skew=...)`: a page image rendered with Pillow's own font, with
  seeded speckle noise, a slight blur and a slight skew, as a scanner might give it;
- `save_scan(images, path)`: PNG, JPEG, TIFF (several pages) or a PDF of images (no text layer);
- `typeset_scan(text, lang)`: a clean page image typeset by Typst (its own fonts: Latin with
  accents, Greek, Hebrew), for OCR in languages other than English.

The bench (bench/ocr_accuracy.py) uses the same functions to measure OCR accuracy.
"""

from __future__ import annotations

import json
import random
import tempfile
import textwrap
from pathlib import Path

# The tests' own sentences (plain ASCII prose, as a typed letter would have).
LETTER_PAGES = (
    "Dear Secretary,\n\n"
    "I write on behalf of the branch committee about the meeting held on the fourth of March. "
    "The minutes record that the motion was carried by nineteen votes to six, with two abstentions. "
    "Several members have since asked whether the vote was properly counted, because the hall was "
    "crowded and the tellers changed halfway through the evening.",
    "We therefore ask the regional office to examine the record and to tell us, in writing, "
    "whether a second ballot is needed. Until we hear from you, the committee will take no further "
    "action on the motion, and the branch newsletter will say only that the question is under review.\n\n"
    "Yours sincerely,\n"
    "Margaret Ellison, Branch Secretary",
)

SCAN_TEXT = (
    "Minutes of the General Meeting\n\n"
    "The chair opened the meeting at half past seven and welcomed the new members. Apologies were "
    "received from the treasurer, who was abroad, and from two members of the youth section. The "
    "minutes of the previous meeting were read, corrected in one place, and approved. The secretary "
    "reported that the hall would be repainted in the spring and that the lease had been renewed "
    "for three more years at the same rent."
)


def make_pdf(pages: tuple[str, ...] | list[str], path: Path) -> Path:
    """A PDF of A5 pages, one per text, with a text layer (Typst, its own fonts only)."""
    import typst

    with tempfile.TemporaryDirectory(prefix="material-pdf-") as tmp:
        folder = Path(tmp)
        (folder / "pages.json").write_text(json.dumps(list(pages)), encoding="utf-8")
        (folder / "main.typ").write_text(
            '#set page(paper: "a5", margin: 2cm)\n'
            '#set text(size: 11pt, lang: "en")\n'
            '#set document(date: datetime(year: 2021, month: 3, day: 4))\n'
            '#let pages = json("pages.json")\n'
            '#for (i, page) in pages.enumerate() {\n'
            '  if i > 0 { pagebreak() }\n'
            '  for para in page.split("\\n\\n") { par(para.split("\\n").join(linebreak())) }\n'
            '}\n', encoding="utf-8")
        data = typst.compile(str(folder / "main.typ"), root=str(folder), ignore_system_fonts=True)
    path.write_bytes(data)
    return path


def render_scan(text: str, noise: float = 0.02, skew: float = 0.8, blur: float = 0.6, seed: int = 1,
                width: int = 1650, font_size: int = 34):
    """A page image (mode L) of text, dark on light, with `noise` (fraction of pixels speckled),
    `skew` (degrees) and `blur` (Gaussian radius); the same arguments give the same image."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    font = ImageFont.load_default(size=font_size)
    margin = int(width * 0.09)
    chars = max(20, int((width - 2 * margin) / (font_size * 0.52)))
    lines: list[str] = []
    for para in text.split("\n"):
        lines += textwrap.wrap(para, chars) or [""]
    line_height = int(font_size * 1.45)
    height = max(int(width * 1.41), 2 * margin + line_height * len(lines))
    page = Image.new("L", (width, height), 248)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * line_height), line, fill=25, font=font)
    rng = random.Random(seed)
    if noise:
        pixels = page.load()
        for _ in range(int(width * height * noise)):
            x, y = rng.randrange(width), rng.randrange(height)
            pixels[x, y] = rng.choice((0, 60, 120, 255))
    if blur:
        page = page.filter(ImageFilter.GaussianBlur(blur))
    if skew:
        page = page.rotate(skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=248)
    return page


def save_scan(images: list, path: Path, quality: int = 80) -> Path:
    """Save page images as the suffix says: .png, .jpg, .tif (every page), or .pdf (images only)."""
    suffix = path.suffix.lower()
    first, rest = images[0], list(images[1:])
    if suffix == ".png":
        first.save(path, format="PNG")
    elif suffix in (".jpg", ".jpeg"):
        first.save(path, format="JPEG", quality=quality)
    elif suffix in (".tif", ".tiff"):
        first.save(path, format="TIFF", compression="tiff_lzw", save_all=True, append_images=rest, dpi=(300, 300))
    elif suffix == ".pdf":
        first.convert("RGB").save(path, format="PDF", resolution=300.0, save_all=True,
                                  append_images=[i.convert("RGB") for i in rest])
    else:
        raise ValueError(f"no scan format for {suffix}")
    return path


# ---------------------------------------------------------------- corpora holding PDFs and scans

def add_sources(corpus: Path, files: list[Path], *args: str) -> object:
    """`archive add` FILES to corpus (the real path: detection from the content, OCR for scans)."""
    from click.testing import CliRunner

    from builder.cli import main

    result = CliRunner().invoke(main, ["add", *map(str, files), "--corpus", str(corpus), *args])
    assert result.exit_code == 0, result.output
    return result


def unique_word(text: str, at_least: int = 7) -> str:
    """A word of the reading text that occurs in it once (a quote a note can anchor to)."""
    import re

    words = re.findall(r"[A-Za-z]{%d,}" % at_least, text)
    for word in words:
        if len(re.findall(re.escape(word), text)) == 1:
            return word
    raise AssertionError(f"no unique word of {at_least}+ letters in {text[:200]!r}")


def write_notes(corpus: Path, sid: str, exact: str, body: str) -> None:
    (corpus / "sources" / f"{sid}.notes.toml").write_text(
        f'[[notes]]\nid = "{sid}-note"\nkind = "gloss"\nexact = "{exact}"\nbody = "{body}"\n', encoding="utf-8")


def typeset_scan(text: str, lang: str, ppi: int = 300) -> bytes:
    """A PNG of text typeset on an A5 page by Typst in language lang (the text passed as data)."""
    import typst

    with tempfile.TemporaryDirectory(prefix="material-scan-") as tmp:
        folder = Path(tmp)
        (folder / "text.json").write_text(json.dumps(text), encoding="utf-8")
        (folder / "main.typ").write_text(
            '#set page(paper: "a5", margin: 1.5cm)\n'
            f'#set text(size: 12pt, lang: {json.dumps(lang)})\n'
            '#let t = json("text.json")\n'
            '#for para in t.split("\\n\\n") { par(para) }\n', encoding="utf-8")
        png = typst.compile(str(folder / "main.typ"), root=str(folder), format="png", ppi=ppi,
                            ignore_system_fonts=True)
    return png[0] if isinstance(png, list) else png

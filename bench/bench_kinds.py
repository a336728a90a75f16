"""Build time per kind of source: N sources of one kind in a corpus, both editions, against the
same N sources as plain text (the baseline, in the same run). Not a test; never asserted.

    .venv/bin/python bench/bench_kinds.py [N]      # default 20

Kinds: plain text (.txt, the baseline); a born-digital PDF of two pages (text layer; no
facsimile); the same PDF with both pages shown as facsimiles; a one-page PNG scan and a
two-page TIFF scan (facsimile + stored transcription); a scanned PDF (no text layer). Every
source of a kind carries the same known text (tests/scan_material.py), so the kinds differ only
in how they are read and shown; a few bytes after the end of each file make the sources distinct. OCR is not part of a build: its time is measured once a page,
as `archive add` spends it. Prints a Markdown table (docs/scans.md).
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import scan_material as material  # noqa: E402

from builder import transcription  # noqa: E402
from builder.build import build  # noqa: E402

ARCHIVE = '''title = "Bench"
identifier = "urn:uuid:00000000-0000-4000-8000-000000000000"
language = "en-GB"
date = 2024-01-01
publisher = "Bench"
rights = "none"
description = "Bench."
[[editors]]
name = "B"
'''


def corpus(folder: Path, n: int, original: Path, stored: str | None, facsimile: str = "") -> Path:
    (folder / "sources").mkdir(parents=True)
    (folder / "archive.toml").write_text(ARCHIVE, encoding="utf-8")
    (folder / "introduction.md").write_text("## Bench\n\nSources of one kind.\n", encoding="utf-8")
    for i in range(n):
        sid = f"s{i:04d}"
        # bytes after the end of the file make every source distinct (no cache shared between them)
        data = original.read_bytes() + (f"\n{i}\n".encode() if original.suffix != ".txt" else b"")
        (folder / "sources" / f"{sid}{original.suffix}").write_bytes(data)
        table = ""
        if stored is not None:
            (folder / "sources" / f"{sid}{transcription.SUFFIX}").write_text(stored, encoding="utf-8")
            table = ('[transcription]\nengine = "tesseract"\nengine_version = "5.3.0"\nlanguage = "eng"\n'
                     'date = "2026-12-06"\nmean_confidence = 90.0\nrevised = false\n')
        (folder / "sources" / f"{sid}.toml").write_text(
            f'title = "Source {i}"\nkind = "letter"\nsummary = "x"\nrights = "x"\n[date]\ncertainty = "unknown"\n'
            f'[origin]\ndescription = "x"\n[received]\nfile_name = "{original.name}"\nsha256 = '
            f'"{hashlib.sha256(data).hexdigest()}"\nhow = "x"\n[condition]\nsummary = "x"\n{facsimile}{table}',
            encoding="utf-8")
    return folder


def timed_build(folder: Path) -> float:
    start = time.perf_counter()
    build(folder, folder.parent / (folder.name + "-out"))
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 20
    pages = material.LETTER_PAGES
    with tempfile.TemporaryDirectory(prefix="bench-kinds-") as tmp:
        t = Path(tmp)
        txt = t / "letter.txt"
        txt.write_text("\n\n".join(pages) + "\n", encoding="utf-8")
        pdf = material.make_pdf(pages, t / "letter.pdf")
        png = material.save_scan([material.render_scan(pages[0])], t / "scan.png")
        tif = material.save_scan([material.render_scan(p) for p in pages], t / "scan.tif")
        scanned = material.save_scan([material.render_scan(p) for p in pages], t / "scanned.pdf")
        ocr = {}
        for name, path, media in (("png", png, "image/png"), ("tif", tif, "image/tiff"),
                                  ("scanned", scanned, "application/pdf")):
            start = time.perf_counter()
            ocr[name] = transcription.transcribe(path.read_bytes(), media)
            ocr[name + "_s"] = (time.perf_counter() - start) / len(ocr[name].pages)
        cases = (("plain text (.txt), baseline", txt, None, "", None),
                 ("PDF with a text layer, 2 pages", pdf, None, "", None),
                 ("PDF with a text layer, 2 pages, both as facsimiles", pdf, None, '[facsimile]\npages = "all"\n', None),
                 ("PNG scan, 1 page (facsimile + transcription)", png, ocr["png"].file_text, "", ocr["png_s"]),
                 ("TIFF scan, 2 pages", tif, ocr["tif"].file_text, "", ocr["tif_s"]),
                 ("scanned PDF, 2 pages (no text layer)", scanned, ocr["scanned"].file_text, "", ocr["scanned_s"]))
        print(f"{n} sources of one kind per corpus; both editions (EPUB and PDF), read back and verified\n")
        print("| kind | build (s) | ratio to plain text | per source (s) | OCR on `archive add` (s a page) |")
        print("|---|---:|---:|---:|---:|")
        baseline = None
        for k, (name, original, stored, facsimile, ocr_s) in enumerate(cases):
            seconds = timed_build(corpus(t / f"c{k}", n, original, stored, facsimile))
            baseline = baseline or seconds
            ocr_text = f"{ocr_s:.1f}" if ocr_s is not None else "–"
            print(f"| {name} | {seconds:.1f} | {seconds / baseline:.1f} | {seconds / n:.2f} | {ocr_text} |", flush=True)
            shutil.rmtree(t / f"c{k}-out", ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])

"""OCR quality: character accuracy of the machine transcription against the known text.

    .venv/bin/python bench/ocr_accuracy.py [SEEDS]    # default 3 seeds per case

Scans are rendered from known text with the tests' own generator (tests/scan_material.py:
Pillow's font, seeded speckle noise, blur, slight skew), saved in each format a corpus may
receive, and transcribed by builder.transcription exactly as `archive transcribe` does.
Character accuracy = 1 - edit distance / reference length, white space runs made one space.
Prints a Markdown table (paste into docs/scans.md). Measured, never asserted.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import scan_material as material  # noqa: E402

from builder import transcription  # noqa: E402
from builder.transcribe import media_type_of  # noqa: E402

CASES = (  # name, file suffix, render arguments
    ("clean PNG (no noise, no skew)", ".png", dict(noise=0, skew=0, blur=0)),
    ("noisy PNG (2% speckles, 0.8° skew)", ".png", dict()),
    ("heavy noise PNG (4% speckles, 1.5° skew)", ".png", dict(noise=0.04, skew=1.5)),
    ("heavy noise PNG, blurred (8% speckles, blur 1.0, 1.5° skew)", ".png", dict(noise=0.08, blur=1.0, skew=1.5)),
    ("JPEG, quality 80 (noisy)", ".jpg", dict()),
    ("TIFF, LZW (noisy)", ".tif", dict()),
    ("scanned PDF, no text layer (noisy)", ".pdf", dict()),
)


def measure(seeds: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
        for name, suffix, args in CASES:
            accuracies, confidences, seconds = [], [], []
            for seed in range(1, seeds + 1):
                image = material.render_scan(material.SCAN_TEXT, seed=seed, **args)
                path = material.save_scan([image], Path(tmp) / f"scan-{seed}{suffix}")
                start = time.perf_counter()
                result = transcription.transcribe(path.read_bytes(), media_type_of(path))
                seconds.append(time.perf_counter() - start)
                accuracies.append(transcription.character_accuracy(material.SCAN_TEXT, result.file_text))
                confidences.append(result.mean_confidence)
            rows.append(dict(case=name, accuracy=statistics.mean(accuracies), worst=min(accuracies),
                             confidence=statistics.mean(confidences), seconds=statistics.mean(seconds)))
    return rows


def main(argv: list[str]) -> None:
    seeds = int(argv[0]) if argv else 3
    print(f"Tesseract {transcription.engine_version()}, language eng; {seeds} seed(s) per case; "
          f"{len(material.SCAN_TEXT)} characters of known text per page\n")
    print("| scan | character accuracy (mean) | worst | mean word confidence | OCR seconds a page |")
    print("|---|---:|---:|---:|---:|")
    for r in measure(seeds):
        print(f"| {r['case']} | {r['accuracy']:.1%} | {r['worst']:.1%} | {r['confidence']:.1f} | {r['seconds']:.1f} |",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

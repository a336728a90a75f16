"""A bulk-imported corpus: N plain .txt sources (~700 words each, as bench/synthetic.py), with no
sidecars (no provenance recorded) and no notes; the same for every run."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import synthetic


def make(folder: Path, n: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    sources = folder / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    ids = [f"s{i:05d}" for i in range(n)]
    for sid in ids:
        (sources / f"{sid}.txt").write_bytes(synthetic.text_of(rng).encode("utf-8"))
    (folder / "introduction.md").write_text("## About\n\nA bulk-imported corpus for benchmarks.\n")
    (folder / "archive.toml").write_text(f'''title = "Bulk archive of {n} sources"
identifier = "urn:uuid:00000000-0000-4000-8001-{n:012d}"
language = "en"
date = 2026-01-01
publisher = "bench"
rights = "Public domain."
description = "Benchmark corpus: plain text imported in bulk, without provenance."
sources = {ids!r}
[[editors]]
name = "bench"
''')
    return folder


if __name__ == "__main__":  # python bench/bulk.py FOLDER N
    make(Path(sys.argv[1]), int(sys.argv[2]))

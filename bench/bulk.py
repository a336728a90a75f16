"""A bulk-imported corpus: N plain .txt sources (~700 words each, as bench/synthetic.py), with no
sidecars (no provenance recorded) and no notes; the same for every run."""

from __future__ import annotations

import sys
from pathlib import Path

import synthetic


def make(folder: Path, n: int, seed: int = 1) -> Path:
    return synthetic.make_bulk(folder, n, seed)


if __name__ == "__main__":  # python bench/bulk.py FOLDER N
    make(Path(sys.argv[1]), int(sys.argv[2]))

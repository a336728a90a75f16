"""Reading the corpus: loads with builder.files' checked reads against the same loads with plain
reads (docs/security.md, "Reading"), in one process, on one synthetic corpus."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import synthetic

from builder import corpus, files


def _plain_open(path, root=None, limit=None, limit_key="source_bytes", folders=None):
    return open(path, "rb")


def _plain_read(path, root=None, limit=None, limit_key="source_bytes", folders=None):
    with open(path, "rb") as f:
        return f.read()


def timed(root: Path) -> float:
    start = time.perf_counter()
    corpus.load(root)
    return time.perf_counter() - start


def bench(n: int, rounds: int = 7) -> dict:
    """The best of rounds loads each way, alternating, so that a busy machine weighs on both alike."""
    with tempfile.TemporaryDirectory() as tmp:
        root = synthetic.make(Path(tmp) / "corpus", n)
        checked, plain = [], []
        for _ in range(rounds):
            checked.append(timed(root))
            saved = files.open_file, files.read_bytes
            files.open_file, files.read_bytes = _plain_open, _plain_read
            try:
                plain.append(timed(root))
            finally:
                files.open_file, files.read_bytes = saved
    return {"checked_s": min(checked), "plain_s": min(plain), "ratio": min(checked) / min(plain)}


def main(sizes: list[int]) -> None:
    print("| sources | load, checked reads (s) | load, plain reads (s) | ratio checked/plain |")
    print("|---:|---:|---:|---:|")
    for n in sizes:
        r = bench(n)
        print(f"| {n:,} | {r['checked_s']:.3f} | {r['plain_s']:.3f} | {r['ratio']:.2f} |", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    main([int(a) for a in sys.argv[1:]] or [100, 1000])

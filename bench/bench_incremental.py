"""Incremental builds: a full build, then a rebuild after one note is edited, of the same corpus.

    python bench/bench_incremental.py 1000 [--format epub|all] [--corpus synthetic|bulk]

The corpus is bench/synthetic.py's (or bench/bulk.py's) with a notes file for every source (a
note on the whole source and one on a passage), so that the edit is an edit among many notes.
Each build is a child process (`archive build`, time and peak memory from wait4): a first build
with an empty cache (OUT/.cache), a rebuild with nothing changed, and a rebuild after one note's
body is edited; and a full build with --no-cache for the comparison. Never a timed assertion.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bulk  # noqa: E402
import synthetic  # noqa: E402


def with_notes(corpus: Path) -> Path:
    for text in sorted((corpus / "sources").glob("*.txt")):
        first = " ".join(text.read_text(encoding="utf-8").split()[:6])  # the first six words: once only
        (text.with_suffix("").with_suffix(".notes.toml")).write_text(f'''[[notes]]
id = "whole"
kind = "condition"
body = "A note on the whole of {text.stem}."

[[notes]]
id = "first-words"
kind = "gloss"
exact = "{first}"
body = "A note on the first words of {text.stem}."
''', encoding="utf-8")
    return corpus


def run(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak MiB) of a child process and the processes it waited for
    (its workers, Typst, pdftotext): on a shared machine CPU time is the figure to compare."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{cmd[:3]} failed: {proc.stderr.read().decode()[-800:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def bench(n: int, fmt: str = "epub", kind: str = "synthetic") -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = with_notes((bulk if kind == "bulk" else synthetic).make(tmp / "corpus", n))
        out = tmp / "out"

        def build(*extra: str, where: Path = out) -> tuple[float, float, float]:
            return run([sys.executable, "-m", "builder.cli", "build", str(corpus), "--out", str(where),
                        "--format", fmt, *extra])

        full = build("--no-cache", where=tmp / "full")
        first = build()
        same = build()
        notes = corpus / "sources" / f"s{n // 2:05d}.notes.toml"
        notes.write_text(notes.read_text(encoding="utf-8").replace("A note on the first words",
                                                                   "An edited note on the first words"),
                         encoding="utf-8")
        edited = build()
        shutil.rmtree(out)
    return {"sources": n, "format": fmt, "full": full, "first": first, "same": same, "edited": edited,
            "ratio_wall": edited[0] / full[0], "ratio_cpu": edited[1] / full[1]}


def main(argv: list[str]) -> None:
    fmt = argv[argv.index("--format") + 1] if "--format" in argv else "epub"
    kind = argv[argv.index("--corpus") + 1] if "--corpus" in argv else "synthetic"
    sizes = [int(a) for a in argv if a.isdigit()] or [1000]
    print("Each cell: wall s / CPU s (the build's process and its children).\n")
    print("| sources | format | full, --no-cache | first, cache empty | again, nothing changed "
          "| after one note edit | peak MiB (full / edit) | ratio edit/full, wall | ratio edit/full, CPU |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        r = bench(n, fmt, kind)
        cell = lambda m: f"{m[0]:.2f} / {m[1]:.2f}"  # noqa: E731
        print(f"| {n:,} | {fmt} | {cell(r['full'])} | {cell(r['first'])} | {cell(r['same'])} | {cell(r['edited'])} "
              f"| {r['full'][2]:.0f} / {r['edited'][2]:.0f} | {r['ratio_wall']:.3f} | {r['ratio_cpu']:.3f} |",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

"""This build against another revision of annotated-archive, on the same synthetic corpus, in the
same run: wall and CPU seconds (the child's, with its children) and the ratio ours/theirs.

    git archive <commit> | tar -x -C /tmp/base && ln -s ../templates /tmp/base/builder/templates
    .venv/bin/python bench/compare.py /tmp/base 1000 10000 --format epub --repeat 3

The other revision runs from its own folder (PYTHONPATH), with this checkout's virtualenv.
Prints a Markdown table (docs/performance.md). Never a timed assertion.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import synthetic  # noqa: E402

HERE = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MiB) of one child process; raises if it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{cmd[:4]} failed: {proc.stderr.read().decode()[-800:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def build_cmd(corpus: Path, out: Path, fmt: str) -> list[str]:
    return [sys.executable, "-m", "builder.cli", "build", str(corpus), "--out", str(out), "--format", fmt]


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", type=Path, help="folder of the other revision (holding builder/)")
    ap.add_argument("sizes", type=int, nargs="+")
    ap.add_argument("--format", default="epub", choices=("epub", "pdf", "all"))
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best (least CPU) is kept")
    args = ap.parse_args(argv)
    env_ours = {**os.environ, "PYTHONPATH": str(HERE)}
    env_base = {**os.environ, "PYTHONPATH": str(args.base.resolve())}
    env_ours.pop("SOURCE_DATE_EPOCH", None)
    env_base.pop("SOURCE_DATE_EPOCH", None)
    print(f"| sources | format | ours wall (s) | ours CPU (s) | base wall (s) | base CPU (s) | CPU ratio ours/base | peak MiB ours/base |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            corpus = synthetic.make(tmp / "corpus", n)
            ours, base = [], []
            for k in range(args.repeat):  # alternate, so that the machine's load falls on both alike
                ours.append(timed(build_cmd(corpus, tmp / f"o{k}", args.format), HERE, env_ours))
                base.append(timed(build_cmd(corpus, tmp / f"b{k}", args.format), args.base, env_base))
            o, b = min(ours, key=lambda r: r[1]), min(base, key=lambda r: r[1])
            print(f"| {n:,} | {args.format} | {o[0]:.2f} | {o[1]:.2f} | {b[0]:.2f} | {b[1]:.2f} | "
                  f"{o[1] / b[1]:.3f} | {o[2]:.0f}/{b[2]:.0f} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

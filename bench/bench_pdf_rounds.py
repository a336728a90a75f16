"""The PDF in parts, round by round: a cold build's compiles, wall and CPU time, peak memory. Not a test.

    .venv/bin/python bench/bench_pdf_rounds.py --sources 1000 --part-pages 1000 250 [--workers 1 2]

Generates N synthetic sources with two notes each (bench/synthetic.py make + add_notes), then for
each PART_PAGES and WORKERS builds the PDF alone, no cache, in its own subprocess (bench/measure.py
run_tree: wall, CPU of the process tree, peak memory of the tree), printing each round of
compiles (builder/writers/pdf_parts.py run_jobs: which parts, made fresh or again in their
session) and the SHA-256 of the PDF (the same for every PART_PAGES' workers). Run it before and
after a change, back to back; on a shared machine compare CPU seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import measure  # noqa: E402
import synthetic  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

BUILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from builder import cache
    from builder.writers import pdf_parts
    pdf_parts.PART_PAGES, pdf_parts.WORKERS = int(sys.argv[3]), int(sys.argv[4])
    real = pdf_parts.run_jobs
    def timed(jobs, done=None, *rest):
        t = time.perf_counter()
        result = real(jobs, done, *rest)
        names = [j["part_file"][6:-5] + ("" if j["output"] else " (lay-out only)") for j in jobs]
        print(f"round {time.perf_counter() - t:5.1f} s: {', '.join(names)}", file=sys.stderr, flush=True)
        return result
    pdf_parts.run_jobs = timed
    cache.configure(use=False)
    from builder.build import build
    print(build(Path(sys.argv[1]), Path(sys.argv[2]), ("pdf",)).editions["pdf"])
""")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", type=int, default=1000)
    ap.add_argument("--part-pages", type=int, nargs="+", default=[1000, 250])
    ap.add_argument("--workers", type=int, nargs="+", default=[2])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-rounds-") as tmp:
        corpus = synthetic.make(Path(tmp) / "corpus", args.sources)
        synthetic.add_notes(corpus)
        for part_pages in args.part_pages:
            for workers in args.workers:
                out = Path(tmp) / f"out-{part_pages}-{workers}"
                m = measure.run_tree([sys.executable, "-c", BUILD, str(corpus), str(out), str(part_pages), str(workers)],
                                     cwd=ROOT)
                if m.returncode:
                    raise SystemExit(m.stderr[-2000:])
                print(m.stderr.rstrip())
                pdf = Path(m.stdout.strip().splitlines()[-1])
                print(json.dumps({"sources": args.sources, "part_pages": part_pages, "workers": workers,
                                  "wall_s": round(m.seconds, 1), "cpu_s": round(m.cpu_s, 1),
                                  "peak_mib": round(m.peak_mib),
                                  "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest()[:16]}), flush=True)


if __name__ == "__main__":
    main()

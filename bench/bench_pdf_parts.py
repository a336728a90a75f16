"""The PDF edition in one compile against the same in parts (issue 10). Not a test.

    .venv/bin/python bench/bench_pdf_parts.py --sources 1000

On N synthetic sources (bench/synthetic.py), each way in its own subprocess (so that peak memory
is its own): `build(corpus, out, ("pdf",))` with no cache, as
- one: a single Typst compile (the part size set above the book's size);
- parts/1: in parts (the default part size), one process;
- parts/2: in parts, two processes;
- parts/2c: parts/2 into an output folder that keeps its cache;
- again: parts/2c once more (every part from the cache);
- edit: one source's summary edited, then parts/2c again (only its part and what follows it if
  its length changed are made again);
and prints wall time, pages, pages a second, peak memory of the build's own process and of its
worker processes (ru_maxrss), and the time in each step (layout, join, read-back), from
`archive --verbose`'s step lines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import synthetic  # noqa: E402

SCRIPT = textwrap.dedent("""
    import io, json, re, resource, sys, time
    from pathlib import Path
    def main():
        from builder import cache, progress
        from builder.build import build
        from builder.writers import pdf_parts
        part_pages, workers, use_cache = float(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
        if part_pages > 0:
            pdf_parts.PART_PAGES = part_pages
        pdf_parts.WORKERS = workers
        cache.configure(use=use_cache)
        progress.configure(verbose_=True)
        from builder import pdf_join
        joined = {}
        real = pdf_join.join
        def measured(*a, **k):  # the join's own memory: the process's resident size before and after
            def rss():
                return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS"))
            joined["before_kib"] = rss()
            n = real(*a, **k)
            joined["after_kib"] = rss()
            return n
        pdf_join.join = measured
        said = io.StringIO()
        sys.stderr = said
        t0 = time.perf_counter()
        result = build(Path(sys.argv[1]), Path(sys.argv[2]), ("pdf",))
        seconds = time.perf_counter() - t0
        sys.stderr = sys.__stderr__
        import pikepdf
        path = result.editions["pdf"]
        with pikepdf.open(path) as p:
            pages = len(p.pages)
        steps = {m[0]: float(m[1]) for m in re.findall(r"archive: (.+?) \\(([0-9.]+) s\\)", said.getvalue())}
        print(json.dumps({"seconds": seconds, "pages": pages, "bytes": path.stat().st_size,
                          "self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                          "children_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                          "cpu": sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF,
                                     resource.RUSAGE_CHILDREN) for f in ("ru_utime", "ru_stime")),
                          "steps": steps, "join": joined, "said": [l for l in said.getvalue().splitlines() if "PDF:" in l]}))
    if __name__ == "__main__":
        main()
""")


def run(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"}, cwd=Path(__file__).parent.parent)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", type=int, default=1000)
    ap.add_argument("--ways", nargs="+", default=["one", "parts/1", "parts/2", "again"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-parts-") as tmp:
        corpus = synthetic.make(Path(tmp) / "corpus", args.sources)
        rows = []
        for way in args.ways:
            out = Path(tmp) / ("out-cached" if way in ("parts/2c", "again") else f"out-{way.replace('/', '')}")
            if way == "one":
                r = run(str(corpus), str(out), "1e12", "1", "0")
            elif way == "again":
                r = run(str(corpus), str(out), "0", "2", "1")
            elif way == "edit":  # one source's editorial summary edited (its sidecar), then built from the cache
                sidecar = corpus / "sources" / f"s{args.sources // 2:05d}.toml"
                sidecar.write_text(sidecar.read_text().replace("Synthetic text for benchmarks.",
                                                               "Synthetic text for benchmarks, edited."))
                r = run(str(corpus), str(Path(tmp) / "out-cached"), "0", "2", "1")
            elif way == "parts/2c":
                r = run(str(corpus), str(out), "0", "2", "1")
            else:
                r = run(str(corpus), str(out), "0", way.split("/")[1], "0")
            r["way"] = way
            rows.append(r)
            print(json.dumps(r), flush=True)
    print()
    print(f"{args.sources:,} synthetic sources; {platform.machine()}, {os.cpu_count()} CPUs (shared), "
          f"Python {platform.python_version()}.")
    print()
    print("| way | pages | wall s | CPU s | pages/s | peak MiB (build) | peak MiB (a worker) | laid out s | joined s "
          "| join: MiB more | read back s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        s = r["steps"]
        lay = next((v for k, v in s.items() if k.startswith("PDF parts laid out")), s.get("PDF laid out", 0))
        print(f"| {r['way']} | {r['pages']:,} | {r['seconds']:.1f} | {r['cpu']:.1f} | {r['pages'] / r['seconds']:.0f} | "
              f"{r['self_kib'] / 1024:.0f} | {r['children_kib'] / 1024:.0f} | {lay:.1f} | "
              f"{s.get('PDF parts joined', 0):.1f} | "
              f"{(r['join'].get('after_kib', 0) - r['join'].get('before_kib', 0)) / 1024:.0f} | "
              f"{s.get('PDF read back', 0):.1f} |")


if __name__ == "__main__":
    main()

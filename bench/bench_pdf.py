"""Benchmark the PDF edition against plain WeasyPrint on the same text. Not a test.

    ./run bench                      # EPUB and PDF, 100 and 1,000 sources
    .venv/bin/python bench/bench_pdf.py --sizes 100 1000

Generates N synthetic plain-text sources of about 700 words (seeded, deterministic) into a
temporary corpus, then, each in its own subprocess (so that peak memory is its own):
- ours: `build(corpus, out, ("pdf",))`: load, hash, anchor, write the data, Typst compile
  (PDF/A-3a + PDF/UA-1, tagged, attachments), and read back and verify;
- weasyprint: the same text as one HTML file (one section per source, paragraphs as <p>, A5
  pages, a page break per source), `HTML(string=...).write_pdf()` untagged, no attachments.
Prints pages per second for each, the ratio, and peak memory (ru_maxrss), and a Markdown
table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import html
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

OURS = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    t0 = time.perf_counter()
    from builder.build import build
    result = build(Path(sys.argv[1]), Path(sys.argv[2]), ("pdf",))
    seconds = time.perf_counter() - t0
    import pikepdf
    path = result.editions["pdf"]
    with pikepdf.open(path) as p:
        pages = len(p.pages)
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"seconds": seconds, "pages": pages, "rss_kib": rss, "bytes": path.stat().st_size}))
""")

WEASY = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    t0 = time.perf_counter()
    from weasyprint import HTML
    doc = HTML(string=Path(sys.argv[1]).read_text(encoding="utf-8")).render()
    out = Path(sys.argv[2]) / "weasy.pdf"
    doc.write_pdf(out)
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "pages": len(doc.pages), "rss_kib": rss, "bytes": out.stat().st_size}))
""")

CSS = ("@page { size: A5; margin: 21mm 22mm 25mm 17mm; @bottom-center { content: counter(page); } }"
       "body { font-family: serif; font-size: 10pt; line-height: 1.3; }"
       "section { break-before: page; } p { margin: 0 0 0.6em 0; }")


def weasy_html(corpus: Path, dest: Path) -> Path:
    """The same sources as one HTML file: a section per source, paragraphs as <p>."""
    sections = []
    for path in sorted((corpus / "sources").glob("*.txt")):
        paras = path.read_text(encoding="utf-8").split("\n\n")
        sections.append(f"<section><h1>{path.stem}</h1>"
                        + "".join(f"<p>{html.escape(p.strip())}</p>" for p in paras) + "</section>")
    dest.write_text(f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Bench</title>'
                    f'<style>{CSS}</style></head><body>{"".join(sections)}</body></html>', encoding="utf-8")
    return dest


def run(script: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(sizes: list[int] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args([] if sizes is not None else None)
    sizes = sizes or args.sizes
    args.words = 700
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
            root = synthetic.make(Path(tmp) / "corpus", n, args.seed)
            page = weasy_html(root, Path(tmp) / "weasy.html")
            ours = run(OURS, str(root), str(Path(tmp) / "out"))
            weasy = run(WEASY, str(page), tmp)
        row = {"sources": n, "ours": ours, "weasy": weasy,
               "ours_pps": ours["pages"] / ours["seconds"], "weasy_pps": weasy["pages"] / weasy["seconds"]}
        row["ratio"] = row["ours_pps"] / row["weasy_pps"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{platform.platform()}; {args.words} words a source, seed {args.seed}.")
    print()
    print("| sources | ours: pages | ours: s | ours: pages/s | ours: peak MiB | PDF MiB "
          "| WeasyPrint: pages | s | pages/s | peak MiB | ratio (pages/s) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        o, w = r["ours"], r["weasy"]
        print(f"| {r['sources']:,} | {o['pages']:,} | {o['seconds']:.1f} | {r['ours_pps']:.0f} | "
              f"{o['rss_kib'] / 1024:.0f} | {o['bytes'] / 2**20:.1f} | {w['pages']:,} | {w['seconds']:.1f} | "
              f"{r['weasy_pps']:.0f} | {w['rss_kib'] / 1024:.0f} | {r['ratio']:.1f}× |")


if __name__ == "__main__":
    main()

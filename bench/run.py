"""Benchmarks: ratios against the tools a user would otherwise pick, measured in the same run.

    ./run bench                          # issue 10's targets, each at its size, PASS/FAIL (bench/targets.py)
    ./run bench pdf 1000 epub 200        # some of them: pdf, pdf-large, epub, incremental [N]
    ./run bench 100 1000 10000           # the earlier suite at these sizes: EPUB/pandoc, reading, PDF, web

Prints Markdown tables (paste into docs/performance.md). Never a timed assertion.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_epub  # noqa: E402


def main(argv: list[str]) -> None:
    if not argv or not argv[0].isdigit():
        import targets
        raise SystemExit(targets.main(argv))
    sizes = [int(a) for a in argv]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("\n## EPUB: annotated-archive against pandoc\n")
    print("| sources | ours (s) | ours peak MiB | pandoc (s) | pandoc peak MiB | time ratio ours/pandoc | EPUB bytes |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        r = bench_epub.bench(n)
        print(f"| {n:,} | {r['ours_s']:.2f} | {r['ours_mib']:.0f} | {r['pandoc_s']:.2f} | {r['pandoc_mib']:.0f} "
              f"| {r['ratio']:.2f} | {r['epub_bytes']:,} |", flush=True)
    print("\n## Reading: checked reads (builder.files) against plain reads, loading the same corpus\n")
    import bench_reading
    bench_reading.main(sizes)
    print("\n## PDF: annotated-archive against WeasyPrint\n", flush=True)
    import bench_pdf
    bench_pdf.main([n for n in sizes if n <= 2000])  # Typst needs ~0.7 MB a page in one compile
    print("\n## Web edition: against our EPUB edition\n", flush=True)
    import bench_web
    bench_web.main(sizes)


if __name__ == "__main__":
    main(sys.argv[1:])

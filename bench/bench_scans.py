"""What the content checks cost (docs/security.md): the scan of every rendered EPUB document
(builder.inert.active) and of the PDF (builder.inert.pdf_active), as a share of the build of the
same edition, on the synthetic corpus. A ratio, never a timed assertion.

    .venv/bin/python bench/bench_scans.py 200
"""

from __future__ import annotations

import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pikepdf  # noqa: E402
import synthetic  # noqa: E402

from builder import inert  # noqa: E402
from builder.build import build  # noqa: E402


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = synthetic.make(Path(tmp) / "c", n)
        t = time.perf_counter()
        epub = build(corpus, Path(tmp) / "out", ("epub",)).editions["epub"]
        epub_s = time.perf_counter() - t
        with zipfile.ZipFile(epub) as z:
            docs = [(x, z.read(x)) for x in z.namelist() if x.endswith((".xhtml", ".svg", ".css"))]
        t = time.perf_counter()
        for name, data in docs:
            assert inert.active(data, inert.kind_of(name)) == []
        scan_s = time.perf_counter() - t
        print(f"| {n} sources | EPUB build {epub_s:.2f} s | scan of {len(docs)} documents {scan_s:.3f} s "
              f"| {scan_s / epub_s:.1%} |")
        t = time.perf_counter()
        pdf = build(corpus, Path(tmp) / "out2", ("pdf",)).editions["pdf"]
        pdf_s = time.perf_counter() - t
        t = time.perf_counter()
        assert inert.pdf_active(pdf) == []
        pscan_s = time.perf_counter() - t
        with pikepdf.open(pdf) as p:
            pages = len(p.pages)
        print(f"| {n} sources | PDF build {pdf_s:.2f} s ({pages} pages) | PDF scan {pscan_s:.3f} s "
              f"| {pscan_s / pdf_s:.1%} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)

"""The web edition against the EPUB edition of the same synthetic corpus, in the same run: how much
more a static site with its search index costs than the e-book (both our builds, both read back)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import measure
import synthetic


def bench(n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = synthetic.make(tmp / "corpus", n)
        build = [sys.executable, "-m", "builder.cli", "build", str(corpus), "--out", str(tmp / "out"), "--format"]
        epub = measure.run([*build, "epub"])
        web = measure.run([*build, "web"])
        site = next((tmp / "out").glob("*-web"))
        files = [p.stat().st_size for p in site.rglob("*") if p.is_file()]
        index = [p.stat().st_size for p in (site / "pagefind").rglob("*") if p.is_file()]
    return {"sources": n, "web_s": web[0], "web_mib": web[1], "epub_s": epub[0], "epub_mib": epub[1],
            "ratio": web[0] / epub[0], "files": len(files), "site_bytes": sum(files), "index_bytes": sum(index)}


def main(sizes: list[int]) -> None:
    print("| sources | web (s) | web peak MiB | EPUB (s) | EPUB peak MiB | time ratio web/EPUB | files | site bytes "
          "| of which search index |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        r = bench(n)
        print(f"| {n:,} | {r['web_s']:.2f} | {r['web_mib']:.0f} | {r['epub_s']:.2f} | {r['epub_mib']:.0f} "
              f"| {r['ratio']:.2f} | {r['files']:,} | {r['site_bytes']:,} | {r['index_bytes']:,} |", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000])

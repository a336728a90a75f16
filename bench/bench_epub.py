"""EPUB: our build against pandoc on the same plain text, in the same run."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import measure
import pypandoc
import synthetic


def pandoc_input(corpus: Path, dest: Path) -> Path:
    """The same sources as one Markdown file, a chapter each, lines kept as line blocks."""
    with dest.open("w", encoding="utf-8") as out:
        for path in sorted((corpus / "sources").glob("*.txt")):
            out.write(f"# {path.stem}\n\n")
            for para in path.read_text(encoding="utf-8").split("\n\n"):
                out.write("| " + para.strip().replace("\n", "\n| ") + "\n\n")
    return dest


def bench(n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = synthetic.make(tmp / "corpus", n)
        ours = measure.run([sys.executable, "-m", "builder.cli", "build", str(corpus), "--out", str(tmp / "out"),
                            "--format", "epub"])
        md = pandoc_input(corpus, tmp / "all.md")
        theirs = measure.run([pypandoc.get_pandoc_path(), str(md), "-o", str(tmp / "pandoc.epub"),
                              "--metadata", "title=bench"])
        size = next((tmp / "out").glob("*.epub")).stat().st_size
    return {"sources": n, "ours_s": ours[0], "ours_mib": ours[1], "pandoc_s": theirs[0],
            "pandoc_mib": theirs[1], "ratio": ours[0] / theirs[0], "epub_bytes": size}

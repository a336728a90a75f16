"""The build, start to finish: load -> validate -> anchor notes -> render -> package -> verify.

Nothing reaches the output folder until every edition is written and verified: editions
are made in a staging folder beside it and moved in at the end.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import anchor, corpus, epub, verify
from .model import Archive

FORMATS = ("epub", "pdf")


@dataclass(frozen=True)
class Built:
    archive: Archive
    editions: dict[str, Path]
    warnings: tuple[str, ...]


def build(corpus_dir: Path, out: Path, formats: tuple[str, ...] = FORMATS) -> Built:
    archive = corpus.load(Path(corpus_dir))  # load and validate: every problem, or nothing
    archive, anchors = anchor.anchor(archive)  # every note placed, or nothing
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        editions = {}
        if "epub" in formats:
            editions["epub"] = epub.write(archive, anchors, staging / f"{archive.slug}.epub")
        if "pdf" in formats:
            from . import pdf  # Typst is loaded only when a PDF is asked for
            editions["pdf"] = pdf.write(archive, anchors, staging / f"{archive.slug}.pdf")
        verify.editions(archive, editions)  # read back what was written: raises DamageFound
        final = {}
        for kind, path in editions.items():
            target = out / path.name
            path.replace(target)
            final[kind] = target
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Built(archive, final, archive.warnings)

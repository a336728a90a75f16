"""The web edition, start to finish: load -> validate -> anchor notes -> write the site -> index it
for search (Pagefind) -> read it back -> move it into place.

The site is made in a temporary folder beside OUT/<slug>-web/ and replaces it only when it is
whole: a failed build leaves the previous site as it was. See docs/web.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import anchor, corpus, verify_web
from .errors import ArchiveError
from .model import Archive
from .output import atomic_dir
from .writers import web

PAGEFIND_TIMEOUT = 600  # seconds; about a second for the default archive


class SearchIndexFailed(ArchiveError):
    """Pagefind could not run or failed: a fault of the tool's set-up, not of the corpus."""

    exit_code = 3


@dataclass(frozen=True)
class Site:
    archive: Archive
    folder: Path
    pages: int
    files: int
    searchable: bool
    warnings: tuple[str, ...]


def site_folder(out: Path, archive: Archive) -> Path:
    return Path(out) / f"{archive.slug}-web"


def build_site(corpus_dir: Path, out: Path, search: bool = True, folder: Path | None = None) -> Site:
    """Build the web edition of corpus_dir into folder (default OUT/<slug>-web/)."""
    archive = corpus.load(Path(corpus_dir), editions=True)  # every problem, or nothing
    archive, anchors = anchor.anchor(archive)
    target = Path(folder) if folder else site_folder(out, archive)
    with atomic_dir(target) as tmp:
        tmp.chmod(0o755)
        pages = web.write(archive, anchors, tmp, searchable=search)
        if search:
            index(tmp)
        verify_web.site(archive, tmp)  # read back what was written: DamageFound
        files = sum(1 for p in tmp.rglob("*") if p.is_file())
    return Site(archive, target, pages, files, search, archive.warnings)


def index(folder: Path) -> None:
    """Pagefind's search index and its UI, in folder/pagefind/ (offline; no network)."""
    command = [sys.executable, "-m", "pagefind", "--site", str(folder), "--output-subdir", "pagefind"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEFIND_")}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PAGEFIND_TIMEOUT, env=env,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SearchIndexFailed(f"Pagefind (the search index) could not run: {e}. Install it with "
                                "`pip install \"pagefind[extended]==1.5.2\"` (./run setup does), or build "
                                "without search") from e
    if done.returncode != 0 or not (folder / "pagefind" / "pagefind-ui.js").is_file():
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise SearchIndexFailed(f"Pagefind (the search index) failed (exit {done.returncode}):\n{tail}")

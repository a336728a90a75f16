"""Write outputs whole or not at all: to a temporary file beside the target, then rename.
Also the zip entry every zip of the build is written with, the same in every build."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from .errors import Problem


def out_problems(corpus: Path, out: Path) -> list[Problem]:
    """Why out cannot take the editions of corpus: inside the corpus (O501), not a folder (O502),
    or not writable (O503). Nothing but the editing commands writes in a corpus."""
    corpus, out = Path(corpus), Path(out)
    real_out, real_corpus = Path(os.path.realpath(out)), Path(os.path.realpath(corpus))
    if real_out == real_corpus or real_corpus in real_out.parents:
        how = "" if Path(os.path.abspath(out)) == real_out else f" (it leads to {real_out})"
        return [Problem("O501", out, f"'{out}' is inside the corpus {corpus}{how}: the editions would be "
                        "written into the corpus", "choose a folder outside the corpus, e.g. --out output "
                        "beside it", where="--out")]
    if os.path.lexists(out) and not out.is_dir():
        what = "a symbolic link to nothing" if out.is_symlink() and not out.exists() else "a file, not a folder"
        return [Problem("O502", out, f"'{out}' is {what}", "name a folder (it is made if it does not exist)",
                        where="--out")]
    existing = out
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if existing != out and not existing.is_dir():
        return [Problem("O502", out, f"'{out}' cannot be made: '{existing}' is a file, not a folder",
                        "name a folder whose parents are folders", where="--out")]
    if not os.access(existing, os.W_OK | os.X_OK):
        return [Problem("O503", out, f"'{existing}' cannot be written to (permission denied)",
                        "choose a folder you can write to, or change its permissions", where="--out")]
    return []


def out_file_problems(corpus: Path, path: Path, option: str = "-o") -> list[Problem]:
    """out_problems for a single file to be written (its folder), and not a folder itself (O502)."""
    if Path(path).is_dir():
        return [Problem("O502", path, f"'{path}' is a folder: name the file to write",
                        f"e.g. {option} {Path(path) / 'notes.jsonld'}", where=option)]
    return [replace(p, where=option) for p in out_problems(corpus, Path(path).parent)]


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path in path's folder; on success it replaces path, on failure it goes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Yield a temporary folder beside path; on success it replaces path, on failure it goes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def zip_entry(name: str, date: dt.datetime, mode: int, compress: bool = True) -> zipfile.ZipInfo:
    """A zip entry dated date (not before 1980, zip's epoch), with Unix permissions mode."""
    info = zipfile.ZipInfo(name, date_time=max(date.timetuple()[:6], (1980, 1, 1, 0, 0, 0)))
    info.create_system = 3
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    return info

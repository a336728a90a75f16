"""The copy of a PDF that `pdftotext` reads: the same file, its catalogue without /OutputIntents.

poppler (22.12) turns a PDF/A's output intent (its ICC profile) into a display colour profile
anew for every page it reads, and builds colour transforms from it with Little CMS: about half
of the time `pdftotext` takes over the edition (docs/performance.md, "Where the time goes").
Colours do not change the text it extracts. So the read-back reads a copy of the PDF with an
incremental update appended: one object, the catalogue again without /OutputIntents. Every other
byte is the PDF's own (pages, content streams, fonts and their /ToUnicode maps), so every
character is still read from what the edition holds; the PDF itself is not changed. A PDF this
cannot be done to (no output intent, a cross-reference stream, encrypted, unreadable) is read
as it is.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from . import parallel


def without_output_intents(path: Path, copy: Path) -> bool:
    """Write to copy the PDF at path with its catalogue updated to have no /OutputIntents; False
    (nothing written) where that cannot be done: the PDF is then to be read as it is."""
    import pikepdf

    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            end = f.tell()
            f.seek(max(0, end - 2048))
            tail = f.read()
            found = re.findall(rb"startxref\s+(\d+)\s+%%EOF", tail)
            if not found:
                return False
            prev = int(found[-1])
            f.seek(prev)
            if not f.read(4) == b"xref":  # a cross-reference stream: left alone
                return False
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted:
                return False
            root = pdf.Root
            if "/OutputIntents" not in root or not root.is_indirect:
                return False
            num, gen = root.objgen
            catalogue = pikepdf.Dictionary({k: v for k, v in root.items() if k != "/OutputIntents"})
            body = catalogue.unparse(resolved=False)
            trailer = pdf.trailer
            size = int(trailer.Size)
            extra = b"".join(b"/" + k.encode() + b" " + trailer[f"/{k}"].unparse(resolved=False)
                             for k in ("Info", "ID") if f"/{k}" in trailer)
    except (OSError, ValueError, pikepdf.PdfError):
        return False
    shutil.copyfile(path, copy)
    with open(copy, "ab") as f:
        f.write(b"\n")
        at = f.tell()
        f.write(b"%d %d obj\n%s\nendobj\n" % (num, gen, body))
        xref = f.tell()
        f.write(b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d %05d n \n" % (num, at, gen))
        f.write(b"trailer\n<</Size %d/Root %d %d R%s/Prev %d>>\nstartxref\n%d\n%%%%EOF\n"
                % (size, num, gen, extra, prev, xref))
    return True


@contextmanager
def to_read(path: Path, folder: Path) -> Iterator[Path]:
    """The file pdftotext should read for the PDF at path: its copy in folder (removed after), or path."""
    copy = folder / f"reading-{path.name}"
    made = without_output_intents(path, copy)
    try:
        yield copy if made else path
    finally:
        if made:
            copy.unlink(missing_ok=True)


def pdftotext(tool: str, path: Path, first: int | None = None, last: int | None = None) -> subprocess.Popen:
    """`pdftotext -raw` started on pages first..last of path (1-based; every page without them), its
    output and errors piped: pages() splits what it wrote into the text of each page."""
    span = ["-f", str(first), "-l", str(last)] if first is not None else []
    return subprocess.Popen([tool, "-raw", "-enc", "UTF-8", *span, str(path), "-"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=parallel.tuned())  # glibc's allocator tuned (builder/parallel.py)


def pages(out: bytes) -> list[str]:
    """What pdftotext wrote, a text for each page (every page ends with a form feed)."""
    return out.decode("utf-8").split("\f")[:-1]


def finished(proc: subprocess.Popen, timeout: float = 3600) -> bytes | None:
    """What a pdftotext() process wrote, once it ends (None if it failed); one that runs past
    timeout is stopped and TimeoutExpired raised, as subprocess.run would."""
    try:
        out, _err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return out if proc.returncode == 0 else None

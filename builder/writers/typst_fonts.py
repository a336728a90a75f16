"""The fonts Typst lays the PDF out with, found once a process, not at every compile.

A `typst.Compiler` given font folders reads every font file in them to learn its faces (the
Noto CJK collection among them): about 0.05 s, for each part of a book in parts. A `typst.Fonts`
found once and handed to each compiler costs nothing more (docs/pdf.md). The fork server the
parts' sessions are forked from (builder/writers/pdf_sessions.py) finds them before it forks:
the build names the folders in ENV before the server starts, and this module, preloaded there,
finds them on import. A folder whose files change (their names, sizes or times) is searched
again, so a font replaced between two builds of one process is never laid out from a stale list.
"""

from __future__ import annotations

import os

ENV = "ARCHIVE_TYPST_FONT_DIRS"  # the font folders, os.pathsep-joined, for the fork server to find first

_found: dict[tuple, object] = {}  # (folders, their files) -> typst.Fonts; one entry at most


def fonts(dirs: list[str]):
    """A typst.Fonts of the font files in dirs, in that order, without the system's fonts: the
    same fonts as `typst.Compiler(font_paths=dirs, ignore_system_fonts=True)` finds."""
    import typst

    key = (tuple(dirs), _files(dirs))
    found = _found.get(key)
    if found is None:
        _found.clear()
        found = _found[key] = typst.Fonts(include_system_fonts=False, font_paths=list(dirs))
    return found


def announced(dirs: list[str]):
    """The folders named in ENV while a fork server starts (it inherits the environment, and finds
    them once, for all its forks); the environment as it was afterwards."""
    from .. import parallel
    return parallel.environ({ENV: os.pathsep.join(dirs)})


def _files(dirs: list[str]) -> tuple:
    out = []
    for d in dirs:
        for root, subdirs, names in os.walk(d):
            subdirs.sort()
            for name in sorted(names):
                path = os.path.join(root, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                out.append((path, st.st_size, st.st_mtime_ns))
    return tuple(out)


if os.environ.get(ENV):  # preloaded by the fork server: the fonts found before any session forks
    try:
        fonts(os.environ[ENV].split(os.pathsep))
    except Exception:  # found at the first compile instead, which says what is wrong
        _found.clear()

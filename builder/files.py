"""Every read of the corpus goes through here: a corpus may come from anyone (docs/security.md).

A file of the corpus is read only if
- once symbolic links are followed, it is inside the corpus folder, and not in a hidden file
  or folder there (`.git/`, `.env`, ...): C160, C161;
- it exists and its links resolve (no loop, no dangling link): C163;
- it is a regular file, not a FIFO, socket, device or folder: C162. It is opened with
  O_NOFOLLOW | O_NONBLOCK and checked again on the open file, so nothing can make a build wait;
- it is no larger than the limit for its kind (archive.toml `[limits]`), checked before a byte
  is read: C164.
A refusal is a `Refused` carrying the Problem, or (with `Reader`) a Problem added to the list.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import Problem

SOURCE_BYTES = 200_000_000  # a source larger than this is refused (about 100,000 pages of prose)
METADATA_BYTES = 10_000_000  # archive.toml, a sidecar, a notes file, introduction.md
LIMIT_KEYS = {"source_bytes": SOURCE_BYTES, "metadata_bytes": METADATA_BYTES}
_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFDIR: "a folder", stat.S_IFLNK: "a symbolic link"}


@dataclass(frozen=True)
class Limits:
    source_bytes: int = SOURCE_BYTES
    metadata_bytes: int = METADATA_BYTES


class Refused(Exception):
    """A file the build will not read, and why."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def resolve(path: Path, root: Path | None, folders: dict[str, str] | None = None) -> Path:
    """The file path names, links followed; Refused unless it stays inside root (when given).
    folders, when given, remembers each folder's real path (and root's) for the next call:
    a load resolves thousands of files in the same few folders. (Strings, not Paths: this runs
    for every file read, and pathlib's comparisons cost more than the system calls.)"""
    return Path(_resolve(path, root, {} if folders is None else folders)[0])


def _resolve(path: Path, root: Path | None, folders: dict[str, str]) -> tuple[str, os.stat_result]:
    """resolve(), as a string, with the lstat of what it resolved to (not a link)."""
    name = os.fspath(path)
    try:
        info = os.lstat(name)
        if stat.S_ISLNK(info.st_mode):
            real = os.path.realpath(name, strict=True)
            info = os.lstat(real)
        else:
            head, tail = os.path.split(name)
            real = os.path.join(_real_folder(head or ".", folders), tail)
    except OSError as e:
        raise Refused(_unreadable(Path(path), e)) from None
    if root is None:
        return real, info
    top = _real_folder(os.fspath(root), folders)
    if real != top and not real.startswith(top.rstrip(os.sep) + os.sep):
        raise Refused(Problem("C160", Path(path), f"leads outside the corpus, to {real}",
                              "a corpus may only use its own files: copy the file into the corpus "
                              "(or remove the link)"))
    hidden = [p for p in real[len(top):].split(os.sep) if p.startswith(".")]
    if hidden:
        raise Refused(Problem("C161", Path(path), f"leads into a hidden path of the corpus ({hidden[0]})",
                              "hidden files and folders (.git, .env, ...) are never read: link to a "
                              "visible file, or copy it"))
    return real, info


def _real_folder(folder: str, folders: dict[str, str]) -> str:
    if folder not in folders:
        folders[folder] = os.path.realpath(folder, strict=True)
    return folders[folder]


def _unreadable(path: Path, e: OSError) -> Problem:
    if e.errno == errno.ELOOP:
        return Problem("C163", path, "is a loop of symbolic links", "replace the link with the file it means")
    if os.path.islink(path):
        return Problem("C163", path, f"is a symbolic link to {os.readlink(path)}, which does not exist",
                       "replace the link with the file it means")
    return Problem("C163", path, f"cannot read the file: {e.strerror or e}", "check that it exists and is readable")


def open_file(path: Path, root: Path | None = None, limit: int | None = None,
              limit_key: str = "source_bytes", folders: dict[str, str] | None = None) -> BinaryIO:
    """The corpus file open for reading (binary), after every check above; Refused otherwise."""
    real, info = _resolve(path, root, {} if folders is None else folders)
    _regular(path, info.st_mode)  # before opening: no device is ever opened
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise Refused(_unreadable(path, e)) from None
    f = os.fdopen(fd, "rb")
    try:
        info = os.fstat(fd)
        _regular(path, info.st_mode)  # again, on what was opened
        if limit is not None and info.st_size > limit:
            raise Refused(Problem(
                "C164", path, f"is {info.st_size:,} bytes, more than the limit of {limit:,}",
                f"if the file is meant to be this large, raise the limit in archive.toml: "
                f"[limits] {limit_key} = {info.st_size}"))
    except BaseException:
        f.close()
        raise
    return f


def _regular(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise Refused(Problem("C162", path, f"is {kind}, not a regular file",
                              "put an ordinary file here (a corpus holds files, not devices, pipes "
                              "or sockets)"))


def read_bytes(path: Path, root: Path | None = None, limit: int | None = None,
               limit_key: str = "source_bytes", folders: dict[str, str] | None = None) -> bytes:
    """The whole file, after every check above; Refused otherwise."""
    with open_file(path, root, limit, limit_key, folders) as f:
        if limit is None:
            data = f.read()
        else:  # read(limit + 1) would allocate the whole limit: read what fstat says, + 1
            size = os.fstat(f.fileno()).st_size
            data = f.read(size + 1)
            if len(data) > size:  # it grew since: read on, to the limit
                data += f.read(max(limit + 1 - len(data), 0))
    if limit is not None and len(data) > limit:
        raise Refused(Problem("C164", path, f"is more than the limit of {limit:,} bytes",
                              f"raise the limit in archive.toml: [limits] {limit_key} = …"))
    return data


def folder_problem(path: Path, root: Path) -> Problem | None:
    """Why the folder at path cannot be listed as part of the corpus, or None."""
    try:
        real = resolve(path, root)
    except Refused as e:
        return e.problem
    if not real.is_dir():
        return Problem("C162", path, "is not a folder", "make it a folder of the corpus")
    return None


def tree_problems(folder: Path, root: Path, limit: int = SOURCE_BYTES) -> list[Problem]:
    """Every file under folder (a corpus's templates/, read by jinja2 and Typst by name) as the
    rules above would read it: a link leaving the corpus, a FIFO, a file over the limit, each a
    Problem. Nothing is opened; folders reached through links are not walked (their link is checked)."""
    if not os.path.lexists(folder):
        return []
    problem = folder_problem(folder, root)
    if problem:
        return [problem]
    found: list[Problem] = []
    for top, dirs, names in os.walk(folder):  # does not follow links to folders
        for name in sorted(dirs + names):
            path = Path(top) / name
            try:
                real = resolve(path, root)
                mode = os.stat(real).st_mode
                if not stat.S_ISDIR(mode):
                    _regular(path, mode)
                    if os.stat(real).st_size > limit:
                        raise Refused(Problem("C164", path, f"is more than the limit of {limit:,} bytes",
                                              "make it smaller, or raise [limits] source_bytes in archive.toml"))
            except Refused as e:
                found.append(e.problem)
            except OSError as e:
                found.append(_unreadable(path, e))
    return found


class Reader:
    """The corpus's reads during a load: each refusal becomes a Problem in problems."""

    def __init__(self, root: Path | None, problems: list[Problem], limits: Limits = Limits()):
        """root None: a file an editing command has just written itself (not checked for containment)."""
        self.root, self.problems, self.limits = root and Path(root), problems, limits
        self.folders: dict[str, str] = {}  # real paths of the folders seen, for this load

    def metadata(self, path: Path) -> bytes | None:
        """A metadata file (archive.toml, a sidecar, a notes file, introduction.md), or None."""
        try:
            return read_bytes(path, self.root, self.limits.metadata_bytes, "metadata_bytes", self.folders)
        except Refused as e:
            self.problems.append(e.problem)
            return None

    def source_bytes(self, path: Path) -> bytes:
        """A source's bytes, whole (for sources not read in blocks); Refused if it may not be read."""
        return read_bytes(path, self.root, self.limits.source_bytes, "source_bytes", self.folders)

    def open_source(self, path: Path):
        """The source open for reading (binary); Refused if it may not be read."""
        return open_file(path, self.root, self.limits.source_bytes, "source_bytes", self.folders)


def limits(table: object, problem) -> Limits:
    """archive.toml's [limits] table; problem(code, message, fix, key) for each bad value."""
    if not isinstance(table, dict):
        if table is not None:
            problem("C166", "[limits] should be a table", "write `[limits]` then `source_bytes = …`", "limits")
        return Limits()
    values = dict(LIMIT_KEYS)
    for key, value in table.items():
        if key not in LIMIT_KEYS:
            problem("C166", f"unknown field 'limits.{key}'", f"use one of: {', '.join(sorted(LIMIT_KEYS))}", key)
        elif isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            problem("C166", f"limits.{key} should be a whole number of bytes greater than 0, not {value!r}",
                    f"write e.g. `{key} = {LIMIT_KEYS[key]}`", key)
        else:
            values[key] = value
    return Limits(**values)

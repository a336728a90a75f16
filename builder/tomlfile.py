"""Read a TOML file for the loader, turning every fault into a Problem with a line number."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from . import files, tomlflat
from .errors import Problem


MAX_DEPTH = 32  # tables and arrays nested deeper than this are refused (C165)


def read(path: Path, problems: list[Problem], code: str) -> "Doc | None":
    """Read and parse a TOML file (regular file, within the metadata size limit)."""
    try:
        raw = files.read_bytes(path, limit=files.METADATA_BYTES, limit_key="metadata_bytes")
    except files.Refused as e:
        problems.append(e.problem)
        return None
    return parse(path, raw, problems, code)


def parse(path: Path, raw: bytes, problems: list[Problem], code: str) -> "Doc | None":
    """Parse TOML already read from path; every fault is a Problem with its line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append(Problem(code, path, f"not valid UTF-8 (byte {e.start})",
                                "save the file as UTF-8", line=raw[: e.start].count(b"\n") + 1))
        return None
    flat = None
    try:
        data = flat = tomlflat.loads(text)  # the plainest form read quickly; any other by tomllib, as ever
        if data is None:
            data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        line = int(m.group(1)) if m else None
        date = re.search(r"=\s*(\d{4}-\d{1,2}-\d{1,2}\S*)", text.splitlines()[line - 1]) if line else None
        if date:  # tomllib reads 2020-13-45 as a syntax error: say what it is
            msg += f": '{date.group(1)}' is not a valid date (YYYY-MM-DD, month 01-12, a day the month has)"
        problems.append(Problem(code, path, f"malformed TOML: {msg}",
                                "correct the TOML syntax at that line (https://toml.io)", line=line))
        return None
    except RecursionError:
        data = None
    if flat is not None:  # two levels at most, and every string as written: a search of the text
        bad = _unwritable(data) if UNWRITABLE.search(text) else ""  # finds what the walk would find
    elif data is None or _depth(data) > MAX_DEPTH:
        problems.append(Problem("C165", path, f"tables or arrays are nested more than {MAX_DEPTH} deep",
                                "the corpus format needs at most three levels: flatten the structure"))
        return None
    else:
        bad = _unwritable(data)
    if bad:
        lines = [i for i, line in enumerate(text.splitlines(), 1)
                 if ESCAPED_UNWRITABLE.search(line) and not QUOTING.match(line)] or [None]
        for line in lines:
            problems.append(Problem(
                "C169", path, f"a value holds {bad}, which no edition can carry (XML and PDF text cannot)",
                "remove it: write editorial text without control characters (a tab or a new line is fine)",
                line=line))
        return None
    return Doc(path, text, data, problems)


# Characters XML 1.0 cannot carry (C0 controls but tab, LF, CR; U+FFFE, U+FFFF; lone surrogates):
# in editorial text they are a mistake, refused (C169); in a source they are shown as markers.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
ESCAPED_UNWRITABLE = re.compile(r"(?<!\\)(?:\\\\)*\\(?:u00(?:0[0-8bcef]|1[0-9a-f])|U000000(?:0[0-8bcef]|1[0-9a-f])"
                                r"|u[fF]{3}[eEfF]|U0000[fF]{3}[eEfF])", re.IGNORECASE)


QUOTING_KEYS = ("exact", "prefix", "suffix")
QUOTING = re.compile(r"\s*(?:exact|prefix|suffix)\s*=")


def unwritable_in(text: str) -> str:
    """'U+0000' for the first character of text no edition can carry, or ''."""
    m = UNWRITABLE.search(text)
    return f"U+{ord(m.group()):04X}" if m else ""


def _unwritable(value: object) -> str:
    """The first character no edition can carry in any key or string of value, as 'U+XXXX', or ''.
    A note's exact, prefix and suffix quote the source, whatever it holds: they are not checked."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found = unwritable_in(item)
            if found:
                return found
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(v for k, v in item.items() if k not in QUOTING_KEYS)
        elif isinstance(item, list):
            stack.extend(item)
    return ""


def _depth(value: object) -> int:
    """How deeply tables and arrays nest in value (without recursion)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
            stack.extend((child, depth + 1) for child in children)
    return deepest


class Doc:
    """A parsed TOML file that knows where its keys are, for error messages."""

    def __init__(self, path: Path, text: str, data: dict, problems: list[Problem]):
        self.path, self.text, self.data, self.problems = path, text, data, problems
        self.lines = text.splitlines()

    def line_of(self, key: str, after: int = 0) -> int | None:
        pattern = re.compile(rf"^\s*(\[+\s*)?[\"']?{re.escape(key)}[\"']?\s*(=|\]|\.)")
        for i, line in enumerate(self.lines[after:], start=after + 1):
            if pattern.match(line):
                return i
        return None

    def problem(self, code: str, message: str, fix: str = "", key: str | None = None,
                line: int | None = None) -> None:
        if line is None and key:
            line = self.line_of(key.split(".")[-1])
        self.problems.append(Problem(code, self.path, message, fix, line))

    def get(self, table: dict, key: str, kind: type | tuple = str, required: bool = False,
            default: Any = None, where: str = "") -> Any:
        name = f"{where}{key}"
        if key not in table:
            if required:
                self.problem("C110", f"required field '{name}' is missing",
                             f"add `{key} = …` to {'[' + where.rstrip('.') + ']' if where else 'the file'}",
                             line=self.line_of(where.rstrip(".")) if where else None)
            return default
        value = table[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            want = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.problem("C111", f"field '{name}' should be {_noun(want)}, not {type(value).__name__}",
                         f"write '{name}' as {_noun(want)}", key=key)
            return default
        if kind is str and required and not value.strip():
            self.problem("C110", f"required field '{name}' is empty", f"give '{name}' a value", key=key)
        return value

    def unknown(self, table: dict, allowed: set[str], where: str = "") -> None:
        for key in table:
            if key not in allowed:
                self.problem("C112", f"unknown field '{where}{key}'",
                             f"remove it, or use one of: {', '.join(sorted(allowed))}", key=key)


def _noun(name: str) -> str:
    return {"str": "a string", "int": "an integer", "list": "a list", "dict": "a table",
            "bool": "true or false", "date": "a date (YYYY-MM-DD)"}.get(name, name)

"""A quick reading of the plainest TOML: what `tomllib.loads` would give, or None to let it read.

Provenance sidecars written by hand or by a bulk import are mostly lines of `key = "text"` under
`[table]` headers; at 10,000 sources `tomllib` spent about a second of a build's single-process
time on them (docs/performance.md, "The corpus loaded"). This reads only that plain form: bare
keys, basic strings with no escape, `true` / `false`, decimal integers (no sign, no underscore),
one level of `[table]` or `[[array]]` of tables (a notes file's `[[notes]]`), whole-line and
trailing comments, blank lines. Any other line (an array, a float, a date, an escape, a dotted or
quoted key, a literal string, a table header seen twice, a key given twice, a carriage return, a
control character) gives None, and tomllib reads the file as before: its result, or its error
with its line, is then the same as ever. So the reading never differs from tomllib's; where it
reads at all, it gives the same dict, keys in the same order (tests/test_tomlflat.py).
"""

from __future__ import annotations

import re

_KEY = r"[A-Za-z0-9_-]+"
_COMMENT = r"(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?"  # TOML: no control character but tab in a comment
_SPACE = r"[ \t]*"
# a basic string without escapes: no quote, backslash or control character but tab
_LINE = re.compile(
    rf"{_SPACE}(?:"
    rf"(?P<key>{_KEY}){_SPACE}={_SPACE}(?:\"(?P<text>[^\"\\\x00-\x08\x0a-\x1f\x7f]*)\"|(?P<flag>true|false)"
    rf"|(?P<number>0|[1-9][0-9]{{0,17}}))"
    rf"|\[{_SPACE}(?P<table>{_KEY}){_SPACE}\]"
    rf"|\[\[{_SPACE}(?P<array>{_KEY}){_SPACE}\]\]"
    rf")?{_SPACE}{_COMMENT}\Z")


def loads(text: str) -> dict | None:
    """The document of text when it is of the plain form, else None (read it with tomllib)."""
    if "\r" in text:
        return None
    data: dict = {}
    table = data
    arrays: set[str] = set()  # the names of [[arrays]] of tables
    for line in text.split("\n"):
        m = _LINE.match(line)
        if m is None:
            return None
        key = m.group("key")
        if key is not None:
            if key in table:  # a key given twice: tomllib's error
                return None
            text_, number = m.group("text"), m.group("number")
            table[key] = text_ if text_ is not None else int(number) if number is not None else m.group("flag") == "true"
            continue
        name = m.group("table")
        if name is not None:
            if name in data:  # a table given twice, or a key's or an array's name: tomllib's error
                return None
            table = data[name] = {}
            continue
        name = m.group("array")
        if name is not None:
            if name in data and name not in arrays:  # a key's or a table's name: tomllib's error
                return None
            arrays.add(name)
            table = {}
            data.setdefault(name, []).append(table)
    return data

"""What a long command is doing, on stderr: progress on a terminal, and warnings summarised.

Progress is shown only when stderr is a terminal and `archive --quiet` was not given; in a pipe
or a log it says nothing. `archive --verbose` adds one line per step (what it did, how long it
took), terminal or not, and lists every warning. Nothing here touches an edition: the outputs
are the same bytes whatever is shown (tests/test_progress.py).

    for source in progress.each("sources read", sources): ...
    with progress.step("PDF laid out"): ...
    for line in progress.warnings(result.warnings): click.echo(line, err=True)
"""

from __future__ import annotations

import re
import sys
import time
from contextlib import contextmanager
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")

FIRST = 3  # warnings of one kind shown before they are summarised
REDRAW = 0.1  # seconds between two drawings of a counter

quiet = False
verbose = False


def configure(*, quiet_: bool = False, verbose_: bool = False) -> None:
    """Set from the global options `archive --quiet` / `--verbose`."""
    global quiet, verbose
    quiet, verbose = quiet_, verbose_


def shown() -> bool:
    """Is progress drawn? On a terminal, unless --quiet."""
    try:
        return not quiet and sys.stderr.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stderr
        return False


def _write(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed terminal never stops the build
        pass


def _said(label: str, count: int | None, started: float) -> None:
    """The end of a step: its line under --verbose; the counter cleared on a terminal."""
    if shown():
        _write("\r\x1b[K")
    if verbose and not quiet:
        what = f": {count:,}" if count is not None else ""
        _write(f"archive: {label}{what} ({time.monotonic() - started:.1f} s)\n")


def each(label: str, items: Iterable[T]) -> Iterator[T]:
    """Items one by one, counted on a terminal as `label: 12/340`."""
    items = list(items)
    total, started, drawn = len(items), time.monotonic(), 0.0
    draw = shown()
    try:
        for done, item in enumerate(items):
            now = time.monotonic()
            if draw and (done == 0 or now - drawn >= REDRAW):
                _write(f"\r\x1b[Karchive: {label}: {done:,}/{total:,}")
                drawn = now
            yield item
        if draw:
            _write(f"\r\x1b[Karchive: {label}: {total:,}/{total:,}")
    finally:  # also when the loop stops early: the line is cleared, a message starts clean
        _said(label, total, started)


@contextmanager
def step(label: str) -> Iterator[None]:
    """A step without a count (a layout, a read-back): its name while it runs."""
    started = time.monotonic()
    if shown():
        _write(f"\r\x1b[Karchive: {label} …")
    try:
        yield
    finally:
        _said(label, None, started)


WARNING = re.compile(r"^(?P<where>.*?):? ?warning (?P<code>[A-Z]\d+): (?P<what>.*)$", re.S)


def warnings(lines: Iterable[str]) -> list[str]:
    """Warnings to print: each kind with more than FIRST summarised in one line (a count, what,
    where the first few are), unless --verbose. Order: as they came, a summary where its kind began."""
    lines = list(lines)
    if verbose:
        return lines
    kinds: dict[str, list[re.Match]] = {}
    for line in lines:
        m = WARNING.match(line)
        if m:
            kinds.setdefault(m["code"], []).append(m)
    out: list[str] = []
    summarised: set[str] = set()
    for line in lines:
        m = WARNING.match(line)
        many = kinds.get(m["code"], []) if m else []
        if len(many) <= FIRST:
            out.append(line)
        elif m["code"] not in summarised:
            summarised.add(m["code"])
            what = _common(many[0]["what"], many[1]["what"])
            first = ", ".join(w["where"] or "?" for w in many[:FIRST])
            out.append(f"warning {m['code']} ×{len(many)}: {what} (first {FIRST}: {first}; "
                       "--verbose lists all)")
    return out


def _common(one: str, other: str) -> str:
    """What two warnings of a kind say alike: up to a bracket or a semicolon, the words that differ
    (an id, a file name) shown as '…'."""
    a, b = (re.split(r" \(|; ", text, maxsplit=1)[0].split(" ") for text in (one, other))
    if len(a) != len(b):
        return " ".join(a)
    return " ".join(x if x == y else "…" for x, y in zip(a, b))

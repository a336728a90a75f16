"""The time an event happened, as the deposit records it.

The editions carry the edition's date (archive.toml) so that they are reproducible; the deposit's
preservation records (PREMIS events, Bagging-Date) carry the time each event really happened.
Where `SOURCE_DATE_EPOCH` is set (reproducible-builds.org) it stands in for the clock, so that a
deposit made with it set is byte-identical across runs. This is the only module that reads the clock.
"""

from __future__ import annotations

import datetime as dt
import os


def now() -> dt.datetime:
    """SOURCE_DATE_EPOCH when set, else the clock: UTC, to the second."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def stamp(when: dt.datetime) -> str:
    """ISO 8601 in UTC with a Z, as PREMIS eventDateTime and W3C annotations write it."""
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> dt.datetime | None:
    """A stamp written by stamp() (or any ISO 8601 date-time with a zone) back; None if it is not one."""
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else None


def receipt_edtf(recorded: str, before: dt.date) -> str:
    """When a source was received, in EDTF (ISO 8601-2), as PREMIS 3 allows in eventDateTime.

    The date recorded on receipt when there is one; otherwise only a bound is known: the source was
    in the corpus before `before` (the earliest date the project worked on it), written
    `[..YYYY-MM-DD]` ("one of a set: on or before"); with no bound either, `XXXX` (unspecified).
    """
    if recorded:
        return recorded
    return f"[..{before.isoformat()}]" if before else "XXXX"

"""Out of date is not damaged. An edition (or a bag) records what it was made from: the SHA-256 of
each original, in order, and the notes on each (W3C annotations). Against a corpus, a record that
differs from the corpus means the file was made before a change to the corpus: out of date. Damage
is a file that does not match its own record; that is judged separately, against the record.
"""

from __future__ import annotations

from .report import Expected, Report


def changes(own: Expected, corpus: Expected) -> list[str]:
    """How the corpus differs from what the file records, each as "<what changed>"; [] when it is current."""
    found = []
    mine = [(s.file_name, s.sha256) for s in own.archive.sources]
    theirs = [(s.file_name, s.sha256) for s in corpus.archive.sources]
    recorded = dict(mine)
    now = dict(theirs)
    for name, sha in theirs:
        if name not in recorded:
            found.append(f"source {name} was added")
        elif recorded[name] != sha:
            found.append(f"source {name} was replaced (SHA-256 {recorded[name][:12]}… then, {sha[:12]}… now)")
    for name, _ in mine:
        if name not in now:
            found.append(f"source {name} was removed")
    kept = [n for n, _ in theirs if n in recorded]
    if not found and [n for n, _ in mine if n in now] != kept:
        found.append("the sources were put in a new order")
    if own.notes is not None and corpus.notes is not None:
        ids = {s.file_name: s.id for s in corpus.archive.sources}
        own_ids = {s.file_name: s.id for s in own.archive.sources}
        for name in kept:
            was, is_ = own.notes.get(own_ids[name], 0), corpus.notes.get(ids[name], 0)
            if was != is_:
                found.append(f"the notes on {ids[name]} changed ({was} in the file, {is_} in the corpus)")
    return found


def message(found: list[str], against: str) -> str:
    return f"out of date: made before a change to {against}: " + "; ".join(found)


def judged_against(own: Expected, corpus: Expected | None, own_damaged: bool, report: Report,
                   label: str) -> Expected:
    """What a file is checked against: its own record, unless a corpus is given and the record
    matches it (then the corpus, with its titles and provenance), or the record of the bag it is in. A record that differs from the
    corpus is reported out of date, and the file is still checked for damage against its record;
    a record that cannot be read whole is damage already, and the file is checked against the corpus."""
    if corpus is None:
        return own
    if own_damaged or not corpus.corpus:  # inside a bag, editions and the bag's record must agree: damage
        return corpus
    found = changes(own, corpus)
    if not found:
        return corpus
    report.out_of_date(label, message(found, corpus.against))
    return own

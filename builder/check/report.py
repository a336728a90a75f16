"""What `archive check` finds: each damaged thing (Finding), the Report that gathers them with
the checks that held, the validators that could not run and the inputs that could not be read,
and what an edition must hold (Expected). The Report decides the exit code: 0 all holds;
1 damage found, or an edition out of date with the corpus; 2 unreadable input or bad usage;
3 a validator could not run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..errors import EXIT_FAULT, EXIT_INPUT, EXIT_OK, EXIT_VALIDATOR
from ..model import Archive


@dataclass(frozen=True)
class Finding:
    """One thing damaged: in which file, what is wrong, and where in it."""

    file: str
    what: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.file}{':' + self.where if self.where else ''}: {self.what}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)  # checks that held, in words
    unavailable: list[str] = field(default_factory=list)  # validators that could not run
    unreadable: list[str] = field(default_factory=list)  # inputs that could not be read
    stale: list[Finding] = field(default_factory=list)  # whole, but made before a change to the corpus

    def damage(self, file: str, what: str, where: str = "") -> None:
        self.findings.append(Finding(file, what, where))

    def out_of_date(self, file: str, what: str, where: str = "") -> None:
        self.stale.append(Finding(file, what, where))

    @property
    def exit_code(self) -> int:
        if self.unreadable:
            return EXIT_INPUT
        if self.findings or self.stale:  # either way the check against the corpus does not hold
            return EXIT_FAULT
        if self.unavailable:
            return EXIT_VALIDATOR
        return EXIT_OK

    def as_dict(self) -> dict:
        return {"ok": self.exit_code == EXIT_OK, "exit_code": self.exit_code,
                "findings": [asdict(f) for f in self.findings], "out_of_date": [asdict(f) for f in self.stale],
                "passed": self.passed,
                "validators_unavailable": self.unavailable, "unreadable": self.unreadable}

    def text(self) -> str:
        lines = [f"unreadable: {u}" for u in self.unreadable]
        lines += [f"DAMAGED {f}" for f in self.findings]
        lines += [f"OUT OF DATE {f}" for f in self.stale]
        lines += [f"not run: {u}" for u in self.unavailable]
        lines += [f"ok: {p}" for p in self.passed]
        fault = " ".join(x for x in (f"{len(self.findings)} damaged item(s) found." if self.findings else "",
                                     f"{len(self.stale)} item(s) out of date (whole, but made before a change "
                                     "to the corpus)." if self.stale else "") if x)
        verdict = {EXIT_OK: "All checks hold.", EXIT_FAULT: fault,
                   EXIT_INPUT: "Some input could not be read.",
                   EXIT_VALIDATOR: "No damage found, but a validator could not run."}[self.exit_code]
        return "\n".join(lines + [verdict])


@dataclass(frozen=True)
class Expected:
    """What an edition must hold: the sources in order (with their bytes), and the notes per source."""

    archive: Archive
    notes: dict[str, int] | None = None  # source id -> number of notes; None: not known
    against: str = "its own records"
    corpus: bool = False  # the archive is a loaded corpus (titles, provenance), not rebuilt from files


"""Errors a user can act on. Library code raises these; only the CLI prints them.

Exit codes: 0 success; 1 a fault of the tool or damage found by a check; 2 bad input or
usage; 3 a validator could not run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK, EXIT_FAULT, EXIT_INPUT, EXIT_VALIDATOR = 0, 1, 2, 3


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where, what, and how to fix it."""

    code: str  # stable id, e.g. "C104"
    path: Path | None
    message: str
    fix: str = ""
    line: int | None = None
    where: str = ""  # what is wrong when it is not a file: "SOURCE_DATE_EPOCH", "--out"

    def __str__(self) -> str:
        where = self.where or (str(self.path) if self.path else "corpus")
        if self.line:
            where += f":{self.line}"
        text = f"{where}: error {self.code}: {self.message}"
        return text + (f"\n    fix: {self.fix}" if self.fix else "")


class ArchiveError(Exception):
    exit_code = EXIT_FAULT


class CorpusError(ArchiveError):
    """The corpus has problems; every one found is listed, not just the first."""

    exit_code = EXIT_INPUT

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) in the corpus")

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems]
        lines.append(f"{len(self.problems)} problem(s) found; nothing was written.")
        return "\n".join(lines)


class UsageError(ArchiveError):
    exit_code = EXIT_INPUT


class ValidatorUnavailable(ArchiveError):
    """A validator (EPUBCheck, qpdf, ...) could not run: not the same as a failed check."""

    exit_code = EXIT_VALIDATOR


class DamageFound(ArchiveError):
    """A check found damage: the output is not what the corpus says it should be."""

    exit_code = EXIT_FAULT

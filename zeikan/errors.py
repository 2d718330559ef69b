"""Errors a user can read, each with the exit status CONTRACT §3 gives it.

A bad file is reported as `Problem`s naming the file, the row (the month as printed, with its line), the
column and the rule that failed, so an operator can open the raw file and see it without reading code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One broken rule at one place in one file."""

    file: str
    rule: str
    row: str | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        found = f" (found {self.value!r})" if self.value is not None else ""
        return f"{', '.join(where)}: {self.rule}{found}"


class ZeikanError(Exception):
    """Base of every error zeikan raises on purpose; `exit_code` is what the command exits with."""

    exit_code = 1


class BadInput(ZeikanError):
    """The source file breaks a rule: exit 2, and nothing is written to the warehouse.

    `quarantined` is the folder where the refused raw files and every problem were kept, once they are
    (tasks/quarantine.py); the message then ends by saying where.
    """

    exit_code = 2

    def __init__(self, problems: list[Problem], limit: int = 20) -> None:
        self.problems = list(problems)
        self.quarantined: Path | None = None
        shown = "\n".join(f"  - {p}" for p in self.problems[:limit])
        more = len(self.problems) - limit
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"{self.headline}: {len(self.problems)} problem(s)\n{shown}{tail}")

    headline = "bad input"

    def __str__(self) -> str:
        text = super().__str__()
        if self.quarantined is None:
            return text
        return f"{text}\n  raw files and problems kept in quarantine: {self.quarantined}"

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.problems,), {"quarantined": self.quarantined})


class SourceFormatError(BadInput):
    """The file is not in the layout MOF publishes (encoding, header rows, cells)."""

    headline = "source format error"


class ValidationFailed(BadInput):
    """The file parses but its numbers break a rule (pandera schemas in `schemas/`)."""

    headline = "validation failed"


class ReleaseNotPublished(ZeikanError):
    """The month asked for is not in the source yet: exit 3, try again later."""

    exit_code = 3


class SourceUnavailable(ZeikanError):
    """The source could not be read (network, missing file, refused): exit 1 after retries."""

    exit_code = 1


class SourceNotFound(SourceUnavailable):
    """The source answered that the file is not there (HTTP 404, no such file): for a press release,
    "not published yet"."""


class TransientSourceError(SourceUnavailable):
    """A fault worth retrying: a timeout, a dropped connection, a 5xx or 429 answer."""


class InvalidRequest(ZeikanError):
    """A parameter the caller gave is wrong (a malformed month, start after end): exit 2."""

    exit_code = 2

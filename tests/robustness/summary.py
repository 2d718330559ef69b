"""The reliability figures: what the robustness tests tried and what it cost, added up from their records.

Shared by the end of a pytest run (`tests/robustness/conftest.py`) and by
`python benchmarks/reliability_report.py`, so both print the same table.
"""

from __future__ import annotations

import os
import platform
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from benchmarks.machine import cpu_model
from zeikan.markdown import markdown_table

# A record whose outcome starts with this is a check that did not hold (written before the test fails).
FAILED = "FAILED"


@dataclass(frozen=True)
class Figures:
    """The report's numbers."""

    bad_inputs: int
    property_examples: int
    faults_injected: int
    crashes: int
    crashes_survived: int
    concurrency_checks: int
    security_checks: int
    rows_lost: int
    duplicates: int
    failures: list[str]

    @property
    def inputs_tried(self) -> int:
        return self.bad_inputs + self.property_examples

    @property
    def nothing_lost(self) -> bool:
        return self.rows_lost == 0 and self.duplicates == 0 and not self.failures


def number(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def add_up(records: list[dict[str, object]]) -> Figures:
    """Figures from the records: a property record counts its `examples`, every other record counts one;
    a crash counts as survived when its record says `survived: true`."""
    kinds = Counter(str(r["kind"]) for r in records)
    crashes = [r for r in records if r["kind"] == "crash"]
    failures = [
        f"{r['kind']} {r['name']}: {r['outcome']}"
        for r in records
        if str(r.get("outcome", "")).startswith(FAILED)
    ]
    return Figures(
        bad_inputs=kinds["bad_input"],
        property_examples=sum(number(r.get("examples", 1)) for r in records if r["kind"] == "property"),
        faults_injected=kinds["network_fault"],
        crashes=len(crashes),
        crashes_survived=sum(1 for r in crashes if r.get("survived") is True),
        concurrency_checks=kinds["concurrency"],
        security_checks=kinds["security"],
        rows_lost=sum(number(r.get("rows_lost", 0)) for r in records),
        duplicates=sum(number(r.get("duplicates", 0)) for r in records),
        failures=failures,
    )


def machine() -> str:
    import duckdb
    import prefect

    cores = f"{cpu_model()}, {os.cpu_count()} cores"
    python = platform.python_version()
    versions = f"Python {python}, prefect {prefect.__version__}, duckdb {duckdb.__version__}"
    return f"{platform.system()} {platform.machine()} ({cores}), {versions}"


def render(figures: Figures, when: datetime | None = None) -> list[str]:
    """The report as lines of text (a Markdown table, so it can be pasted into the README)."""
    when = when or datetime.now(UTC)
    rows = [
        (
            "inputs tried",
            f"{figures.inputs_tried:,}",
            f"{figures.bad_inputs} bad inputs, {figures.property_examples:,} property examples",
        ),
        ("faults injected", f"{figures.faults_injected:,}", "network faults"),
        (
            "crashes survived",
            f"{figures.crashes_survived} of {figures.crashes}",
            "kill -9 from download to publish",
        ),
        ("concurrency checks", f"{figures.concurrency_checks}", "runs of one month started together"),
        ("security checks", f"{figures.security_checks}", "secrets, parameters, SQL, paths"),
        ("rows lost", f"{figures.rows_lost}", "must be 0"),
        ("duplicates", f"{figures.duplicates}", "must be 0"),
    ]
    lines = [
        f"zeikan reliability report, {when:%Y-%m-%d %H:%M} UTC, {machine()}",
        "",
        *markdown_table(("figure", "value", "what"), rows, right={"value"}),
    ]
    if figures.failures:
        lines += ["", "FAILED:", *(f"  - {failure}" for failure in figures.failures)]
    lines += [
        "",
        "nothing lost or duplicated" if figures.nothing_lost else "SOMETHING WAS LOST OR DUPLICATED",
    ]
    return lines

"""What the robustness tests tried, for the reliability report.

Each test that injects a fault or a bad input records one line (JSON) in build/reliability/; the report
(`python benchmarks/reliability_report.py`, or the end of a pytest run) adds them up so the figures can
be quoted: inputs tried, faults injected, crashes survived, rows lost.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import REPO

RECORDS = Path(os.environ.get("ZEIKAN_RELIABILITY_DIR", REPO / "build" / "reliability"))


def record(kind: str, name: str, outcome: str, rows_lost: int = 0, **detail: object) -> None:
    """Append one result: `kind` is bad_input, network_fault, crash, concurrency, property or security."""
    RECORDS.mkdir(parents=True, exist_ok=True)
    line = {"kind": kind, "name": name, "outcome": outcome, "rows_lost": rows_lost, **detail}
    with (RECORDS / f"{kind}.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, default=str) + "\n")


def read_all() -> list[dict[str, object]]:
    """Every recorded result."""
    if not RECORDS.is_dir():
        return []
    return [
        json.loads(line) for path in sorted(RECORDS.glob("*.jsonl")) for line in path.read_text().splitlines()
    ]

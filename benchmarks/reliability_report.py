"""Reliability report: what the robustness tests tried, and that nothing was lost or duplicated.

The tests in tests/robustness/ record each input, fault, crash and check they try as a line of JSON in
build/reliability/ (ZEIKAN_RELIABILITY_DIR). This script adds them up and prints a table that can be
quoted: inputs tried, faults injected, crashes survived, concurrency and security checks, rows lost,
duplicates, with the date and the machine. It exits 1 if any row was lost or duplicated or any check
failed, and 2 if there is nothing to report.

Usage:
    python benchmarks/reliability_report.py          # the records of the last robustness run
    python benchmarks/reliability_report.py --run    # run `python -m pytest tests/robustness -q` first
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.robustness.record import RECORDS, read_all  # noqa: E402
from tests.robustness.summary import add_up, render  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true", help="run the robustness tests first")
    options = parser.parse_args()
    if options.run:
        started = time.monotonic()
        command = [sys.executable, "-m", "pytest", "tests/robustness", "-q"]
        tests = subprocess.run(command, cwd=REPO, check=False)
        print(f"\ntests/robustness: exit {tests.returncode} in {time.monotonic() - started:.0f} s\n")
        if tests.returncode != 0:
            print("some robustness tests failed; the figures below count what was recorded")
    records = read_all()
    if not records:
        print(f"no records in {RECORDS}: run `python -m pytest tests/robustness` (or pass --run)")
        return 2
    figures = add_up(records)
    recorded = max(path.stat().st_mtime for path in RECORDS.glob("*.jsonl"))
    print("\n".join(render(figures, datetime.fromtimestamp(recorded, UTC))))
    return 0 if figures.nothing_lost and (not options.run or tests.returncode == 0) else 1


if __name__ == "__main__":
    sys.exit(main())

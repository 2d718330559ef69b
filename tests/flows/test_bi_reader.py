"""A BI tool stays connected through a backfill and a revision: no errors, no torn data, short waits.

A real second process (`tests/bi_reader.py`) reads the serving copy through SQLAlchemy and duckdb-engine,
reconnecting for every snapshot as a dashboard refresh does, while this process loads the warehouse
through Prefect: first the whole history, then a backfill of 320 months (headlines committed chunk by
chunk), then a revision that raises February 2026's imports by ¥100 bn (in d41ma, and consistently in
d61ma's total and mineral-fuels group) at a later vintage.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from flows.backfill import BackfillRequest, backfill
from flows.monthly_release import monthly_release
from tests.bi_reader import inconsistencies
from tests.conftest import REPO, copy_source
from tests.revision import revised_source
from zeikan.settings import Settings
from zeikan.warehouse.serving import serving_file, serving_reader

pytestmark = pytest.mark.real_data

FIRST, SECOND = date(2026, 9, 20), date(2026, 10, 20)
LONGEST_WAIT_BOUND_S = 2.0


def published_at(path: Path) -> str:
    """The publication time the serving copy at `path` holds, as the reader prints it."""
    with serving_reader(path) as con:
        return str(con.execute("SELECT published_at FROM marts.serving_copy").fetchone()[0])


def wait_for(condition, reader: subprocess.Popen, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert reader.poll() is None, f"the reader exited early: {reader.stderr.read()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_dashboard_reads_through_a_backfill_and_a_revision(prefect_api, mof_data, tmp_path):
    warehouse = tmp_path / "wh" / "zeikan.duckdb"
    serving = serving_file(Settings().with_overrides(warehouse=warehouse).serving_folder)
    dfiles = copy_source(mof_data, tmp_path / "dfiles")
    revised = revised_source(mof_data, tmp_path / "revised")
    monthly_release(period="2026-08", source=str(dfiles), warehouse=str(warehouse), as_of=FIRST)

    control = tmp_path / "reader"
    control.mkdir()
    stop, report = control / "STOP", control / "report.json"
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.bi_reader", str(serving), str(stop), str(report), "--max-seconds=300"],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for((control / "READY").exists, reader, 60, "the reader's first snapshot")
        common = {"source": str(mof_data), "warehouse": str(warehouse), "as_of": FIRST}
        backfill(request=BackfillRequest(start="2000-01", end="2026-08"), **common)
        monthly_release(period="2026-08", source=str(revised), warehouse=str(warehouse), as_of=SECOND)
        last = published_at(serving)
        pending = control / ".STOP.tmp"
        pending.write_text(last)
        pending.replace(stop)  # the reader never sees a half-written stop file
        assert reader.wait(timeout=120) == 0, reader.stderr.read()
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()

    seen = json.loads(report.read_text())
    print(
        f"\nBI reader: {seen['snapshots']} snapshots, {seen['queries']} queries, "
        f"{len(seen['versions'])} versions; longest query {seen['longest_query_s'] * 1000:.1f} ms, "
        f"longest snapshot (connect + {len(seen['versions'][last]['row_counts']) + 4} queries) "
        f"{seen['longest_snapshot_s'] * 1000:.1f} ms"
    )
    assert seen["stopped_by"] == "stop file"
    assert seen["error_count"] == 0, seen["errors"]
    assert seen["inconsistent_snapshots"] == 0 and seen["problems"] == [], seen["problems"]
    assert seen["snapshots"] >= 20
    versions = seen["versions"]
    assert len(versions) >= 2 and last in versions
    assert {v["latest_vintage"] for v in versions.values()} == {str(FIRST), str(SECOND)}
    assert versions[last]["latest_vintage"] == str(SECOND)
    assert str(SECOND) in versions[last]["vintages"]
    assert 0 < seen["longest_snapshot_s"] < LONGEST_WAIT_BOUND_S
    assert 0 < seen["longest_query_s"] <= seen["longest_snapshot_s"]


def test_the_reader_would_notice_a_torn_snapshot():
    """The check above is not vacuous: a month whose balance and categories come from two releases fails."""
    feb = date(2026, 2, 1)
    provenance = (2, SECOND, feb, "t")
    balance = [(feb, 100, 250, SECOND)]
    whole = [(feb, "export", 100, FIRST), (feb, "import", 250, SECOND)]
    assert inconsistencies(provenance, balance, whole) == []
    torn = [(feb, "export", 100, FIRST), (feb, "import", 150, FIRST)]  # imports before the revision
    assert inconsistencies(provenance, balance, torn) == [
        "2026-02-01: balance 100/250 but category totals 100/150",
        "2026-02-01: balance of vintage 2026-10-20, category totals of 2026-09-20",
    ]
    one_direction = inconsistencies(provenance, balance, whole[:1])
    assert one_direction == ["2026-02-01: category totals for ['export'] only"]

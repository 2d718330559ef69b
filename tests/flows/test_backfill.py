"""The backfill flow: a range of months, progress on the Prefect API, resumable, safe to repeat."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from pydantic import ValidationError

from flows.backfill import BackfillRequest, backfill
from zeikan.errors import ReleaseNotPublished
from zeikan.warehouse import DuckDBFileWarehouse

pytestmark = pytest.mark.real_data

SKIPPED = "skipped: already published at this vintage"


@pytest.fixture(scope="module")
def filled(prefect_api, mof_data, tmp_path_factory):
    """A backfill that stopped after 2025-06, then the whole range: the second run resumes."""
    warehouse = tmp_path_factory.mktemp("wh") / "zeikan.duckdb"
    common = {"source": str(mof_data), "warehouse": str(warehouse)}
    first = backfill(request=BackfillRequest(start="2024-07", end="2025-06"), **common)
    second = backfill(request=BackfillRequest(start="2024-07", end="2026-08"), **common)
    return warehouse, first, second


def artifact(key: str):
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return max(found, key=lambda a: a.created) if found else None


def test_every_month_in_the_range_gets_a_headline(filled):
    warehouse, _, outcome = filled
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT period, stage FROM marts.release_headlines ORDER BY period, vintage"
        ).fetchall()
        (months,) = con.execute("SELECT count(*) FROM marts.trade_balance_monthly").fetchone()
    from_dfiles = [p for p, stage in rows if stage in ("confirmed", "revised")]
    assert from_dfiles[0] == date(2024, 7, 1) and from_dfiles[-1] == date(2026, 8, 1)
    assert len(from_dfiles) == len(set(from_dfiles)) == 26
    # the press releases of the recent months in the range add their own first-print headlines
    assert [(p, s) for p, s in rows if s not in ("confirmed", "revised")] == [
        (date(2026, 4, 1), "preliminary"),
        (date(2026, 4, 1), "detailed"),
        (date(2026, 5, 1), "preliminary"),
    ]
    assert months > 500  # the whole history is loaded, headlines cover the range asked for
    assert outcome.periods == from_dfiles


def test_a_rerun_resumes_after_the_months_already_published(filled):
    _, first, second = filled
    assert set(first.month_outcomes.values()) == {"published"} and len(first.month_outcomes) == 12
    assert [second.month_outcomes[date(2024, m, 1)] for m in (7, 12)] == [SKIPPED, SKIPPED]
    assert second.month_outcomes[date(2025, 6, 1)] == SKIPPED
    assert {second.month_outcomes[date(2025, 7, 1)], second.month_outcomes[date(2026, 8, 1)]} == {"published"}
    # the d-files were loaded by the first run; only the press releases of the newly covered months are new
    assert [r.kind for r in second.new_releases] == ["press", "press", "press"]


def test_progress_and_the_summary_artifacts(filled):
    progress = artifact("backfill-progress")
    assert progress is not None and progress.type == "progress"
    assert float(progress.data) == pytest.approx(100.0)
    summary = artifact("backfill-summary")
    assert (
        summary is not None and "| published | 14 |" in summary.data and f"| {SKIPPED} | 12 |" in summary.data
    )
    months = artifact("backfill-months")
    assert months is not None and months.type == "table"
    assert '"month": "2026-08"' in months.data and "Japan posted a trade deficit" in months.data
    headline = artifact("release-headline")
    assert headline is not None and "| 2026-08 |" in headline.data


def test_repeating_the_backfill_changes_nothing_and_force_republishes(filled, mof_data):
    warehouse, _, _ = filled
    common = {"source": str(mof_data), "warehouse": str(warehouse)}
    before = DuckDBFileWarehouse(warehouse).checksums()
    again = backfill(request=BackfillRequest(start="2024-07", end="2026-08"), **common)
    assert not again.changed and set(again.month_outcomes.values()) == {SKIPPED}
    forced = backfill(request=BackfillRequest(start="2024-07", end="2026-08", force=True), **common)
    assert set(forced.month_outcomes.values()) == {"unchanged"}  # recomputed, and identical
    assert DuckDBFileWarehouse(warehouse).checksums() == before


def test_requests_are_checked_before_any_work():
    with pytest.raises(ValidationError, match="start 2026-05 is after end 2026-01"):
        BackfillRequest(start="2026-05", end="2026-01")
    with pytest.raises(ValidationError, match="before MOF's first month 1979-01"):
        BackfillRequest(start="1978-12", end="1979-03")
    with pytest.raises(ValidationError, match="String should match pattern"):
        BackfillRequest(start="2026-13", end="2026-12")
    with pytest.raises(ValidationError, match="newest month MOF has released"):
        BackfillRequest(start="2026-01", end="2099-01")


def test_a_month_the_source_lacks_is_not_published(prefect_api, mof_data, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with pytest.raises(ReleaseNotPublished, match="2026-09"):
        backfill(
            request=BackfillRequest(start="2026-01", end="2026-09"),
            source=str(mof_data),
            warehouse=str(warehouse),
        )
    assert not warehouse.exists()

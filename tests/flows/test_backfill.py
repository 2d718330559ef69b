"""The backfill flow: a range of months, progress on the Prefect API, safe to repeat."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from flows.backfill import backfill
from zeikan.errors import InvalidRequest, ReleaseNotPublished
from zeikan.warehouse import DuckDBFileWarehouse

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def filled(prefect_api, mof_data, tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("wh") / "zeikan.duckdb"
    outcome = backfill(start="2024-07", end="2026-08", source=str(mof_data), warehouse=str(warehouse))
    return warehouse, outcome


def artifact(key: str):
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return max(found, key=lambda a: a.created) if found else None


def test_every_month_in_the_range_gets_a_headline(filled):
    warehouse, outcome = filled
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


def test_progress_reaches_100_percent_and_the_summary_is_published(filled):
    progress = artifact("backfill-progress")
    assert progress is not None and progress.type == "progress"
    assert float(progress.data) == pytest.approx(100.0)
    summary = artifact("release-headline")
    assert summary is not None and "| 2026-08 |" in summary.data and "| 2024-07 |" in summary.data


def test_repeating_the_backfill_changes_nothing(filled, mof_data):
    warehouse, _ = filled
    before = DuckDBFileWarehouse(warehouse).checksums()
    again = backfill(start="2024-07", end="2026-08", source=str(mof_data), warehouse=str(warehouse))
    assert not again.changed
    assert DuckDBFileWarehouse(warehouse).checksums() == before


def test_ranges_outside_the_data_are_refused_before_loading(prefect_api, mof_data, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with pytest.raises(ReleaseNotPublished, match="2026-09"):
        backfill(start="2026-01", end="2026-09", source=str(mof_data), warehouse=str(warehouse))
    with pytest.raises(InvalidRequest, match="after"):
        backfill(start="2026-05", end="2026-01", source=str(mof_data), warehouse=str(warehouse))
    with pytest.raises(InvalidRequest, match="before the source's first month"):
        backfill(start="1978-12", end="1979-03", source=str(mof_data), warehouse=str(warehouse))
    assert not warehouse.exists()

"""The deployments as operators use them: registered on a real server, run by a real process worker."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import ConcurrencyLimitStrategy
from prefect.deployments import run_deployment
from prefect.exceptions import PrefectHTTPStatusError

pytestmark = pytest.mark.real_data


def headlines(settings, first: str, last: str) -> list[tuple[date, str]]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(
            "SELECT period, stage FROM marts.release_headlines WHERE period BETWEEN ? AND ? "
            "AND stage IN ('confirmed', 'revised') ORDER BY period",
            [first, last],
        ).fetchall()


def test_a_backfill_triggered_through_the_api_runs_on_the_worker(on_server):
    run = run_deployment(
        name="backfill/backfill",
        parameters={"request": {"start": "2025-09", "end": "2026-02"}},
        timeout=240,
    )
    assert run.state.is_completed(), run.state
    assert [p for p, _ in headlines(on_server.settings, "2025-09-01", "2026-02-01")] == [
        date(2025, 9, 1),
        date(2025, 10, 1),
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts()
    keys = {a.key for a in artifacts if a.flow_run_id == run.id}
    assert {"backfill-progress", "backfill-summary", "backfill-months", "release-report"} <= keys


def test_the_monthly_release_is_scheduled_in_tokyo_time(on_server):
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("scheduled-release/monthly-release")
    assert len(deployment.schedules) == 1
    schedule = deployment.schedules[0]
    assert schedule.slug == "tokyo-release-window"
    assert schedule.schedule.cron == "50 8 15-31 * 1-5"
    assert schedule.schedule.timezone == "Asia/Tokyo"
    assert schedule.schedule.day_or is False
    assert deployment.parameters == {"wait_minutes": 180, "poll_minutes": 10}


def test_writers_queue_one_at_a_time(on_server):
    with get_client(sync_client=True) as client:
        for name in ("scheduled-release/monthly-release", "backfill/backfill", "monthly-release/release"):
            options = client.read_deployment_by_name(name)
            assert (
                options.global_concurrency_limit is not None and options.global_concurrency_limit.limit == 1
            )
            assert options.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.ENQUEUE
        writer = client.read_global_concurrency_limit_by_name("zeikan-warehouse-writer")
    assert writer.limit == 1


def test_two_backfills_started_together_run_one_after_the_other(on_server):
    parameters = {"request": {"start": "2026-03", "end": "2026-04"}}
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("backfill/backfill")
        first = client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
        second = client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
    done = [run_deployment_wait(run.id) for run in (first, second)]
    assert all(run.state.is_completed() for run in done), [(r.state.name, r.state.message) for r in done]
    earlier, later = sorted(done, key=lambda run: run.start_time)
    assert later.start_time >= earlier.end_time  # the second waited for the first


def run_deployment_wait(flow_run_id, timeout_s: float = 240):
    """Wait for a flow run to end and return it (as the UI's run page would show it)."""
    import time

    deadline = time.monotonic() + timeout_s
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(flow_run_id)
            if run.state is not None and run.state.is_final():
                return run
            time.sleep(1)
    raise AssertionError(f"flow run {flow_run_id} did not finish in {timeout_s} s")


def test_a_malformed_month_from_the_ui_is_refused_with_the_reason(on_server):
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("backfill/backfill")
        with pytest.raises(PrefectHTTPStatusError) as refused:
            client.create_flow_run_from_deployment(
                deployment.id, parameters={"request": {"start": "2026-13", "end": "2026-12"}}
            )
    assert refused.value.response.status_code in (409, 422)
    assert "2026-13" in refused.value.response.text


def test_a_start_after_the_end_fails_before_any_work(on_server):
    before = (
        headlines(on_server.settings, "1979-01-01", "2099-01-01")
        if on_server.settings.warehouse.exists()
        else []
    )
    run = run_deployment(
        name="backfill/backfill", parameters={"request": {"start": "2026-05", "end": "2026-01"}}, timeout=120
    )
    assert run.state.is_failed()
    assert "start 2026-05 is after end 2026-01" in run.state.message
    after = (
        headlines(on_server.settings, "1979-01-01", "2099-01-01")
        if on_server.settings.warehouse.exists()
        else []
    )
    assert after == before

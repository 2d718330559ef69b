"""An operator in the Prefect UI: headless Debian Chromium, driven by Playwright, starts a backfill.

`.ci/run` installs Debian's `chromium` (never `playwright install`) and sets ZEIKAN_REQUIRE_BROWSER, so
in CI this test fails rather than skips when the browser is missing. Screenshots are kept in
`build/screenshots/` for a person to look at.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

from tests.conftest import REPO

pytestmark = pytest.mark.real_data

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO / "build" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        reason = f"Debian chromium not found at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
        if os.environ.get("ZEIKAN_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_custom_run(browser, operated):
    """The backfill deployment's page → Run → Custom run: the parameter form."""
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(f"{operated.ui_url}/v2/deployments/deployment/{operated.deployments['backfill']}")
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Custom run").click()
    run_name = page.get_by_role("textbox").first
    run_name.wait_for()
    deadline = time.monotonic() + 30
    while not run_name.input_value() and time.monotonic() < deadline:  # the UI fills in a generated name
        page.wait_for_timeout(200)
    return page


def month_field(page, title: str):
    """The text box under a parameter's title (the form shows the pydantic model's field titles)."""
    return page.get_by_text(title, exact=True).locator("xpath=following::textarea[1]")


def fill_months(page, first: str, last: str) -> None:
    """Type both months and see that they stay typed: the form renders the deployment's parameter schema
    as it arrives, and a value typed into a box that is then rendered again is lost."""
    for _ in range(20):
        month_field(page, "First month").fill(first)
        month_field(page, "Last month").fill(last)
        page.wait_for_timeout(500)
        typed = [month_field(page, title).input_value() for title in ("First month", "Last month")]
        if typed == [first, last]:
            return
    raise AssertionError(f"the form did not keep the months {first}, {last}")


def submitted_run(page, deployment_id, before: set, name: str) -> object:
    """The run the form's Submit created; if none appears, a screenshot and the page's text say why."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        new = [r for r in runs_of(deployment_id) if r.id not in before]
        if new:
            return new[0]
        page.wait_for_timeout(500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-not-submitted.png"), full_page=True)
    raise AssertionError(f"Submit created no run; the page said: {page.inner_text('body')[:2000]}")


def runs_of(deployment_id) -> list:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
        )


def test_an_operator_starts_a_backfill_from_the_ui_form(on_server, browser):
    deployment_id = on_server.deployments["backfill"]
    before = {run.id for run in runs_of(deployment_id)}
    page = open_custom_run(browser, on_server)
    fill_months(page, "2023-01", "2023-03")
    page.get_by_role("button", name="Submit").click()
    run_id = submitted_run(page, deployment_id, before, "backfill-form").id

    deadline, run = time.monotonic() + 240, None
    while time.monotonic() < deadline:
        with get_client(sync_client=True) as client:
            current = client.read_flow_run(run_id)
        if current.state is not None and current.state.is_final():
            run = current
            break
        page.wait_for_timeout(1000)
    assert run is not None, f"the run started from the UI did not finish: {current.state}"
    assert run.state.is_completed(), run.state
    assert run.parameters["request"]["start"] == "2023-01" and run.parameters["request"]["end"] == "2023-03"

    page.goto(f"{on_server.ui_url}/v2/runs/flow-run/{run.id}")
    page.get_by_text("Completed").first.wait_for(timeout=30_000)
    page.get_by_role("tab", name="Artifacts").click()
    page.get_by_text("backfill-summary").first.wait_for(timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "backfill-run-completed.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    page.close()

    with duckdb.connect(str(on_server.settings.warehouse), read_only=True) as con:
        months = con.execute(
            "SELECT count(DISTINCT period) FROM marts.release_headlines "
            "WHERE period BETWEEN '2023-01-01' AND '2023-03-01' AND stage IN ('confirmed', 'revised')"
        ).fetchone()[0]
    assert months == 3


def test_a_malformed_month_typed_in_the_form_is_refused(on_server, browser):
    deployment_id = on_server.deployments["backfill"]
    before = len(runs_of(deployment_id))
    page = open_custom_run(browser, on_server)
    fill_months(page, "2026-13", "2026-12")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text(re.compile(r"match|pattern|invalid", re.IGNORECASE)).first.wait_for(timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "backfill-form-refused.png"), full_page=True)
    page.close()
    assert len(runs_of(deployment_id)) == before  # nothing was started

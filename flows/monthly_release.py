"""The monthly release flow: one MOF release, from the press release and d-files to marts and a headline."""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows.steps import load_releases, publish_release, read_press_releases, read_release
from tasks.validate import select_months
from zeikan.periods import PeriodText, parse_period, today_in_tokyo
from zeikan.release import LoadOutcome
from zeikan.settings import Settings


@flow(name="monthly-release", persist_result=False, log_prints=True)
def monthly_release(
    period: PeriodText | None = None,
    source: str | None = None,
    warehouse: str | None = None,
    as_of: date | None = None,
) -> LoadOutcome:
    """Load the release for `period` (YYYY-MM; default: the newest month the source has published).

    Reads the d-files and the English press releases of the month and the months either side; each press
    release is a vintage of its release date, the d-files one of `as_of` (default: today in Tokyo).

    Args:
        period: The month, YYYY-MM; empty means the newest month the source has published.
        source: Where MOF's files come from (URL or directory); empty means ZEIKAN_SOURCE.
        warehouse: The DuckDB warehouse file; empty means ZEIKAN_WAREHOUSE.
        as_of: The vintage date of the d-files (YYYY-MM-DD); empty means today in Tokyo.
    """
    settings = Settings().with_overrides(source=source, warehouse=warehouse)
    vintage = as_of or today_in_tokyo()
    month = parse_period(period) if period else None

    dfiles = read_release(settings, vintage)
    press = read_press_releases(settings, [month or dfiles.latest_period])
    months = select_months(dfiles, month, month, press)
    outcome = load_releases(settings, dfiles, press, vintage, months)
    publish_release(settings, outcome)
    return outcome

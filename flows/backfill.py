"""The backfill flow: every month in a range, loaded once and published month by month."""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows.steps import load_releases, publish_release, read_press_releases, read_release
from tasks.validate import select_months
from zeikan.periods import PeriodText, add_months, months_between, parse_period, today_in_tokyo
from zeikan.progress import RunProgress
from zeikan.release import LoadOutcome, ParsedRelease
from zeikan.settings import Settings


def recent_months(dfiles: ParsedRelease, first: date, last: date, lookback: int) -> list[date]:
    """The months of the range whose press releases are worth asking for: the last `lookback` the d-files
    hold, and the one after (press releases come out before the d-files catch up)."""
    newest = dfiles.latest_period
    if newest is None or first > last:
        return []
    window = (add_months(newest, 1 - lookback), add_months(newest, 1))
    return [m for m in months_between(first, last) if window[0] <= m <= window[1]]


@flow(name="backfill", persist_result=False, log_prints=True)
def backfill(
    start: PeriodText,
    end: PeriodText,
    source: str | None = None,
    warehouse: str | None = None,
    as_of: date | None = None,
) -> LoadOutcome:
    """Load the source and publish every month from `start` to `end` (YYYY-MM); safe to repeat."""
    settings = Settings().with_overrides(source=source, warehouse=warehouse)
    vintage = as_of or today_in_tokyo()
    first, last = parse_period(start), parse_period(end)

    dfiles = read_release(settings, vintage)
    press = read_press_releases(settings, recent_months(dfiles, first, last, settings.press_lookback_months))
    months = select_months(dfiles, first, last, press)
    with RunProgress(len(months), key="backfill-progress", description="backfill") as progress:
        outcome = load_releases(settings, dfiles, press, vintage, months, progress)
    publish_release(settings, outcome)
    return outcome

"""The backfill flow: every month in a range, loaded once and published month by month, resumably."""

from __future__ import annotations

from datetime import date, datetime

from prefect import flow
from pydantic import BaseModel, ConfigDict, Field, model_validator

from flows.steps import MonthByMonth, load_releases, publish_release, read_press_releases, read_release
from tasks.publish import publish_backfill_summary
from tasks.validate import select_months
from zeikan.calendar import expected_period
from zeikan.periods import (
    PERIOD_PATTERN,
    TOKYO,
    add_months,
    format_period,
    months_between,
    parse_period,
    today_in_tokyo,
)
from zeikan.progress import RunProgress
from zeikan.release import LoadOutcome, ParsedRelease
from zeikan.settings import Settings

FIRST_MONTH = date(1979, 1, 1)  # d41ma starts here; the commodity files in 1988


class BackfillRequest(BaseModel):
    """The months to load and publish, and whether to redo months already published."""

    model_config = ConfigDict(title="Backfill")

    start: str = Field(
        title="First month",
        description="YYYY-MM. MOF's monthly totals begin in 1979-01, its commodity tables in 1988-01.",
        pattern=PERIOD_PATTERN,
        examples=["2025-01"],
    )
    end: str = Field(
        title="Last month",
        description="YYYY-MM, no later than the newest month MOF's release calendar says is out.",
        pattern=PERIOD_PATTERN,
        examples=["2026-05"],
    )
    force: bool = Field(
        False,
        title="Republish months already published",
        description="Recompute the headlines of months already published at this vintage "
        "(by default a rerun skips them and resumes where it stopped).",
    )

    @model_validator(mode="after")
    def months_in_order_and_range(self) -> BackfillRequest:
        """Refuse an empty or impossible range before any work starts."""
        first, last = parse_period(self.start), parse_period(self.end)
        if first > last:
            raise ValueError(f"start {self.start} is after end {self.end}")
        if first < FIRST_MONTH:
            raise ValueError(f"start {self.start} is before MOF's first month {format_period(FIRST_MONTH)}")
        newest = expected_period(datetime.now(TOKYO))
        if last > newest:
            raise ValueError(
                f"end {self.end} is after {format_period(newest)}, the newest month MOF has released"
            )
        return self


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
    request: BackfillRequest,
    source: str | None = None,
    warehouse: str | None = None,
    as_of: date | None = None,
) -> LoadOutcome:
    """Load the source and publish every month from `request.start` to `request.end`; safe to repeat.

    The release is loaded in one transaction; the months are then published in chunks, each committed
    on its own with a progress artifact updated after it, so a stopped backfill resumes where it stopped.

    Args:
        request: The months to backfill.
        source: Where MOF's files come from (URL or directory); empty means ZEIKAN_SOURCE.
        warehouse: The DuckDB warehouse file; empty means ZEIKAN_WAREHOUSE.
        as_of: The vintage date of the d-files (YYYY-MM-DD); empty means today in Tokyo.
    """
    settings = Settings().with_overrides(source=source, warehouse=warehouse)
    vintage = as_of or today_in_tokyo()
    first, last = parse_period(request.start), parse_period(request.end)

    dfiles = read_release(settings, vintage)
    press = read_press_releases(settings, recent_months(dfiles, first, last, settings.press_lookback_months))
    months = select_months(dfiles, first, last, press)
    with RunProgress(len(months), key="backfill-progress", description="backfill") as progress:
        outcome = load_releases(
            settings, dfiles, press, vintage, months, MonthByMonth(force=request.force, progress=progress)
        )
    publish_release(settings, outcome)
    publish_backfill_summary(outcome)
    return outcome

"""The flow the monthly deployment's schedule runs: the month MOF's calendar says is out, tried until it is.

MOF publishes at 08:50 JST on its calendar's day; its d-files can lag the press release by hours. So a
tick asks the calendar which month should be out, loads whatever of it the source has, and keeps trying
until the d-files have it too or the deadline passes. It then ends in a state that says which, never
"Failed" for a release that is merely late: `NotPublished` (nothing yet, try again later) or
`AwaitingDFiles` (the press release is loaded, the d-files still lag).
"""

from __future__ import annotations

import time
from datetime import datetime

from prefect import flow
from prefect.states import Completed, State

from flows.steps import try_release
from zeikan.calendar import expected_period
from zeikan.periods import TOKYO, format_period, today_in_tokyo
from zeikan.release import LoadOutcome
from zeikan.settings import Settings


@flow(name="scheduled-release", persist_result=False, log_prints=True)
def scheduled_release(
    now: datetime | None = None,
    wait_minutes: float = 180.0,
    poll_minutes: float = 10.0,
    source: str | None = None,
    warehouse: str | None = None,
) -> LoadOutcome | State:
    """Load the month the release calendar says is out at `now` (default: the current time in Tokyo),
    polling every `poll_minutes` for up to `wait_minutes` while MOF has not published it completely.

    Args:
        now: The moment to act as of; empty means now (a testing and catch-up aid).
        wait_minutes: How long to keep trying before ending NotPublished or AwaitingDFiles.
        poll_minutes: How long to wait between tries.
        source: Where MOF's files come from (URL or directory); empty means ZEIKAN_SOURCE.
        warehouse: The DuckDB warehouse file; empty means ZEIKAN_WAREHOUSE.
    """
    settings = Settings().with_overrides(source=source, warehouse=warehouse)
    moment = (now or datetime.now(TOKYO)).astimezone(TOKYO)
    period = expected_period(moment)
    deadline = time.monotonic() + wait_minutes * 60
    while True:
        outcome = try_release(settings, period, today_in_tokyo(moment))
        if outcome is not None and not outcome.awaiting_dfiles:
            return outcome
        if time.monotonic() >= deadline:
            break
        time.sleep(poll_minutes * 60)
    month = format_period(period)
    if outcome is None:
        return Completed(
            name="NotPublished", message=f"{month} is not published yet; the next tick tries again"
        )
    return Completed(
        name="AwaitingDFiles",
        message=f"{month}: the press release is loaded; MOF's d-files still end at "
        f"{format_period(outcome.dfiles_through) if outcome.dfiles_through else 'nothing'}",
        data=outcome,
    )

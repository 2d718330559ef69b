"""When MOF publishes each month's trade statistics, and which month should be out at a given moment.

A scheduled run must ask for the month MOF has just released, not the newest month the source happens to
show: the d-files can still read `0,0` for the new month hours after the press release (CONTRACT §1). MOF
publishes at 08:50 JST on the day its calendar gives, in the second half of the following month. The days
MOF has announced live in `zeikan/reference/release_calendar.csv`, data an operator can extend without a
code change; for any month the file does not list, a plain weekday rule estimates the day.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources
from types import MappingProxyType

from zeikan.errors import BadInput, InvalidRequest, Problem
from zeikan.periods import TOKYO, add_months, parse_period

RELEASE_TIME = time(8, 50)  # JST, the same for every stage
STAGES = ("preliminary", "detailed")
CALENDAR_FILE = "zeikan/reference/release_calendar.csv"
HEADER = ["period", "stage", "release_date"]

# (period, stage) → release day. A mapping rather than a file path, so callers and tests can hand in
# their own calendar instead of patching the bundled one.
Calendar = Mapping[tuple[date, str], date]


class CalendarFormatError(BadInput):
    """The release calendar file breaks its layout; each problem names the line."""

    headline = "release calendar format error"


@dataclass(frozen=True)
class ScheduledRelease:
    """One release of one month: when it comes out, and whether MOF's calendar or our rule says so."""

    period: date
    stage: str
    release_at: datetime
    from_calendar: bool


def parse_calendar(text: str, file: str = CALENDAR_FILE) -> Calendar:
    """Read calendar CSV text: lines starting with `#` and blank lines are skipped, every other row checked.

    All problems are collected before raising, so one edit session can fix them all; each names its line
    (counted in the file, comments included) because that is where an operator will look.
    """
    entries: dict[tuple[date, str], date] = {}
    problems: list[Problem] = []
    header_seen = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in next(csv.reader([line]))]
        # Named as the rest of zeikan names rows: what the row says it is, and the line to open.
        where = f"{'header' if not header_seen else cells[0] or '(empty)'} (line {number})"
        if not header_seen:
            header_seen = True
            if cells != HEADER:
                problems.append(Problem(file, f"the header must be {','.join(HEADER)}", where, value=line))
            continue
        if len(cells) != len(HEADER):
            problems.append(
                Problem(file, f"a row has {len(HEADER)} cells: {','.join(HEADER)}", where, value=line)
            )
            continue
        problem = _row_problem(cells, file, where)
        if problem is not None:
            problems.append(problem)
            continue
        key = (parse_period(cells[0]), cells[1])
        if key in entries:
            problems.append(Problem(file, "each period and stage is listed once", where, "period", cells[0]))
            continue
        entries[key] = date.fromisoformat(cells[2])
    if not header_seen:
        problems.append(Problem(file, f"the file needs the header {','.join(HEADER)}"))
    if problems:
        raise CalendarFormatError(problems)
    return MappingProxyType(entries)


def _row_problem(cells: list[str], file: str, where: str) -> Problem | None:
    """The first rule a data row breaks, or None."""
    period_text, stage, day_text = cells
    try:
        period = parse_period(period_text)
    except InvalidRequest:
        return Problem(file, "period is a month written YYYY-MM", where, "period", period_text)
    if stage not in STAGES:
        return Problem(file, f"stage is one of {', '.join(STAGES)}", where, "stage", stage)
    try:
        # fromisoformat alone would also take 20260617 or 2026-W25-3; the file has one spelling.
        day = date.fromisoformat(day_text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", day_text) else None
    except ValueError:
        day = None
    if day is None:
        return Problem(file, "release_date is a date written YYYY-MM-DD", where, "release_date", day_text)
    if day < add_months(period, 1):
        # MOF cannot publish a month before it has ended: a swapped period or a typo in the year.
        return Problem(file, "release_date falls after the month it reports", where, "release_date", day_text)
    return None


@cache
def bundled_calendar() -> Calendar:
    """The calendar shipped in `zeikan/reference/`, read and checked once per process."""
    text = resources.files("zeikan").joinpath("reference/release_calendar.csv").read_text("utf-8")
    return parse_calendar(text)


def rule_release_day(period: date, stage: str = "preliminary") -> date:
    """Estimate a release day: MOF's usual pattern, for months its calendar (our file) does not list.

    Preliminary: the 20th of the following month, or the Friday before when the 20th is a Saturday or
    Sunday. Detailed: seven days after that rule date, or the Monday after if that is a weekend day. The
    rule knows nothing of Japanese public holidays and MOF's real day is often a day or two off, so it is
    only a fallback; an announced date belongs in the calendar file.
    """
    _check_stage(stage)
    day = add_months(period, 1).replace(day=20)
    day -= timedelta(days=max(0, day.weekday() - 4))  # Saturday → Friday (−1), Sunday → Friday (−2)
    if stage == "detailed":
        day += timedelta(days=7)
        if day.weekday() >= 5:  # a guard: a week after a weekday is a weekday while the rule above holds
            day += timedelta(days=7 - day.weekday())  # Saturday (+2) or Sunday (+1) → Monday
    return day


def release_at(
    period: date, stage: str = "preliminary", *, calendar: Calendar | None = None
) -> ScheduledRelease:
    """When `period`'s `stage` release comes out, at 08:50 JST.

    The calendar entry wins when there is one (`calendar` defaults to the bundled file). Otherwise the day
    comes from `rule_release_day`, which ignores Japanese public holidays and is only a fallback for months
    the calendar file does not list; `from_calendar` tells the two apart.
    """
    _check_stage(stage)
    period = period.replace(day=1)
    known = (bundled_calendar() if calendar is None else calendar).get((period, stage))
    day = known if known is not None else rule_release_day(period, stage)
    return ScheduledRelease(
        period, stage, datetime.combine(day, RELEASE_TIME, tzinfo=TOKYO), known is not None
    )


def expected_period(now: datetime, *, calendar: Calendar | None = None) -> date:
    """The newest month whose preliminary release time is at or before `now`: the month that should be out.

    On a release day at 08:49 JST this is still the month before; from 08:50 it is the new month. `now`
    must carry a time zone, because a naive time would silently shift the answer by the server's offset.
    """
    moment = _in_tokyo(now)
    period = date(moment.year, moment.month, 1)
    # A month is never published before it ends, so start at the current month and walk back; the rule
    # puts every month's release in the month after, so this ends within a few steps.
    for _ in range(36):
        if release_at(period, calendar=calendar).release_at <= moment:
            return period
        period = add_months(period, -1)
    raise ValueError(f"no month in the three years before {moment.isoformat()} has a preliminary release")


def upcoming(now: datetime, count: int = 6, *, calendar: Calendar | None = None) -> list[ScheduledRelease]:
    """The next `count` preliminary and detailed releases at or after `now`, earliest first."""
    if count < 0:
        raise ValueError(f"count must be zero or more, not {count}")
    moment = _in_tokyo(now)
    current = date(moment.year, moment.month, 1)
    # Months from a quarter back (a late detailed release may still be ahead) to far enough forward that
    # every month after them is released later than the first `count` found (two releases a month).
    periods = [add_months(current, offset) for offset in range(-3, count + 2)]
    releases = [release_at(period, stage, calendar=calendar) for period in periods for stage in STAGES]
    coming = [release for release in releases if release.release_at >= moment]
    coming.sort(key=lambda release: (release.release_at, release.period, STAGES.index(release.stage)))
    return coming[:count]


def format_release_time(moment: datetime) -> str:
    """`Wed 2026-06-17 08:50 JST`; weekday names fixed in English, whatever the process locale."""
    local = moment.astimezone(TOKYO)
    weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[local.weekday()]
    return f"{weekday} {local:%Y-%m-%d %H:%M} JST"


def _in_tokyo(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware (got naive {now.isoformat()}); give it a tzinfo")
    return now.astimezone(TOKYO)


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}, not {stage!r}")

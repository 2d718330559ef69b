"""Months as MOF and our users write them.

A period is the first day of its month (`datetime.date`), which is how the warehouse stores it; users and
flow parameters write `YYYY-MM`, MOF's files write `YYYY/MM`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import StringConstraints

from zeikan.errors import InvalidRequest

TOKYO = ZoneInfo("Asia/Tokyo")
PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"

# What a flow parameter or CLI option for a month must look like; pydantic refuses anything else.
PeriodText = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]


def parse_period(text: str) -> date:
    """`2026-05` → date(2026, 5, 1); anything else is an `InvalidRequest` naming the value."""
    if not re.fullmatch(PERIOD_PATTERN, text or ""):
        raise InvalidRequest(f"period {text!r} is not a month written YYYY-MM (for example 2026-05)")
    return date(int(text[:4]), int(text[5:7]), 1)


def format_period(period: date) -> str:
    """date(2026, 5, 1) → `2026-05`."""
    return f"{period.year:04d}-{period.month:02d}"


def month_name(period: date) -> str:
    """date(2026, 5, 1) → `May 2026`, as headlines print it."""
    return period.strftime("%B %Y")


def add_months(period: date, months: int) -> date:
    """The first day of the month `months` after (or before) `period`."""
    index = period.year * 12 + period.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> list[date]:
    """Every month from start to end inclusive."""
    count = (end.year - start.year) * 12 + end.month - start.month
    return [add_months(start, i) for i in range(count + 1)]


def today_in_tokyo(now: datetime | None = None) -> date:
    """The calendar date in Japan, where releases are dated."""
    return (now or datetime.now(TOKYO)).astimezone(TOKYO).date()

"""The month-sequence rule shared by every monthly file's schema."""

from __future__ import annotations

import pandas as pd

MONTHS_CONTIGUOUS = "months must be contiguous: each row is the month after the row above"
MONTHS_UNIQUE = "each month must appear once per commodity"


def follows_previous_month(periods: pd.Series) -> pd.Series:
    """True where a period is exactly one month after the one before it (the first row always passes)."""
    index = periods.dt.year * 12 + periods.dt.month
    step = index.diff()
    return (step == 1) | step.isna()

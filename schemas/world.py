"""What a parsed d41ma must satisfy before it may enter the warehouse."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.months import MONTHS_CONTIGUOUS, follows_previous_month


class WorldMonthly(pa.DataFrameModel):
    """World exports and imports, one row per published month, in yen (d41ma × 1000)."""

    period: Series[pa.DateTime] = pa.Field(unique=True, description="month (first day)")
    exports_jpy: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=False, description="exports, yen")
    imports_jpy: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=False, description="imports, yen")
    line: Series[int] = pa.Field(description="line in the source file")

    @pa.dataframe_check(error=MONTHS_CONTIGUOUS)
    def months_contiguous(cls, df: pd.DataFrame) -> Series[bool]:
        """MOF lists every month once, in order; a gap or a reordering means a damaged or edited file."""
        return follows_previous_month(df["period"])

    class Config:
        strict = True
        coerce = False

"""What a parsed d51ma/d61ma must satisfy: values per month and principal commodity."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.months import MONTHS_CONTIGUOUS, MONTHS_UNIQUE, follows_previous_month

# The source is in thousand yen, so each of the nine groups may be off by its rounding.
GROUP_SUM_TOLERANCE_JPY = 9 * 1000


class CommodityMonthly(pa.DataFrameModel):
    """Exports or imports by principal commodity, long form, yen."""

    period: Series[pa.DateTime] = pa.Field(description="month (first day)")
    category_code: Series[pd.StringDtype] = pa.Field(description="MOF code without quotes")
    level: Series[int] = pa.Field(ge=0, description="0 total, 1 the nine press groups, 2+ sub-items")
    value_jpy: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True, description="value, yen; NA where none")
    quantity: Series[pd.Float64Dtype] = pa.Field(ge=0, nullable=True, description="quantity in its unit")
    line: Series[int] = pa.Field(description="line in the source file")
    column: Series[int] = pa.Field(description="field number of the value in the source file")

    @pa.dataframe_check(error=MONTHS_UNIQUE)
    def months_unique(cls, df: pd.DataFrame) -> Series[bool]:
        """A duplicated month row would count the same trade twice."""
        return ~df.duplicated(["period", "category_code"], keep=False)

    @pa.dataframe_check(error=MONTHS_CONTIGUOUS)
    def months_contiguous(cls, df: pd.DataFrame) -> Series[bool]:
        """MOF lists every month once, in order; a gap or a reordering means a damaged or edited file."""
        rows = df.drop_duplicates("line")
        ok_by_line = pd.Series(follows_previous_month(rows["period"]).to_numpy(), index=rows["line"])
        return pd.Series(df["line"].map(ok_by_line).to_numpy(dtype=bool), index=df.index)

    @pa.dataframe_check(error="every published month must have a total value")
    def total_present(cls, df: pd.DataFrame) -> Series[bool]:
        """A month without its total cannot be checked against d41ma or shared out; MOF always prints it."""
        return (df["level"] != 0) | df["value_jpy"].notna()

    @pa.dataframe_check(error="the nine press groups must sum to the total (within thousand-yen rounding)")
    def groups_sum_to_total(cls, df: pd.DataFrame) -> Series[bool]:
        """MOF's press groups partition the total; if they do not add up, a column is missing or shifted."""
        groups = df[df["level"] == 1].groupby("period")["value_jpy"].sum()
        total = df[df["level"] == 0].groupby("period")["value_jpy"].sum()  # a duplicated month: its own rule
        gap = (total - groups.reindex(total.index, fill_value=0)).abs()
        ok = gap <= GROUP_SUM_TOLERANCE_JPY
        is_total = df["level"] == 0
        return ~is_total | df["period"].map(ok).fillna(False).astype(bool)

    class Config:
        strict = True
        coerce = False

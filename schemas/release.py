"""Rules across the files of one release."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series


class TotalsAgree(pa.DataFrameModel):
    """Per month, a commodity file's total beside d41ma's world figure for the same direction."""

    period: Series[pa.DateTime] = pa.Field()
    commodity_total_jpy: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    world_total_jpy: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    line: Series[int] = pa.Field()

    @pa.dataframe_check(error="the commodity file's total must equal d41ma's world figure for the month")
    def totals_equal(cls, df: pd.DataFrame) -> Series[bool]:
        """d51ma's total is d41ma's exports and d61ma's is its imports, to the thousand yen, every month."""
        return (df["commodity_total_jpy"] == df["world_total_jpy"]).fillna(False).astype(bool)

    class Config:
        strict = True
        coerce = False

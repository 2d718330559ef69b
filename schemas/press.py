"""What a parsed English press release must satisfy before it may enter the warehouse."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

# Each printed figure is rounded to the million yen, so nine groups may miss the total by a few million.
GROUP_SUM_TOLERANCE_JPY = 9 * 1_000_000


class PressTotals(pa.DataFrameModel):
    """Page 1: the month's exports, imports and balance, with year-earlier values and printed rates."""

    period: Series[pa.DateTime] = pa.Field(description="month (first day)")
    exports_jpy: Series[pd.Int64Dtype] = pa.Field(ge=0, description="exports, yen (million yen x 1e6)")
    exports_year_ago_jpy: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    exports_yoy_pct: Series[pd.Float64Dtype] = pa.Field(nullable=True, description="as printed")
    imports_jpy: Series[pd.Int64Dtype] = pa.Field(ge=0)
    imports_year_ago_jpy: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    imports_yoy_pct: Series[pd.Float64Dtype] = pa.Field(nullable=True)
    balance_jpy: Series[pd.Int64Dtype] = pa.Field()
    balance_year_ago_jpy: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    balance_yoy_pct: Series[pd.Float64Dtype] = pa.Field(nullable=True)

    @pa.dataframe_check(error="the balance must equal exports minus imports")
    def balance_adds_up(cls, df: pd.DataFrame) -> Series[bool]:
        """MOF prints all three to the million yen; they agree exactly on every real release."""
        return (df["exports_jpy"] - df["imports_jpy"] == df["balance_jpy"]).fillna(False).astype(bool)

    class Config:
        strict = True
        coerce = False


class PressCommodities(pa.DataFrameModel):
    """The world principal-commodity pages, with each item's place in MOF's hierarchy and page 1's total."""

    direction: Series[str] = pa.Field(isin=["export", "import"])
    position: Series[int] = pa.Field(ge=1, description="row on the page")
    category_code: Series[pd.StringDtype] = pa.Field()
    name_en: Series[str] = pa.Field()
    level_printed: Series[int] = pa.Field(ge=0)
    quantity_unit: Series[str] = pa.Field(nullable=True)
    quantity: Series[pd.Float64Dtype] = pa.Field(ge=0, nullable=True)
    value_jpy: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    share_pct: Series[pd.Float64Dtype] = pa.Field(nullable=True)
    yoy_pct: Series[pd.Float64Dtype] = pa.Field(nullable=True)
    yoy_contribution_pp: Series[pd.Float64Dtype] = pa.Field(nullable=True)
    level: Series[int] = pa.Field(ge=0, description="level in the code hierarchy (0 total, 1 press group)")
    page_one_total_jpy: Series[pd.Int64Dtype] = pa.Field(description="page 1's figure for the direction")

    @pa.dataframe_check(
        error="both world pages (exports, imports) must be present, each with its Grand Total"
    )
    def pages_complete(cls, df: pd.DataFrame) -> bool:
        """A page without its Grand Total row could not be checked against page 1 or its groups."""
        with_total = set(df.loc[df["level"] == 0, "direction"])
        return with_total == {"export", "import"} and int((df["level"] == 0).sum()) == 2

    @pa.dataframe_check(error="each principal commodity must appear once per page")
    def items_unique(cls, df: pd.DataFrame) -> Series[bool]:
        """A repeated item would count its trade twice."""
        return ~df.duplicated(["direction", "category_code"], keep=False)

    @pa.dataframe_check(error="the page's Grand Total must equal page 1's figure")
    def total_matches_page_one(cls, df: pd.DataFrame) -> Series[bool]:
        """The world commodity table and the summary page are the same trade."""
        return (df["level"] != 0) | (df["value_jpy"] == df["page_one_total_jpy"]).fillna(False).astype(bool)

    @pa.dataframe_check(
        error="the nine press groups must sum to the Grand Total (within million-yen rounding)"
    )
    def groups_sum_to_total(cls, df: pd.DataFrame) -> Series[bool]:
        """MOF's nine groups partition the total; a missing or shifted item breaks the sum."""
        groups = df[df["level"] == 1].groupby("direction")["value_jpy"].sum()
        total = df[df["level"] == 0].set_index("direction")["value_jpy"]
        ok = (total - groups.reindex(total.index, fill_value=0)).abs() <= GROUP_SUM_TOLERANCE_JPY
        return (df["level"] != 0) | df["direction"].map(ok).fillna(False).astype(bool)

    class Config:
        strict = True
        coerce = False

"""CommodityMonthly on small hand-built frames: values per month and principal commodity."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from schemas.commodities import GROUP_SUM_TOLERANCE_JPY, CommodityMonthly
from schemas.months import MONTHS_CONTIGUOUS, MONTHS_UNIQUE

GROUPS = ["0+1", "2+4", "3", "5", "6", "701", "703", "705", "8+9"]


def month(period: str, line: int, groups: list[int], total: int | None = None) -> list[dict[str, object]]:
    """One month's rows: the total (the groups' sum unless given), the nine groups and one sub-item."""
    rows: list[dict[str, object]] = [
        {
            "period": period,
            "category_code": "0～9",
            "level": 0,
            "value_jpy": sum(groups) if total is None else total,
        }
    ]
    rows += [
        {"period": period, "category_code": c, "level": 1, "value_jpy": v}
        for c, v in zip(GROUPS, groups, strict=True)
    ]
    rows.append({"period": period, "category_code": "507", "level": 2, "value_jpy": groups[3] // 2})
    for column, row in enumerate(rows, start=1):
        row["line"], row["column"] = line, 2 * column
    return rows


def frame_of(*months: list[dict[str, object]]) -> pd.DataFrame:
    rows = [row for m in months for row in m]
    return pd.DataFrame(
        {
            "period": pd.to_datetime([r["period"] for r in rows]),
            "category_code": pd.array([r["category_code"] for r in rows], dtype="string"),
            "level": pd.Series([r["level"] for r in rows], dtype="int64"),
            "value_jpy": pd.array([r["value_jpy"] for r in rows], dtype="Int64"),
            "quantity": pd.array([1.5] * len(rows), dtype="Float64"),
            "line": pd.Series([r["line"] for r in rows], dtype="int64"),
            "column": pd.Series([r["column"] for r in rows], dtype="int64"),
        }
    )


GROUP_VALUES = [1_000_000 * (k + 1) for k in range(9)]


def failures(frame: pd.DataFrame) -> pd.DataFrame:
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        CommodityMonthly.validate(frame, lazy=True)
    return caught.value.failure_cases


def failing(frame: pd.DataFrame, check: str) -> list[int]:
    """Row indexes failing `check` (on any column)."""
    cases = failures(frame)
    return sorted({int(i) for i in cases.loc[cases["check"] == check, "index"]})


def rule(name: str) -> str:
    (check,) = [c for c in CommodityMonthly.to_schema().checks if c.name == name]
    return check.error


def test_valid_months_pass() -> None:
    frame = frame_of(month("2026-04-01", 467, GROUP_VALUES), month("2026-05-01", 468, GROUP_VALUES))
    pd.testing.assert_frame_equal(CommodityMonthly.validate(frame), frame)


def test_a_value_that_does_not_apply_may_be_missing() -> None:
    frame = frame_of(month("2026-05-01", 468, GROUP_VALUES))
    frame.loc[frame["category_code"] == "507", "value_jpy"] = pd.NA
    frame["quantity"] = pd.array([None] * len(frame), dtype="Float64")
    CommodityMonthly.validate(frame)


def test_negative_value_fails_at_its_row() -> None:
    frame = frame_of(month("2026-05-01", 468, GROUP_VALUES))
    item = frame.index[frame["category_code"] == "507"][0]
    frame.loc[item, "value_jpy"] = -1_000
    assert failing(frame, "greater_than_or_equal_to(0)") == [item]


def test_negative_quantity_fails_at_its_row() -> None:
    frame = frame_of(month("2026-05-01", 468, GROUP_VALUES))
    frame.loc[3, "quantity"] = -0.5
    cases = failures(frame)
    assert cases.loc[cases["column"] == "quantity", ["check", "index"]].values.tolist() == [
        ["greater_than_or_equal_to(0)", 3]
    ]


def test_missing_code_fails_not_nullable() -> None:
    frame = frame_of(month("2026-05-01", 468, GROUP_VALUES))
    frame.loc[2, "category_code"] = pd.NA
    assert failing(frame, "not_nullable") == [2]


def test_negative_level_fails() -> None:
    frame = frame_of(month("2026-05-01", 468, GROUP_VALUES))
    frame.loc[10, "level"] = -1
    assert 10 in failing(frame, "greater_than_or_equal_to(0)")


@pytest.mark.parametrize("gap", [GROUP_SUM_TOLERANCE_JPY, -GROUP_SUM_TOLERANCE_JPY, 1_000, 0])
def test_groups_within_thousand_yen_rounding_of_the_total_pass(gap: int) -> None:
    assert GROUP_SUM_TOLERANCE_JPY == 9 * 1_000  # one thousand yen of rounding per press group
    frame = frame_of(month("2026-05-01", 468, GROUP_VALUES, total=sum(GROUP_VALUES) + gap))
    CommodityMonthly.validate(frame)


@pytest.mark.parametrize("gap", [9_001, -9_001, 1_000_000_000])
def test_groups_beyond_the_rounding_fail_at_the_total_row(gap: int) -> None:
    frame = frame_of(
        month("2026-04-01", 467, GROUP_VALUES),
        month("2026-05-01", 468, GROUP_VALUES, total=sum(GROUP_VALUES) + gap),
    )
    total_of_may = frame.index[(frame["period"] == "2026-05-01") & (frame["level"] == 0)].tolist()
    assert failing(frame, rule("groups_sum_to_total")) == total_of_may


def test_a_missing_group_fails_the_sum() -> None:
    frame = frame_of(month("2026-05-01", 468, GROUP_VALUES))
    frame = frame[frame["category_code"] != "703"].reset_index(drop=True)
    assert failing(frame, rule("groups_sum_to_total")) == [0]


def test_sub_items_do_not_count_towards_the_groups() -> None:
    frame = frame_of(month("2026-05-01", 468, GROUP_VALUES))
    frame.loc[frame["category_code"] == "507", "value_jpy"] = 10**12
    CommodityMonthly.validate(frame)


def test_a_commodity_twice_in_a_month_fails_uniqueness() -> None:
    frame = frame_of(month("2026-05-01", 468, GROUP_VALUES), month("2026-05-01", 469, GROUP_VALUES))
    assert rule("months_unique") == MONTHS_UNIQUE
    assert failing(frame, MONTHS_UNIQUE) == list(range(len(frame)))


def test_a_gap_fails_contiguity_on_every_row_of_the_later_month() -> None:
    frame = frame_of(month("2026-03-01", 466, GROUP_VALUES), month("2026-05-01", 467, GROUP_VALUES))
    later = frame.index[frame["line"] == 467].tolist()
    assert failing(frame, MONTHS_CONTIGUOUS) == later


def test_months_out_of_order_fail_contiguity() -> None:
    frame = frame_of(
        month("2026-04-01", 466, GROUP_VALUES),
        month("2026-06-01", 467, GROUP_VALUES),
        month("2026-05-01", 468, GROUP_VALUES),
    )
    assert failing(frame, MONTHS_CONTIGUOUS) == frame.index[frame["line"] >= 467].tolist()


def test_year_end_is_contiguous() -> None:
    CommodityMonthly.validate(
        frame_of(month("2025-12-01", 463, GROUP_VALUES), month("2026-01-01", 464, GROUP_VALUES))
    )

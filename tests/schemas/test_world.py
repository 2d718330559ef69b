"""WorldMonthly on small hand-built frames: what a parsed d41ma must satisfy."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from schemas.months import MONTHS_CONTIGUOUS
from schemas.world import WorldMonthly


def world(months: list[str], exports: list[int | None], imports: list[int | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": pd.to_datetime(months),
            "exports_jpy": pd.array(exports, dtype="Int64"),
            "imports_jpy": pd.array(imports, dtype="Int64"),
            "line": pd.Series(range(5, 5 + len(months)), dtype="int64"),
        }
    )


def failures(frame: pd.DataFrame) -> pd.DataFrame:
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        WorldMonthly.validate(frame, lazy=True)
    return caught.value.failure_cases


def failing(frame: pd.DataFrame, check: str, column: str) -> list[int]:
    """Row indexes failing `check` on `column`."""
    cases = failures(frame)
    hits = cases[(cases["check"] == check) & (cases["column"] == column)]
    return sorted(int(i) for i in hits["index"])


def test_valid_months_pass() -> None:
    frame = world(["2025-12-01", "2026-01-01", "2026-02-01"], [10_000, 0, 30_000], [5_000, 7_000, 0])
    pd.testing.assert_frame_equal(WorldMonthly.validate(frame), frame)


def test_a_single_month_passes() -> None:
    WorldMonthly.validate(world(["2026-05-01"], [1_000], [2_000]))


def test_negative_exports_fail_at_their_row() -> None:
    frame = world(["2026-01-01", "2026-02-01"], [1_000, -1_000], [1_000, 1_000])
    assert failing(frame, "greater_than_or_equal_to(0)", "exports_jpy") == [1]


def test_negative_imports_fail_at_their_row() -> None:
    frame = world(["2026-01-01", "2026-02-01"], [1_000, 1_000], [-1, 1_000])
    assert failing(frame, "greater_than_or_equal_to(0)", "imports_jpy") == [0]


@pytest.mark.parametrize("column", ["exports_jpy", "imports_jpy"])
def test_missing_value_fails_not_nullable(column: str) -> None:
    frame = world(["2026-01-01", "2026-02-01"], [1_000, 2_000], [3_000, 4_000])
    frame.loc[1, column] = pd.NA
    assert failing(frame, "not_nullable", column) == [1]


def test_missing_period_fails_not_nullable() -> None:
    frame = world(["2026-01-01", "2026-02-01"], [1_000, 2_000], [3_000, 4_000])
    frame.loc[0, "period"] = pd.NaT
    assert failing(frame, "not_nullable", "period") == [0]


def test_a_month_twice_fails_uniqueness_on_both_rows() -> None:
    frame = world(["2026-01-01", "2026-02-01", "2026-02-01"], [1, 2, 3], [1, 2, 3])
    assert failing(frame, "field_uniqueness", "period") == [1, 2]


def test_a_gap_fails_contiguity_at_the_row_after_it() -> None:
    frame = world(["2026-01-01", "2026-02-01", "2026-04-01", "2026-05-01"], [1, 2, 3, 4], [1, 2, 3, 4])
    assert failing(frame, MONTHS_CONTIGUOUS, "period") == [2]


def test_months_out_of_order_fail_contiguity() -> None:
    frame = world(["2026-01-01", "2026-03-01", "2026-02-01", "2026-04-01"], [1, 2, 3, 4], [1, 2, 3, 4])
    assert failing(frame, MONTHS_CONTIGUOUS, "period") == [1, 2, 3]


def test_december_to_january_is_contiguous() -> None:
    WorldMonthly.validate(world(["2025-11-01", "2025-12-01", "2026-01-01"], [1, 2, 3], [1, 2, 3]))


def test_yen_as_floating_point_fails_the_dtype() -> None:
    frame = world(["2026-01-01"], [1_000], [2_000])
    frame["exports_jpy"] = frame["exports_jpy"].astype("float64")
    cases = failures(frame)
    assert cases.loc[cases["column"] == "exports_jpy", "check"].tolist() == ["dtype('Int64')"]


def test_an_unexpected_column_fails_strictness() -> None:
    frame = world(["2026-01-01"], [1_000], [2_000]).assign(balance_jpy=pd.array([-1_000], dtype="Int64"))
    cases = failures(frame)
    assert "column_in_schema" in cases["check"].tolist()
    assert "balance_jpy" in cases["failure_case"].tolist()

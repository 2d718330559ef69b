"""TotalsAgree on small hand-built frames: a commodity file's total beside d41ma's figure."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from schemas.release import TotalsAgree


def totals(commodity: list[int | None], world: list[int | None]) -> pd.DataFrame:
    months = pd.date_range("2026-01-01", periods=len(commodity), freq="MS")
    return pd.DataFrame(
        {
            "period": months,
            "commodity_total_jpy": pd.array(commodity, dtype="Int64"),
            "world_total_jpy": pd.array(world, dtype="Int64"),
            "line": pd.Series(range(8, 8 + len(commodity)), dtype="int64"),
        }
    )


def totals_rule() -> str:
    (check,) = [c for c in TotalsAgree.to_schema().checks if c.name == "totals_equal"]
    return check.error


def failing_rows(frame: pd.DataFrame) -> list[int]:
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        TotalsAgree.validate(frame, lazy=True)
    cases = caught.value.failure_cases
    assert set(cases["check"]) == {totals_rule()}
    return sorted({int(i) for i in cases["index"]})


def test_equal_totals_pass() -> None:
    frame = totals([9_499_093_475_000, 10_043_269_534_000], [9_499_093_475_000, 10_043_269_534_000])
    pd.testing.assert_frame_equal(TotalsAgree.validate(frame), frame)


def test_totals_one_thousand_yen_apart_fail_at_that_month() -> None:
    assert failing_rows(totals([5_000, 6_000, 7_000], [5_000, 7_000, 7_000])) == [1]


def test_month_missing_from_d41ma_fails() -> None:
    assert failing_rows(totals([5_000, 6_000], [5_000, None])) == [1]


def test_month_missing_from_the_commodity_file_fails() -> None:
    assert failing_rows(totals([None, 6_000], [5_000, 6_000])) == [0]

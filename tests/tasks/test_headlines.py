"""Headline wording (CONTRACT §2) and the choice of drivers."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tasks.headlines import dfile_stage, drivers, headline, readable_name, top_contributors, yen_amount


@pytest.mark.parametrize(
    ("yen", "words"),
    [
        (-378_673_000_000, "¥378.7 billion"),
        (282_349_000_000, "¥282.3 billion"),
        (250_000_000, "¥0.3 billion"),  # half up, never banker's rounding
        (150_000_000, "¥0.2 billion"),
        (999_949_999_999, "¥999.9 billion"),
        (999_950_000_000, "¥1.0 trillion"),
        (-1_152_664_000_000, "¥1.2 trillion"),
        (12_345_678_900_000, "¥12.3 trillion"),
    ],
)
def test_amounts_in_billions_then_trillions(yen, words):
    assert yen_amount(yen) == words


def test_a_month_that_breaks_a_run_says_so():
    text = headline(date(2026, 5, 1), -378_673_000_000, 4, None)
    assert (
        text == "Japan posted a trade deficit of ¥378.7 billion in May 2026, its first deficit in 4 months."
    )


def test_a_month_that_continues_a_run_does_not():
    assert headline(date(2026, 4, 1), 282_349_000_000, None, None) == (
        "Japan posted a trade surplus of ¥282.3 billion in April 2026."
    )
    assert headline(date(2026, 4, 1), 282_349_000_000, 3, None) == (
        "Japan posted a trade surplus of ¥282.3 billion in April 2026."
    )


def test_a_surplus_after_deficits_and_a_balanced_month():
    assert headline(date(2026, 2, 1), 36_000_000_000, None, 2).endswith("its first surplus in 2 months.")
    assert headline(date(1990, 1, 1), 0, None, None) == "Japan's trade was balanced in January 1990."


def test_dfile_figures_become_revised_with_the_annual_revision():
    assert dfile_stage(date(2025, 12, 1), date(2026, 2, 28)) == "confirmed"
    assert dfile_stage(date(2025, 12, 1), date(2026, 3, 1)) == "revised"
    assert dfile_stage(date(2026, 5, 1), date(2026, 11, 25)) == "confirmed"


def test_readable_names_keep_acronyms():
    assert readable_name("SEMICONDUCTORS ETC") == "semiconductors etc"
    assert readable_name(" (IC)") == "IC"
    assert readable_name("LNG") == "LNG"


def candidates(rows):
    return pd.DataFrame(
        rows, columns=["direction", "category_code", "category_name_en", "parent_code", "yoy_contribution_pp"]
    )


def test_drivers_follow_the_totals_direction_and_skip_parents_and_children():
    items = candidates(
        [
            ("import", "70311", "SEMICONDUCTORS ETC", "703", 2.0),
            ("import", "7031103", "(IC)", "70311", 1.9),
            ("import", "70307", "TELEPHONY, TELEGRAPHY", "703", 1.4),
            ("import", "30301", "PETROLEUM", "3", -2.4),
            ("import", "21505", "ORE OF NONFERROUS", "2", 1.2),
            ("import", "009", "CEREALS", "0", 0.5),
        ]
    )
    assert [i["category_name_en"] for i in top_contributors(items, rising=True)] == [
        "SEMICONDUCTORS ETC",
        "TELEPHONY, TELEGRAPHY",
        "ORE OF NONFERROUS",
    ]
    assert [i["category_name_en"] for i in top_contributors(items, rising=False)] == ["PETROLEUM"]


def test_a_deficit_leads_with_imports():
    month = pd.Series({"balance_jpy": -1, "exports_yoy_pct": 17.0, "imports_yoy_pct": 12.5})
    items = candidates(
        [
            ("import", "70311", "SEMICONDUCTORS ETC", "703", 2.0),
            ("export", "70323", "SEMICONDUCTORS ETC", "703", 3.3),
        ]
    )
    assert drivers(month, items) == (
        "Imports +12.5% y/y, led by semiconductors etc (+2.0 pp); "
        "exports +17.0% y/y, led by semiconductors etc (+3.3 pp)."
    )
    no_rates = pd.Series({"balance_jpy": 5, "exports_yoy_pct": None, "imports_yoy_pct": float("nan")})
    assert drivers(no_rates, items.iloc[0:0]) is None

"""Validate: the pandera models in `schemas/press.py` over a parsed press release, all rules at once."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from schemas.press import PressCommodities, PressTotals
from tasks.principal_commodities import reference_levels
from tasks.validate import failures
from zeikan.errors import ValidationFailed
from zeikan.release import PressRelease


def commodities_in_context(press: PressRelease) -> pd.DataFrame:
    """The commodity rows with each item's hierarchy level and page 1's total for its direction."""
    frame = press.commodities.copy()
    frame["level"] = [
        reference_levels(d)[c][0] for d, c in zip(frame["direction"], frame["category_code"], strict=True)
    ]
    page_one = press.totals.iloc[0]
    frame["page_one_total_jpy"] = pd.array(
        [page_one["exports_jpy"] if d == "export" else page_one["imports_jpy"] for d in frame["direction"]],
        dtype="Int64",
    )
    return frame


def check_press(press: PressRelease) -> PressRelease:
    """The release unchanged if every rule holds; otherwise `ValidationFailed` naming page, item and rule."""
    name = press.file.name
    totals = press.totals.assign(line=0)
    problems = failures(
        PressTotals, totals.drop(columns="line"), name, lambda i, col: ("pg1", col), lines=None
    )
    items = commodities_in_context(press)
    problems += failures(
        PressCommodities,
        items,
        name,
        lambda i, col: (
            f"{items.at[i, 'direction']} page item {items.at[i, 'position']} {items.at[i, 'name_en']!r}",
            col,
        ),
        lines=None,
    )
    if problems:
        raise ValidationFailed(problems)
    return press


@task(name="validate-press-release", cache_policy=NO_CACHE, persist_result=False)
def validate_press_release(press: PressRelease) -> PressRelease:
    """Returns the press release once `schemas/press.py` accepts it."""
    return check_press(press)

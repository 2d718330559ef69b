"""Publish: the headline sentence and its drivers for each month of a release, per vintage.

The wording is CONTRACT §2's: "Japan posted a trade deficit of ¥378.7 billion in May 2026, its first
deficit in 4 months." Amounts are rounded half-up from exact yen (Decimal, never float); "first … in N
months" appears only when the month breaks a run. A headline is written "as of" its own release: runs and
streaks are those known when that release came out, so a first print keeps reading as it was published
while later revisions add headlines of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.principal_commodities import reference_levels
from tasks.statements import statement
from tasks.transform import balance_as_of
from zeikan.periods import month_name
from zeikan.release import PressRelease

STAGES = ("first_ten_days", "first_twenty_days", "preliminary", "detailed", "confirmed", "revised")
PART_OF_MONTH = {"first_ten_days": "the first ten days of", "first_twenty_days": "the first twenty days of"}
ONE_DECIMAL = Decimal("0.1")
DRIVERS_PER_DIRECTION = 3
ACRONYMS = {"ic", "lng", "lpg", "tv"}
HEADLINE_COLUMNS = ["period", "vintage", "stage", "headline", "drivers"]


def yen_amount(yen: int) -> str:
    """|yen| in words: `¥378.7 billion`, and `¥1.2 trillion` from ¥1,000 billion up."""
    billions = (Decimal(abs(yen)) / Decimal(10**9)).quantize(ONE_DECIMAL, ROUND_HALF_UP)
    if billions >= 1000:
        trillions = (Decimal(abs(yen)) / Decimal(10**12)).quantize(ONE_DECIMAL, ROUND_HALF_UP)
        return f"¥{trillions:,} trillion"
    return f"¥{billions:,} billion"


def headline(
    period: date,
    balance_jpy: int,
    first_deficit_in: int | None,
    first_surplus_in: int | None,
    span: str = "in",
) -> str:
    """The sentence for one month (`span` says which part of it: "in", "in the first ten days of")."""
    when = f"{span} {month_name(period)}"
    if balance_jpy == 0:
        return f"Japan's trade was balanced {when}."
    position = "surplus" if balance_jpy > 0 else "deficit"
    breaks_run = first_surplus_in if balance_jpy > 0 else first_deficit_in
    sentence = f"Japan posted a trade {position} of {yen_amount(balance_jpy)} {when}"
    if breaks_run is not None and not pd.isna(breaks_run):
        sentence += f", its first {position} in {int(breaks_run)} months"
    return sentence + "."


def dfile_stage(period: date, vintage: date) -> str:
    """A d-file figure is `revised` once MOF's annual revision (March of the next year) is out."""
    return "revised" if vintage >= date(period.year + 1, 3, 1) else "confirmed"


def readable_name(name: str) -> str:
    """MOF's upper-case English names in sentence case: `SEMICONDUCTORS ETC` → `semiconductors etc`."""
    words = name.strip().strip("()").lower().split()
    return " ".join(w.upper() if w.strip(",.()") in ACRONYMS else w for w in words)


def top_contributors(candidates: pd.DataFrame, rising: bool) -> list[pd.Series]:
    """The items that moved the total most in its own direction, skipping an item's parent or child."""
    ordered = candidates.sort_values("yoy_contribution_pp", ascending=not rising, kind="stable")
    parents = dict(zip(candidates["category_code"], candidates["parent_code"], strict=True))

    def lineage(code: str) -> set[str]:
        found = {code}
        while parents.get(code) in parents:
            code = parents[code]
            found.add(code)
        return found

    chosen: list[pd.Series] = []
    for _, item in ordered.iterrows():
        pp = item["yoy_contribution_pp"]
        same_way = pp > 0 if rising else pp < 0
        related = any(
            item["category_code"] in lineage(c["category_code"])
            or c["category_code"] in lineage(item["category_code"])
            for c in chosen
        )
        if same_way and not related:
            chosen.append(item)
        if len(chosen) == DRIVERS_PER_DIRECTION:
            break
    return chosen


def driver_item(item: pd.Series) -> str:
    """`semiconductors etc (+2.0 pp, +55.0% y/y)`."""
    yoy = item.get("yoy_pct")
    rate = "" if yoy is None or pd.isna(yoy) else f", {yoy:+.1f}% y/y"
    return f"{readable_name(item['category_name_en'])} ({item['yoy_contribution_pp']:+.1f} pp{rate})"


def direction_drivers(label: str, yoy_pct: float | None, candidates: pd.DataFrame) -> str | None:
    """`Imports +12.5% y/y, led by semiconductors etc (+2.0 pp, +55.0% y/y), ...`; None without a rate."""
    if yoy_pct is None or pd.isna(yoy_pct):
        return None
    top = top_contributors(candidates, rising=yoy_pct >= 0)
    text = f"{label} {yoy_pct:+.1f}% y/y"
    if top:
        text += ", led by " + ", ".join(driver_item(item) for item in top)
    return text


def drivers(month: pd.Series, candidates: pd.DataFrame) -> str | None:
    """Both directions' drivers; the side that decided the balance comes first."""
    parts = {
        "export": direction_drivers(
            "Exports", month["exports_yoy_pct"], candidates[candidates["direction"] == "export"]
        ),
        "import": direction_drivers(
            "Imports", month["imports_yoy_pct"], candidates[candidates["direction"] == "import"]
        ),
    }
    order = ("import", "export") if month["balance_jpy"] < 0 else ("export", "import")
    shown = [parts[d] for d in order if parts[d]]
    if not shown:
        return None
    return "; ".join([shown[0], *(part[0].lower() + part[1:] for part in shown[1:])]) + "."


def press_candidates(press: PressRelease) -> pd.DataFrame:
    """A press release's own sub-items and printed contributions, as driver candidates."""
    items = press.commodities
    levels = [reference_levels(d)[c] for d, c in zip(items["direction"], items["category_code"], strict=True)]
    frame = pd.DataFrame(
        {
            "direction": items["direction"],
            "category_code": items["category_code"].astype(str),
            "category_name_en": items["name_en"],
            "parent_code": [parent for _, parent in levels],
            "level": [level for level, _ in levels],
            "yoy_pct": items["yoy_pct"].astype("float64"),
            "yoy_contribution_pp": items["yoy_contribution_pp"].astype("float64"),
        }
    )
    return frame[(frame["level"] >= 2) & frame["yoy_contribution_pp"].notna()]


@dataclass(frozen=True)
class HeadlineRequest:
    """Headlines to write for `periods`, as of release `release_id` of date `vintage`.

    `stage` None means d-file figures (confirmed or revised by date); a press release brings its own
    stage, its printed rates and contributions.
    """

    periods: list[date]
    vintage: date
    release_id: int
    stage: str | None = None
    press: PressRelease | None = field(default=None, repr=False)


def press_headline(request: HeadlineRequest, months: pd.DataFrame) -> dict[str, object]:
    """A press release's headline: its printed figures, and runs as known on its release day."""
    press = request.press
    printed = press.totals.iloc[0]
    month = pd.Series(
        {
            "balance_jpy": int(printed["balance_jpy"]),
            "exports_yoy_pct": printed["exports_yoy_pct"],
            "imports_yoy_pct": printed["imports_yoy_pct"],
        }
    )
    if press.is_monthly and not months.empty:
        known = months.iloc[0]
        text = headline(
            press.period,
            int(printed["balance_jpy"]),
            known["first_deficit_in_months"],
            known["first_surplus_in_months"],
        )
    else:
        text = headline(
            press.period, int(printed["balance_jpy"]), None, None, span=f"in {PART_OF_MONTH[press.stage]}"
        )
    return {
        "period": press.period,
        "vintage": request.vintage,
        "stage": press.stage,
        "headline": text,
        "drivers": drivers(month, press_candidates(press)),
    }


def compose_headlines(con: duckdb.DuckDBPyConnection, request: HeadlineRequest) -> pd.DataFrame:
    """Headline rows (period, vintage, stage, headline, drivers) for one request."""
    params = {
        "periods": request.periods,
        "as_of_vintage": request.vintage,
        "as_of_release": request.release_id,
    }
    months = con.execute(statement("headline_months").format(monthly_balance=balance_as_of()), params).df()
    if request.press is not None:
        return pd.DataFrame([press_headline(request, months)], columns=HEADLINE_COLUMNS)
    candidates = con.execute(statement("headline_drivers"), {"periods": request.periods}).df()
    by_period = dict(tuple(candidates.groupby("period"))) if len(candidates) else {}
    rows = []
    for _, month in months.iterrows():
        period = month["period"].date() if isinstance(month["period"], pd.Timestamp) else month["period"]
        rows.append(
            {
                "period": period,
                "vintage": request.vintage,
                "stage": request.stage or dfile_stage(period, request.vintage),
                "headline": headline(
                    period,
                    int(month["balance_jpy"]),
                    month["first_deficit_in_months"],
                    month["first_surplus_in_months"],
                ),
                "drivers": drivers(month, by_period.get(month["period"], candidates.iloc[0:0])),
            }
        )
    return pd.DataFrame(rows, columns=HEADLINE_COLUMNS)


@dataclass(frozen=True)
class WrittenHeadlines:
    """The headlines of a load, how many rows of `core.release_headlines` changed, and for which months."""

    frame: pd.DataFrame
    rows_changed: int
    changed_periods: frozenset[date] = frozenset()

    @classmethod
    def combine(cls, parts: list[WrittenHeadlines]) -> WrittenHeadlines:
        frames = [p.frame for p in parts if not p.frame.empty]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=HEADLINE_COLUMNS)
        changed = frozenset().union(*(p.changed_periods for p in parts))
        return cls(frame, sum(p.rows_changed for p in parts), changed)

    def for_period(self, period: date) -> pd.DataFrame:
        """The headlines written for `period`, oldest vintage first."""
        return self.frame[self.frame["period"] == period].sort_values(["vintage", "stage"])


def save_headlines(
    con: duckdb.DuckDBPyConnection, requests: list[HeadlineRequest], refresh: bool = False
) -> WrittenHeadlines:
    """Write the requested headlines and, if anything changed (or `refresh`), `marts.release_headlines`."""
    parts = [compose_headlines(con, request) for request in requests]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=HEADLINE_COLUMNS)
    release_id = max((r.release_id for r in requests), default=None)
    con.register("incoming_headlines", frame)
    try:
        dropped = con.execute(statement("drop_changed_headlines")).fetchall()
        added = con.execute(statement("add_release_headlines"), {"release_id": release_id}).fetchall()
    finally:
        con.unregister("incoming_headlines")
    if dropped or added or refresh:
        con.execute("DELETE FROM marts.release_headlines")
        con.execute(statement("mart_release_headlines"))
    changed = frozenset(p for (p,) in added)
    return WrittenHeadlines(frame, len(dropped) + len(added), changed)


def months_published_at(con: duckdb.DuckDBPyConnection, months: list[date], vintage: date) -> set[date]:
    """The months among `months` whose d-file headline at `vintage` is already written."""
    rows = con.execute(statement("months_published_at"), {"months": months, "vintage": vintage}).fetchall()
    return {period for (period,) in rows}


@task(name="find-published-months", cache_policy=NO_CACHE, persist_result=False)
def published_months(con: duckdb.DuckDBPyConnection, months: list[date], vintage: date) -> set[date]:
    """Returns the months already published from the d-files at `vintage` (a backfill skips them)."""
    return months_published_at(con, months, vintage)


@task(name="write-headlines", cache_policy=NO_CACHE, persist_result=False)
def write_headlines(
    con: duckdb.DuckDBPyConnection, requests: list[HeadlineRequest], refresh: bool = False
) -> WrittenHeadlines:
    """Returns the headlines written for the requested months and releases."""
    return save_headlines(con, requests, refresh)

"""Publish: the headline sentence and its drivers for each month of a release, per vintage.

The wording is CONTRACT §2's: "Japan posted a trade deficit of ¥378.7 billion in May 2026, its first
deficit in 4 months." Amounts are rounded half-up from exact yen (Decimal, never float); "first … in N
months" appears only when the month breaks a run. Headlines are kept per vintage: a revision adds a
headline for its own vintage and leaves the first print's as it was published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.statements import statement
from tasks.store import StoredVintage
from zeikan.periods import month_name

STAGES = ("first_ten_days", "first_twenty_days", "preliminary", "detailed", "confirmed", "revised")
ONE_DECIMAL = Decimal("0.1")
DRIVERS_PER_DIRECTION = 3
ACRONYMS = {"ic", "lng", "lpg", "tv"}


def yen_amount(yen: int) -> str:
    """|yen| in words: `¥378.7 billion`, and `¥1.2 trillion` from ¥1,000 billion up."""
    billions = (Decimal(abs(yen)) / Decimal(10**9)).quantize(ONE_DECIMAL, ROUND_HALF_UP)
    if billions >= 1000:
        trillions = (Decimal(abs(yen)) / Decimal(10**12)).quantize(ONE_DECIMAL, ROUND_HALF_UP)
        return f"¥{trillions:,} trillion"
    return f"¥{billions:,} billion"


def headline(
    period: date, balance_jpy: int, first_deficit_in: int | None, first_surplus_in: int | None
) -> str:
    """The sentence for one month."""
    if balance_jpy == 0:
        return f"Japan's trade was balanced in {month_name(period)}."
    position = "surplus" if balance_jpy > 0 else "deficit"
    breaks_run = first_surplus_in if balance_jpy > 0 else first_deficit_in
    sentence = f"Japan posted a trade {position} of {yen_amount(balance_jpy)} in {month_name(period)}"
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


def top_contributors(candidates: pd.DataFrame, rising: bool) -> list[tuple[str, float]]:
    """The items that moved the total most in its own direction, skipping an item's parent or child."""
    ordered = candidates.sort_values("yoy_contribution_pp", ascending=not rising, kind="stable")
    parents = dict(zip(candidates["category_code"], candidates["parent_code"], strict=True))

    def lineage(code: str) -> set[str]:
        found = {code}
        while parents.get(code) in parents:
            code = parents[code]
            found.add(code)
        return found

    chosen: list[tuple[str, str, float]] = []
    for item in ordered.itertuples():
        same_way = item.yoy_contribution_pp > 0 if rising else item.yoy_contribution_pp < 0
        if not same_way or any(
            item.category_code in lineage(c) or c in lineage(item.category_code) for c, _, _ in chosen
        ):
            continue
        chosen.append((item.category_code, item.category_name_en, item.yoy_contribution_pp))
        if len(chosen) == DRIVERS_PER_DIRECTION:
            break
    return [(name, pp) for _, name, pp in chosen]


def direction_drivers(label: str, yoy_pct: float | None, candidates: pd.DataFrame) -> str | None:
    """`Imports +12.5% y/y, led by semiconductors etc (+2.0 pp), ...`, or None without a y/y rate."""
    if yoy_pct is None or pd.isna(yoy_pct):
        return None
    top = top_contributors(candidates, rising=yoy_pct >= 0)
    text = f"{label} {yoy_pct:+.1f}% y/y"
    if top:
        text += ", led by " + ", ".join(f"{readable_name(name)} ({pp:+.1f} pp)" for name, pp in top)
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


def compose_headlines(con: duckdb.DuckDBPyConnection, periods: list[date], vintage: date) -> pd.DataFrame:
    """Headline rows (period, vintage, stage, headline, drivers) for `periods` from the current marts."""
    params = {"periods": periods}
    months = con.execute(statement("headline_months"), params).df()
    candidates = con.execute(statement("headline_drivers"), params).df()
    by_period = dict(tuple(candidates.groupby("period"))) if len(candidates) else {}
    rows = []
    for month in months.itertuples(index=False):
        period = month.period.date() if isinstance(month.period, pd.Timestamp) else month.period
        month_series = pd.Series(month._asdict())
        rows.append(
            {
                "period": period,
                "vintage": vintage,
                "stage": dfile_stage(period, vintage),
                "headline": headline(
                    period,
                    int(month.balance_jpy),
                    month.first_deficit_in_months,
                    month.first_surplus_in_months,
                ),
                "drivers": drivers(month_series, by_period.get(month.period, candidates.iloc[0:0])),
            }
        )
    return pd.DataFrame(rows, columns=["period", "vintage", "stage", "headline", "drivers"])


@dataclass(frozen=True)
class WrittenHeadlines:
    """The headlines of a load, and how many rows of `core.release_headlines` changed."""

    frame: pd.DataFrame
    rows_changed: int

    @classmethod
    def combine(cls, parts: list[WrittenHeadlines]) -> WrittenHeadlines:
        frames = [p.frame for p in parts if not p.frame.empty]
        frame = pd.concat(frames, ignore_index=True) if frames else parts[0].frame
        return cls(frame, sum(p.rows_changed for p in parts))

    def text(self, period: date) -> str | None:
        match = self.frame[self.frame["period"] == period]
        return None if match.empty else str(match["headline"].iloc[0])


def save_headlines(
    con: duckdb.DuckDBPyConnection, stored: StoredVintage, periods: list[date]
) -> WrittenHeadlines:
    """Write the headlines of `periods` at the current vintage and refresh `marts.release_headlines`."""
    frame = compose_headlines(con, periods, stored.vintage)
    (release_id,) = con.execute("SELECT max(release_id) FROM core.releases").fetchone()
    con.register("incoming_headlines", frame)
    try:
        (dropped,) = con.execute(statement("drop_changed_headlines")).fetchone()
        (added,) = con.execute(statement("add_release_headlines"), {"release_id": release_id}).fetchone()
    finally:
        con.unregister("incoming_headlines")
    if dropped or added or stored.changed:
        con.execute("DELETE FROM marts.release_headlines")
        con.execute(statement("mart_release_headlines"))
    return WrittenHeadlines(frame, int(dropped) + int(added))


@task(name="write-headlines", cache_policy=NO_CACHE, persist_result=False)
def write_headlines(
    con: duckdb.DuckDBPyConnection, stored: StoredVintage, periods: list[date]
) -> WrittenHeadlines:
    """Returns the headlines written for `periods` at the release's vintage."""
    return save_headlines(con, stored, periods)

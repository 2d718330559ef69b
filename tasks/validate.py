"""Validate: run the pandera models in `schemas/` over a parsed release, all rules at once (lazy).

Every failure becomes a `Problem` naming the file, the month and line, the column as MOF prints it, and
the rule, so the message points at the cell to look at. Nothing is written while any rule fails.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import pandera.pandas as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from schemas.commodities import CommodityMonthly
from schemas.months import MONTHS_CONTIGUOUS, MONTHS_UNIQUE
from schemas.release import TotalsAgree
from schemas.world import WorldMonthly
from zeikan.errors import InvalidRequest, Problem, ReleaseNotPublished, ValidationFailed
from zeikan.periods import format_period, months_between
from zeikan.release import CommodityTrade, ParsedRelease, PressRelease, WorldTrade

MAX_PROBLEMS_PER_RULE = 10
# pandera reports a whole-frame rule once per column; name the column the rule is about.
MONTH_RULES = (MONTHS_CONTIGUOUS, MONTHS_UNIQUE)
VALUE_COLUMNS = ("value_jpy", "commodity_total_jpy", "balance_jpy", "exports_jpy")
WORLD_COLUMNS = {"period": "1 Years/Months", "exports_jpy": "2 Exp-Total", "imports_jpy": "3 Imp-Total"}

Locate = Callable[[int, str], tuple[str | None, str | None]]


def failures(
    model: type[pa.DataFrameModel],
    frame: pd.DataFrame,
    file: str,
    locate: Locate,
    lines: pd.Series | bool | None = True,
) -> list[Problem]:
    """Every rule `frame` breaks under `model`, as problems located by `locate(row_index, column)`.

    `lines` maps frame rows to source lines (default: the frame's `line` column) so that a rule about a
    whole month is reported once per line; None where rows are their own places (XML items).
    """
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        by_line = frame["line"] if lines is True else lines
        return problems_from(exc.failure_cases, by_line, file, locate)
    return []


def problems_from(cases: pd.DataFrame, lines: pd.Series | None, file: str, locate: Locate) -> list[Problem]:
    """Turn pandera's failure-case table into at most a few problems per rule, one per failing place.

    A month rule fails every row of a month (59 commodities in d51ma), so it is reported once per source
    line; a value rule once per row and column. `lines` maps the frame's index to source lines.
    """
    cases = cases.copy()
    about_month = cases["check"].isin(MONTH_RULES)
    cases["rank"] = (
        cases["column"].map({c: i + 1 for i, c in enumerate(VALUE_COLUMNS)}).fillna(len(VALUE_COLUMNS) + 1)
    )
    cases.loc[about_month & (cases["column"] == "period"), "rank"] = 0
    located = cases["index"].notna()
    cases["place"] = cases["index"]
    if lines is not None:
        cases.loc[located & about_month, "place"] = (
            cases.loc[located & about_month, "index"].astype("int64").map(lines).astype("float64")
        )
    cases = cases.sort_values(["check", "place", "rank"], kind="stable")
    cases = cases.drop_duplicates(["check", "place"])
    problems: list[Problem] = []
    for check, group in cases.groupby("check", sort=False):
        for case in group.head(MAX_PROBLEMS_PER_RULE).itertuples():
            if pd.isna(case.index):
                problems.append(
                    Problem(file, f"{check}", column=str(case.column), value=str(case.failure_case))
                )
                continue
            row, column = locate(int(case.index), str(case.column))
            problems.append(
                Problem(file, _readable(str(check)), row=row, column=column, value=_shown(case.failure_case))
            )
        if len(group) > MAX_PROBLEMS_PER_RULE:
            problems.append(
                Problem(file, f"... {len(group) - MAX_PROBLEMS_PER_RULE} more rows break: {check}")
            )
    return problems


def _readable(check: str) -> str:
    return {
        "greater_than_or_equal_to(0)": "must not be negative (>= 0)",
        "not_nullable": "must not be empty",
        "field_uniqueness": "each month must appear once",
    }.get(check, check)


def _shown(value: object) -> str:
    return value.strftime("%Y/%m") if isinstance(value, pd.Timestamp) else str(value)


def row_of(frame: pd.DataFrame, index: int) -> str:
    period, line = frame.at[index, "period"], frame.at[index, "line"]
    return f"{period:%Y/%m} (line {line})"


def world_problems(world: WorldTrade) -> list[Problem]:
    frame = world.frame
    return failures(
        WorldMonthly, frame, world.file, lambda i, col: (row_of(frame, i), WORLD_COLUMNS.get(col, col))
    )


def commodity_problems(trade: CommodityTrade) -> list[Problem]:
    frame = trade.frame

    def locate(i: int, col: str) -> tuple[str, str]:
        code, field = frame.at[i, "category_code"], int(frame.at[i, "column"])
        named = {
            "value_jpy": f"{field} ('{code}' value)",
            "quantity": f"{field - 1} ('{code}' quantity)",
            "period": "1 Years/Months",
        }
        return row_of(frame, i), named.get(col, f"{col} ('{code}')")

    return failures(CommodityMonthly, frame, trade.file, locate)


def totals_problems(trade: CommodityTrade, world: WorldTrade) -> list[Problem]:
    """d51ma's total against d41ma's exports (d61ma's against imports), month by month."""
    world_column = "exports_jpy" if trade.direction == "export" else "imports_jpy"
    totals = trade.frame[trade.frame["level"] == 0][["period", "value_jpy", "line", "column"]]
    joined = totals.merge(world.frame[["period", world_column]], on="period", how="left")
    frame = pd.DataFrame(
        {
            "period": joined["period"],
            "commodity_total_jpy": joined["value_jpy"],
            "world_total_jpy": joined[world_column].astype("Int64"),
            "line": joined["line"],
        }
    )
    field = int(totals["column"].iloc[0]) if len(totals) else 2

    def locate(i: int, col: str) -> tuple[str, str]:
        world_value = frame.at[i, "world_total_jpy"]
        return row_of(frame, i), f"{field} (total, vs d41ma {world_column} {world_value})"

    return failures(TotalsAgree, frame, trade.file, locate)


def future_problems(release: ParsedRelease, as_of: date) -> list[Problem]:
    """A month is published after it ends: a row for the as-of month or later cannot be real data."""
    limit = pd.Timestamp(as_of.replace(day=1))
    problems = []
    for file, frame in (
        (release.world.file, release.world.frame),
        (release.exports.file, release.exports.frame.drop_duplicates("line")),
        (release.imports.file, release.imports.frame.drop_duplicates("line")),
    ):
        late = frame[frame["period"] >= limit]
        problems += [
            Problem(
                file,
                f"month is not over yet on the as-of date {as_of}",
                row=row_of(late, i),
                column=WORLD_COLUMNS["period"],
            )
            for i in late.index[:MAX_PROBLEMS_PER_RULE]
        ]
    return problems


def require_same_latest_month(release: ParsedRelease) -> None:
    """MOF replaces the three files one after another; a mix of old and new is "not published yet"."""
    latest = {t.file: t.latest_period for t in (release.world, release.exports, release.imports)}
    if len(set(latest.values())) > 1:
        shown = ", ".join(
            f"{file} ends at {format_period(p) if p else 'nothing'}" for file, p in latest.items()
        )
        raise ReleaseNotPublished(f"the source is part-way through an update ({shown}); try again later")


def same_months_problems(release: ParsedRelease) -> list[Problem]:
    """d51ma and d61ma cover the same months (MOF prints both from 1988-01); a file missing its first
    years would otherwise pass every rule that looks at one file at a time."""
    exports, imports = release.exports.frame, release.imports.frame
    first = {
        t.file: None if t.frame.empty else t.frame["period"].min() for t in (release.exports, release.imports)
    }
    if exports.empty or imports.empty or len(set(first.values())) == 1:
        return []
    later = max(first, key=lambda f: first[f])
    return [
        Problem(
            later,
            "must begin in the same month as the other commodity file "
            f"({', '.join(f'{f} begins {p:%Y/%m}' for f, p in first.items())})",
            row="first month",
        )
    ]


def check_release(release: ParsedRelease, as_of: date) -> ParsedRelease:
    """The release unchanged if every rule holds; otherwise `ValidationFailed` listing every problem."""
    problems = world_problems(release.world)
    problems += same_months_problems(release)
    problems += commodity_problems(release.exports) + commodity_problems(release.imports)
    problems += future_problems(release, as_of)
    if not problems:
        require_same_latest_month(release)
        problems += totals_problems(release.exports, release.world)
        problems += totals_problems(release.imports, release.world)
    if problems:
        raise ValidationFailed(problems)
    return release


@task(name="validate-release", cache_policy=NO_CACHE, persist_result=False)
def validate_release(release: ParsedRelease, as_of: date) -> ParsedRelease:
    """Returns the release once every schema in `schemas/` accepts it."""
    return check_release(release, as_of)


def months_to_publish(
    release: ParsedRelease, start: date | None, end: date | None, press: list[PressRelease] | None = None
) -> list[date]:
    """The months a run covers: `start`..`end` (both None: the newest month the source has published).

    A month is published once the d-files have it or a monthly press release (preliminary, detailed) is
    out for it: MOF's d-files can lag the press release by hours. A month after that is not published yet
    (exit 3); one before the d-files' first month is not in this source at all (exit 2).
    """
    first = release.first_period
    press_months = [p.period for p in press or [] if p.is_monthly]
    latest = max([m for m in (release.latest_period, *press_months) if m is not None], default=None)
    if latest is None or first is None:
        raise ReleaseNotPublished(f"{release.world.file} has no published month yet")
    end = end or start or latest
    start = start or end
    if start > end:
        raise InvalidRequest(f"start {format_period(start)} is after end {format_period(end)}")
    if end > latest:
        raise ReleaseNotPublished(
            f"{format_period(end)} is not published yet: the source's newest month is {format_period(latest)}"
        )
    if start < first:
        raise InvalidRequest(
            f"{format_period(start)} is before the source's first month {format_period(first)}"
        )
    return months_between(start, end)


@task(name="is-published", cache_policy=NO_CACHE, persist_result=False)
def is_published(release: ParsedRelease, period: date, press: list[PressRelease]) -> bool:
    """Returns whether the d-files or a monthly press release have `period` (never raises)."""
    try:
        months_to_publish(release, period, period, press)
    except ReleaseNotPublished:
        return False
    return True


@task(name="months-to-publish", cache_policy=NO_CACHE, persist_result=False)
def select_months(
    release: ParsedRelease, start: date | None, end: date | None, press: list[PressRelease] | None = None
) -> list[date]:
    """Returns the months this run publishes, refusing ones the source has not published."""
    return months_to_publish(release, start, end, press)

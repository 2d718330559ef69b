"""Transform: rebuild the `marts` tables from `core` inside the load's transaction.

Marts are derived data, so they are rebuilt whole from the vintages in `core` (set-based SQL in
`tasks/sql/`). A reader therefore always sees the marts of one complete release.
"""

from __future__ import annotations

from datetime import date

import duckdb
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.statements import statement

# The point in the release history after every release: "as of" it, each month has its latest figures.
END_OF_TIME = {"as_of_vintage": date(9999, 12, 31), "as_of_release": 2**31 - 1}
YEARLY_MARTS = {
    "trade_balance_fiscal_year": (
        "fiscal_year",
        "year(period) - CASE WHEN month(period) < 4 THEN 1 ELSE 0 END",
    ),
    "trade_balance_calendar_year": ("year", "year(period)"),
}
# In dependency order: the yearly marts read the monthly one.
MARTS = (
    "trade_balance_monthly",
    "trade_by_category_monthly",
    *YEARLY_MARTS,
    "revisions",
    "press_release_totals",
    "press_release_commodities",
)


def balance_as_of() -> str:
    """The SELECT of every month's balance metrics as of ($as_of_vintage, $as_of_release)."""
    return statement("monthly_balance")


def mart_statement(mart: str) -> tuple[str, dict[str, object]]:
    """The INSERT that fills `marts.<mart>`, and its parameters."""
    if mart == "trade_balance_monthly":
        return f"INSERT INTO marts.trade_balance_monthly {balance_as_of()}", END_OF_TIME
    if mart in YEARLY_MARTS:
        year_column, year_of_period = YEARLY_MARTS[mart]
        sql = statement("mart_trade_balance_yearly")
        return sql.format(table=mart, year_column=year_column, year_of_period=year_of_period), {}
    return statement(f"mart_{mart}"), {}


def rebuild_marts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Replace every figure mart's rows with what `core` now says; returns row counts."""
    counts = {}
    for mart in MARTS:
        con.execute(f"DELETE FROM marts.{mart}")
        sql, params = mart_statement(mart)
        con.execute(sql, params)
        (counts[mart],) = con.execute(f"SELECT count(*) FROM marts.{mart}").fetchone()
    return counts


@task(name="build-marts", cache_policy=NO_CACHE, persist_result=False)
def build_marts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Returns the row count of each mart after rebuilding it from `core`."""
    return rebuild_marts(con)

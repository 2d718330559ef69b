"""Transform: rebuild the `marts` tables from `core` inside the load's transaction.

Marts are derived data, so they are rebuilt whole from the vintages in `core` (set-based SQL in
`tasks/sql/mart_*.sql`). A reader therefore always sees the marts of one complete release.
"""

from __future__ import annotations

import duckdb
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.statements import statement

# (mart table, statement) in dependency order: the yearly marts read the monthly one.
YEARLY_MARTS = {
    "trade_balance_fiscal_year": (
        "fiscal_year",
        "year(period) - CASE WHEN month(period) < 4 THEN 1 ELSE 0 END",
    ),
    "trade_balance_calendar_year": ("year", "year(period)"),
}
MARTS = (
    "trade_balance_monthly",
    "trade_by_category_monthly",
    *YEARLY_MARTS,
    "revisions",
)


def mart_statement(mart: str) -> str:
    """The INSERT that fills `marts.<mart>`."""
    if mart in YEARLY_MARTS:
        year_column, year_of_period = YEARLY_MARTS[mart]
        return statement("mart_trade_balance_yearly").format(
            table=mart, year_column=year_column, year_of_period=year_of_period
        )
    return statement(f"mart_{mart}")


def rebuild_marts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Replace every figure mart's rows with what `core` now says; returns row counts."""
    counts = {}
    for mart in MARTS:
        con.execute(f"DELETE FROM marts.{mart}")
        con.execute(mart_statement(mart))
        (counts[mart],) = con.execute(f"SELECT count(*) FROM marts.{mart}").fetchone()
    return counts


@task(name="build-marts", cache_policy=NO_CACHE, persist_result=False)
def build_marts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Returns the row count of each mart after rebuilding it from `core`."""
    return rebuild_marts(con)

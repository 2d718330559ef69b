"""Load: add a validated release to `core` as one vintage, keeping every earlier vintage.

Only figures that are new or differ from the warehouse's value as of the vintage are added, so loading
the same files twice adds nothing, and the load records itself (release row, raw files) only when it
changed something: running any command twice leaves the warehouse as running it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.statements import statement
from zeikan.redact import redact_url
from zeikan.release import ParsedRelease, PressRelease, RawFile

CATALOG_COLUMNS = [
    "direction",
    "category_code",
    "category_name_ja",
    "category_name_en",
    "level",
    "parent_code",
    "quantity_unit",
    "in_press_release",
    "file_position",
]
PRESS_TOTAL_COLUMNS = [
    "exports_jpy",
    "imports_jpy",
    "balance_jpy",
    "exports_year_ago_jpy",
    "imports_year_ago_jpy",
    "balance_year_ago_jpy",
    "exports_yoy_pct",
    "imports_yoy_pct",
    "balance_yoy_pct",
]
PRESS_COMMODITY_COLUMNS = [
    "direction",
    "position",
    "category_code",
    "name_en",
    "level_printed",
    "quantity_unit",
    "quantity",
    "value_jpy",
    "share_pct",
    "yoy_pct",
    "yoy_contribution_pp",
]

RECORD_RELEASE = (
    "INSERT INTO core.releases (release_id, vintage, period, source, loaded_at, rows_changed, kind, stage) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
RECORD_FILE = "INSERT INTO core.release_files VALUES (?, ?, ?, ?, ?, ?)"
LATEST_DFILES_RELEASE = (
    "SELECT release_id, vintage FROM core.releases WHERE kind = 'dfiles' ORDER BY release_id DESC LIMIT 1"
)
PRESS_FILE_LOADED = (
    "SELECT r.release_id FROM core.release_files AS f JOIN core.releases AS r USING (release_id) "
    "WHERE f.sha256 = ? AND r.kind = 'press'"
)
_PRESS_TOTALS = ", ".join(["release_id", "period", "stage", "release_date", *PRESS_TOTAL_COLUMNS])
ADD_PRESS_TOTALS = (
    f"INSERT INTO core.press_totals ({_PRESS_TOTALS}) SELECT {_PRESS_TOTALS} FROM incoming_press_totals"
)
_PRESS_ITEMS = ", ".join(["release_id", "period", *PRESS_COMMODITY_COLUMNS])
ADD_PRESS_COMMODITIES = (
    f"INSERT INTO core.press_commodities ({_PRESS_ITEMS}) "
    f"SELECT {_PRESS_ITEMS} FROM incoming_press_commodities"
)


@dataclass(frozen=True)
class StoredVintage:
    """A release as the warehouse now holds it.

    `release_id` is the load that holds its figures: a new one when this load changed something, else the
    earlier load it repeats. Headlines are written "as of" that release.
    """

    release_id: int | None
    vintage: date
    rows_changed: int
    new: bool
    kind: str = "dfiles"
    stage: str | None = None
    catalog_changed: bool = False

    @property
    def changed(self) -> bool:
        return self.new


def next_release_id(con: duckdb.DuckDBPyConnection) -> int:
    (release_id,) = con.execute("SELECT coalesce(max(release_id), 0) + 1 FROM core.releases").fetchone()
    return int(release_id)


def add_figures(
    con: duckdb.DuckDBPyConnection,
    totals: pd.DataFrame,
    categories: pd.DataFrame,
    vintage: date,
    release_id: int,
) -> int:
    """Add the monthly totals and per-commodity figures that differ from the warehouse as of `vintage`."""
    params = {"vintage": vintage, "release_id": release_id}
    con.register("incoming_totals", totals[["period", "exports_jpy", "imports_jpy"]])
    con.register(
        "incoming_categories", categories[["period", "direction", "category_code", "value_jpy", "quantity"]]
    )
    try:
        (added_totals,) = con.execute(statement("store_trade_totals"), params).fetchone()
        (added_categories,) = con.execute(statement("store_trade_by_category"), params).fetchone()
    finally:
        con.unregister("incoming_totals")
        con.unregister("incoming_categories")
    return int(added_totals) + int(added_categories)


def record_release(
    con: duckdb.DuckDBPyConnection,
    release_id: int,
    vintage: date,
    period: date,
    source: str,
    rows_changed: int,
    files: list[RawFile],
    kind: str,
    stage: str | None,
) -> None:
    """Record the load and its raw files; URLs are kept without credentials or query values."""
    con.execute(
        RECORD_RELEASE,
        [release_id, vintage, period, redact_url(source), datetime.now(UTC), rows_changed, kind, stage],
    )
    con.executemany(
        RECORD_FILE,
        [[release_id, f.name, redact_url(f.url), f.sha256, f.size, f.fetched_at] for f in files],
    )


def incoming_categories(release: ParsedRelease) -> pd.DataFrame:
    columns = ["period", "category_code", "value_jpy", "quantity"]
    return pd.concat(
        [t.frame[columns].assign(direction=t.direction) for t in (release.exports, release.imports)],
        ignore_index=True,
    )


def incoming_catalog(release: ParsedRelease) -> pd.DataFrame:
    frames = []
    for trade in (release.exports, release.imports):
        catalog = trade.catalog.assign(direction=trade.direction, file_position=range(len(trade.catalog)))
        frames.append(catalog[CATALOG_COLUMNS])
    catalog = pd.concat(frames, ignore_index=True)
    return catalog.astype({"level": "int32", "file_position": "int32", "in_press_release": "bool"})


def replace_catalog_if_changed(con: duckdb.DuckDBPyConnection, release: ParsedRelease) -> bool:
    con.register("incoming_catalog", incoming_catalog(release))
    try:
        (differs,) = con.execute(statement("catalog_differs")).fetchone()
        if differs:
            con.execute("DELETE FROM core.principal_commodities")
            con.execute("INSERT INTO core.principal_commodities SELECT * FROM incoming_catalog")
    finally:
        con.unregister("incoming_catalog")
    return bool(differs)


def add_vintage(
    con: duckdb.DuckDBPyConnection, release: ParsedRelease, vintage: date, period: date, source: str
) -> StoredVintage:
    """Add the d-files' figures to `core` as vintage `vintage` (inside the caller's transaction)."""
    release_id = next_release_id(con)
    rows_changed = add_figures(con, release.world.frame, incoming_categories(release), vintage, release_id)
    catalog_changed = replace_catalog_if_changed(con, release)
    if rows_changed == 0 and not catalog_changed:
        current = con.execute(LATEST_DFILES_RELEASE).fetchone()
        held_by, held_vintage = current if current else (None, vintage)
        return StoredVintage(held_by, held_vintage, 0, new=False)
    record_release(con, release_id, vintage, period, source, rows_changed, release.files, "dfiles", None)
    return StoredVintage(release_id, vintage, rows_changed, new=True, catalog_changed=catalog_changed)


def add_press_vintage(con: duckdb.DuckDBPyConnection, press: PressRelease, source: str) -> StoredVintage:
    """Add a press release as the vintage of its release date, once: the same file again adds nothing."""
    known = con.execute(PRESS_FILE_LOADED, [press.file.sha256]).fetchone()
    vintage = press.release_date
    if known:
        return StoredVintage(int(known[0]), vintage, 0, new=False, kind="press", stage=press.stage)
    release_id = next_release_id(con)
    rows_changed = 0
    if press.is_monthly:  # a part-month's figures are not the month's: they stay in core.press_totals
        categories = press.commodities.assign(period=pd.Timestamp(press.period), quantity=pd.NA)
        rows_changed = add_figures(con, press.totals, categories, vintage, release_id)
    totals = press.totals[PRESS_TOTAL_COLUMNS].assign(
        release_id=release_id, period=press.period, stage=press.stage, release_date=vintage
    )
    con.register("incoming_press_totals", totals)
    con.register(
        "incoming_press_commodities",
        press.commodities[PRESS_COMMODITY_COLUMNS].assign(release_id=release_id, period=press.period),
    )
    try:
        con.execute(ADD_PRESS_TOTALS)
        con.execute(ADD_PRESS_COMMODITIES)
    finally:
        con.unregister("incoming_press_totals")
        con.unregister("incoming_press_commodities")
    record_release(
        con, release_id, vintage, press.period, source, rows_changed, [press.file], "press", press.stage
    )
    return StoredVintage(release_id, vintage, rows_changed, new=True, kind="press", stage=press.stage)


@task(name="store-vintage", cache_policy=NO_CACHE, persist_result=False)
def store_vintage(
    con: duckdb.DuckDBPyConnection, release: ParsedRelease, vintage: date, period: date, source: str
) -> StoredVintage:
    """Returns what the d-files added to `core` as one vintage."""
    return add_vintage(con, release, vintage, period, source)


@task(name="store-press-release", cache_policy=NO_CACHE, persist_result=False)
def store_press_release(con: duckdb.DuckDBPyConnection, press: PressRelease, source: str) -> StoredVintage:
    """Returns what the press release added to `core` as the vintage of its release date."""
    return add_press_vintage(con, press, source)

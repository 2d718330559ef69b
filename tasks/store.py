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
from zeikan.release import ParsedRelease

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


@dataclass(frozen=True)
class StoredVintage:
    """What a load added: its release id (None when nothing changed), the vintage now current, counts."""

    release_id: int | None
    vintage: date
    rows_changed: int
    catalog_changed: bool

    @property
    def changed(self) -> bool:
        return self.release_id is not None


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


def add_vintage(
    con: duckdb.DuckDBPyConnection, release: ParsedRelease, vintage: date, period: date, source: str
) -> StoredVintage:
    """Add the release's figures to `core` as vintage `vintage` (inside the caller's transaction)."""
    (release_id,) = con.execute("SELECT coalesce(max(release_id), 0) + 1 FROM core.releases").fetchone()
    params = {"vintage": vintage, "release_id": release_id}
    con.register("incoming_totals", release.world.frame[["period", "exports_jpy", "imports_jpy"]])
    con.register("incoming_categories", incoming_categories(release))
    con.register("incoming_catalog", incoming_catalog(release))
    try:
        (totals,) = con.execute(statement("store_trade_totals"), params).fetchone()
        (categories,) = con.execute(statement("store_trade_by_category"), params).fetchone()
        (catalog_changed,) = con.execute(statement("catalog_differs")).fetchone()
        if catalog_changed:
            con.execute("DELETE FROM core.principal_commodities")
            con.execute("INSERT INTO core.principal_commodities SELECT * FROM incoming_catalog")
    finally:
        for view in ("incoming_totals", "incoming_categories", "incoming_catalog"):
            con.unregister(view)
    rows_changed = int(totals) + int(categories)
    if rows_changed == 0 and not catalog_changed:
        current = con.execute("SELECT vintage FROM core.releases ORDER BY release_id DESC LIMIT 1").fetchone()
        return StoredVintage(None, current[0] if current else vintage, 0, False)
    con.execute(
        "INSERT INTO core.releases VALUES (?, ?, ?, ?, ?, ?)",
        [release_id, vintage, period, source, datetime.now(UTC), rows_changed],
    )
    con.executemany(
        "INSERT INTO core.release_files VALUES (?, ?, ?, ?, ?, ?)",
        [[release_id, f.name, f.url, f.sha256, f.size, f.fetched_at] for f in release.files],
    )
    return StoredVintage(release_id, vintage, rows_changed, bool(catalog_changed))


@task(name="store-vintage", cache_policy=NO_CACHE, persist_result=False)
def store_vintage(
    con: duckdb.DuckDBPyConnection, release: ParsedRelease, vintage: date, period: date, source: str
) -> StoredVintage:
    """Returns what the release added to `core` as one vintage."""
    return add_vintage(con, release, vintage, period, source)

"""A warehouse in one DuckDB file: one writer at a time, every load one transaction.

Schema changes are numbered `.sql` files in `sql/`, applied in order inside the first transaction that
needs them and recorded in `core.schema_migrations`, so an old warehouse upgrades itself on the next
load and a failed load leaves no half-created tables behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from zeikan.errors import ZeikanError

MIGRATIONS_TABLE = "core.schema_migrations"
SCHEMAS = ("core", "marts")


@dataclass(frozen=True)
class Transaction:
    """An open write transaction: the connection, and whether this transaction changed the schema."""

    con: duckdb.DuckDBPyConnection
    migrated: bool


class WarehouseBusy(ZeikanError):
    """Another process holds the warehouse file (a load, or a tool that opened it read-write)."""


def migrations() -> list[tuple[str, str]]:
    """(name, SQL) of every schema migration, in order."""
    folder = resources.files("zeikan.warehouse").joinpath("sql")
    files = sorted(f.name for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(name, folder.joinpath(name).read_text("utf-8")) for name in files]


class DuckDBFileWarehouse:
    """The pipeline's DuckDB file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise WarehouseBusy(f"{self.path} is in use by another process: {exc}") from exc
            raise

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A read-write connection inside one transaction: committed if the block ends, rolled back if not."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = self._connect(read_only=False)
        try:
            con.begin()
            applied = apply_migrations(con)
            yield Transaction(con, migrated=bool(applied))
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            con.close()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection (fails while a writer holds the file)."""
        con = self._connect(read_only=True)
        try:
            yield con
        finally:
            con.close()

    def exists(self) -> bool:
        return self.path.exists()

    def checksums(self) -> dict[str, tuple[int, int]]:
        """(row count, order-independent content hash) of every core and marts table."""
        if not self.exists():
            return {}
        with self.reader() as con:
            return table_checksums(con)


def apply_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations this warehouse has not seen yet; returns their names."""
    con.execute("CREATE SCHEMA IF NOT EXISTS core")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (name VARCHAR NOT NULL, applied_at TIMESTAMPTZ)"
    )
    done = {name for (name,) in con.execute(f"SELECT name FROM {MIGRATIONS_TABLE}").fetchall()}
    applied = []
    for name, sql in migrations():
        if name in done:
            continue
        con.execute(sql)
        con.execute(f"INSERT INTO {MIGRATIONS_TABLE} VALUES (?, current_timestamp)", [name])
        applied.append(name)
    return applied


def table_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """Per table: row count and the sum of row hashes (duplicates count, order does not)."""
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN ('core', 'marts') "
        "ORDER BY ALL"
    ).fetchall()
    sums = {}
    for schema, table in tables:
        count, digest = con.execute(
            f'SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM "{schema}"."{table}" AS t'
        ).fetchone()
        sums[f"{schema}.{table}"] = (int(count), int(digest))
    return sums

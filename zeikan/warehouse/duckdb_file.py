"""A warehouse in one DuckDB file: one writer at a time, every load one transaction.

Schema changes are numbered `.sql` files in `sql/`, applied in order inside the first transaction that
needs them and recorded in `core.schema_migrations`, so an old warehouse upgrades itself on the next
load and a failed load leaves no half-created tables behind.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from zeikan.errors import ZeikanError

MIGRATIONS_TABLE = "core.schema_migrations"
SCHEMAS = ("core", "marts")
# How often a run looks again while another process holds the file: quickly at first (a load's last
# moments), then every couple of seconds (a dashboard left open).
FIRST_RETRY_S, LONGEST_RETRY_S = 0.05, 2.0
# DuckDB names the process holding the lock: `Conflicting lock is held in /usr/bin/python3 (PID 4242)`.
LOCK_HOLDER = re.compile(r"held in (?P<program>.+?) \(PID (?P<pid>[0-9]+)\)")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Transaction:
    """An open write transaction: the connection, and whether this transaction changed the schema."""

    con: duckdb.DuckDBPyConnection
    migrated: bool


class WarehouseBusy(ZeikanError):
    """Another process held the warehouse file for longer than the run would wait (a load, or a tool that
    opened the file itself instead of the serving copy)."""


def is_lock_conflict(error: duckdb.Error) -> bool:
    """Whether DuckDB refused the file because another process holds its lock."""
    return isinstance(error, duckdb.IOException) and "could not set lock" in str(error).lower()


def lock_holder(error: duckdb.Error) -> str:
    """Who holds the lock, as DuckDB tells it (`PID 4242, /usr/bin/python3`), or "another process"."""
    found = LOCK_HOLDER.search(str(error))
    return f"PID {found['pid']}, {found['program']}" if found else "another process"


def run_logger() -> logging.Logger | logging.LoggerAdapter:
    """The Prefect run's logger inside a flow or task (so the wait shows in the run's logs), else ours."""
    try:
        from prefect.logging import get_run_logger

        return get_run_logger()
    except Exception:  # outside a run (MissingContextError) or without Prefect
        return log


def migrations() -> list[tuple[str, str]]:
    """(name, SQL) of every schema migration, in order."""
    folder = resources.files("zeikan.warehouse").joinpath("sql")
    files = sorted(f.name for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(name, folder.joinpath(name).read_text("utf-8")) for name in files]


class DuckDBFileWarehouse:
    """The pipeline's DuckDB file.

    DuckDB lets one process write a file, or several read it, never both. When another process holds the
    file (a second run, or a tool that opened it), opening it waits up to `lock_wait_s`, retrying with a
    short backoff and saying whom it waits for, before giving up with `WarehouseBusy`.
    """

    def __init__(self, path: Path, lock_wait_s: float = 0.0) -> None:
        self.path = Path(path)
        self.lock_wait_s = lock_wait_s

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        mode = "read" if read_only else "write"
        deadline = time.monotonic() + self.lock_wait_s
        delay, waited_for = FIRST_RETRY_S, None
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                if not is_lock_conflict(exc):
                    raise
                holder, left = lock_holder(exc), deadline - time.monotonic()
                if left <= 0:
                    raise WarehouseBusy(
                        f"{self.path} is in use by another process ({holder}); gave up after waiting "
                        f"{self.lock_wait_s:g} s to {mode} it (ZEIKAN_LOCK_WAIT_S). If a tool holds the file "
                        "open, point it at the serving copy instead."
                    ) from exc
                if holder != waited_for:
                    run_logger().warning(
                        "waiting up to %.0f s to %s %s: it is in use by another process (%s)",
                        left,
                        mode,
                        self.path,
                        holder,
                    )
                    waited_for = holder
                time.sleep(min(delay, left))
                delay = min(delay * 2, LONGEST_RETRY_S)
                continue
            if waited_for is not None:
                run_logger().info("%s is free again; going on", self.path)
            return con

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
        """A read-only connection (waiting, like `transaction`, while another process writes the file)."""
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

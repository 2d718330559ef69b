"""The serving copy: what BI tools read, published whole after each load so readers never wait or tear.

A DuckDB file takes one read-write process or many read-only ones, never both, so a dashboard reading the
pipeline's own file would block the next load (and a load would block the dashboard). BI tools therefore
read a copy of the `marts` schema instead, in `<serving folder>/`:

    zeikan.duckdb               every marts table with its comments, plus marts.serving_copy (provenance)
    parquet/<table>.parquet     the same rows, one file per table
    docs/data_dictionary.*      what every table and column means (written by tasks/dictionary.py)

Each file is written under a hidden temporary name in the same folder, flushed to disk, and then renamed
over the old one (`os.replace`, atomic on POSIX). A reader that opened the old file keeps reading the
old inode, whole and unchanged, until it closes it; a connection opened afterwards sees the new one. No
reader ever sees a half-written file, and the writer never waits for a reader: it never opens the file
readers hold. (Windows refuses to replace a file that is open; serving is meant for POSIX hosts.)

The copy is written with an explicit storage version so that the older 1.x engines embedded in BI
drivers can open it (see `STORAGE_VERSION`).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

SERVING_FILE = "zeikan.duckdb"
PARQUET_DIR = "parquet"
DOCS_DIR = "docs"  # the data dictionary (tasks/dictionary.py) beside the copy
SCHEMA = "marts"
PROVENANCE_TABLE = "serving_copy"
# The name the new copy is attached under while it is written (never seen by readers).
WRITING_CATALOG = "zeikan_serving_copy_new"
# The name a serving reader attaches the copy under.
READING_CATALOG = "zeikan"

# DuckDB 1.5.5 can write any storage format from v0.10.0 on. v0.10.0 to v1.1.x all produce the same
# on-disk format (tagged "v1.0.0+"), which every engine since 1.0 reads: the 1.x engines that BI drivers
# embed (duckdb-engine with an older duckdb wheel, DBeaver's and Metabase's JDBC drivers) and the 1.4 LTS
# command-line client the tests use. Newer formats buy better compression, which a few MB of marts do not
# need; "latest" on 1.5.5 would be v1.5.0+, which no engine before 1.5 can open. We name v1.0.0 rather
# than v0.10.0 (same bytes) because 1.0 is the first release with a stable-storage promise.
STORAGE_VERSION = "v1.0.0"

# A hidden temporary file older than this is left over from a publish that was killed; newer ones may
# belong to a publish still running.
STALE_TEMP_SECONDS = 3600

PROVENANCE_DDL = f"""
CREATE TABLE {SCHEMA}.{PROVENANCE_TABLE} (
    release_id INTEGER,
    latest_vintage DATE,
    latest_period DATE,
    loaded_at TIMESTAMPTZ,
    published_at TIMESTAMPTZ NOT NULL,
    storage_version VARCHAR NOT NULL
)
"""
PROVENANCE_COMMENTS = {
    None: "One row: what this serving copy holds and when it was published. BI tools read this copy, "
    "never the pipeline's own file; it is replaced whole after each load.",
    "release_id": "The newest load in this copy (core.releases.release_id in the pipeline's warehouse).",
    "latest_vintage": "The newest vintage (as-of date) of any release loaded.",
    "latest_period": "The newest month in trade_balance_monthly.",
    "loaded_at": "When the newest load committed to the pipeline's warehouse.",
    "published_at": "When this copy was written.",
    "storage_version": "The DuckDB storage compatibility the file was written with (opens in DuckDB 1.0+).",
}
PROVENANCE_SQL = """
SELECT
    (SELECT max(release_id) FROM core.releases),
    (SELECT max(vintage) FROM core.releases),
    (SELECT max(period) FROM marts.trade_balance_monthly),
    (SELECT arg_max(loaded_at, release_id) FROM core.releases),
    current_timestamp
"""


@dataclass(frozen=True)
class Provenance:
    """Which release a serving copy holds (the row of `marts.serving_copy`)."""

    release_id: int | None
    latest_vintage: date | None
    latest_period: date | None
    loaded_at: datetime | None
    published_at: datetime

    def parquet_metadata(self) -> dict[str, str]:
        """Key-value metadata stamped into every Parquet file, so a reader can tell files of one copy."""
        return {
            "zeikan_release_id": "" if self.release_id is None else str(self.release_id),
            "zeikan_latest_vintage": "" if self.latest_vintage is None else self.latest_vintage.isoformat(),
            "zeikan_published_at": self.published_at.isoformat(),
        }


@dataclass(frozen=True)
class Declaration:
    """A marts table as the pipeline declares it: its DDL (types, NOT NULL) and its comments."""

    table: str
    ddl: str
    comment: str | None
    column_comments: dict[str, str]


@dataclass(frozen=True)
class ServingCopy:
    """A published serving copy: where its files are and which release they hold."""

    path: Path
    parquet: dict[str, Path]
    provenance: Provenance
    row_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def serving_file(folder: Path) -> Path:
    """The serving DuckDB file in `folder`."""
    return Path(folder) / SERVING_FILE


def docs_folder(folder: Path) -> Path:
    """Where the data dictionary of the copy in `folder` is written."""
    return Path(folder) / DOCS_DIR


def parquet_file(folder: Path, table: str) -> Path:
    """The Parquet file of `marts.<table>` in `folder`."""
    return Path(folder) / PARQUET_DIR / f"{table}.parquet"


def sql_literal(text: str) -> str:
    """A SQL string literal (COMMENT ON, ATTACH and COPY take no bound parameters)."""
    return "'" + text.replace("'", "''") + "'"


def identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_serving_copy(con: duckdb.DuckDBPyConnection, folder: Path) -> ServingCopy:
    """Publish the marts that `con` (a reader of the pipeline's warehouse) sees into `folder`.

    Parquet files first, then the DuckDB file, each by rename: once the DuckDB file shows a release,
    every Parquet file already holds it too.
    """
    started = time.perf_counter()
    folder = Path(folder)
    (folder / PARQUET_DIR).mkdir(parents=True, exist_ok=True)
    remove_stale_temps(folder)
    source = con.execute("SELECT current_database()").fetchone()[0]
    tables = declarations(con)
    provenance = Provenance(*con.execute(PROVENANCE_SQL).fetchone())

    kv = ", ".join(f"{key}: {sql_literal(value)}" for key, value in provenance.parquet_metadata().items())
    parquet = {}
    for declared in tables:
        target = parquet_file(folder, declared.table)
        with replacing(target) as temp:
            con.execute(
                f"COPY ({sorted_rows(source, declared.table)}) TO {sql_literal(str(temp))} "
                f"(FORMAT parquet, COMPRESSION zstd, KV_METADATA {{{kv}}})"
            )
        parquet[declared.table] = target

    target = serving_file(folder)
    with replacing(target) as temp:
        row_counts = copy_marts(con, source, tables, provenance, temp)
    return ServingCopy(target, parquet, provenance, row_counts, time.perf_counter() - started)


def declarations(con: duckdb.DuckDBPyConnection) -> list[Declaration]:
    """Every table of the current catalog's `marts` schema, with its DDL and comments."""
    column_comments: dict[str, dict[str, str]] = {}
    for table, column, comment in con.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = ? AND comment IS NOT NULL",
        [SCHEMA],
    ).fetchall():
        column_comments.setdefault(table, {})[column] = comment
    rows = con.execute(
        "SELECT table_name, sql, comment FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = ? ORDER BY table_name",
        [SCHEMA],
    ).fetchall()
    return [Declaration(table, ddl, comment, column_comments.get(table, {})) for table, ddl, comment in rows]


def sorted_rows(catalog: str, table: str) -> str:
    """Every row of `<catalog>.marts.<table>`, sorted by all columns. Marts lead with their period (or
    year), so each storage block then covers a short span of time and a dashboard's filter on recent
    months skips the rest; the order is also the same on every publish."""
    return f"SELECT * FROM {identifier(catalog)}.{SCHEMA}.{identifier(table)} ORDER BY ALL"


def copy_marts(
    con: duckdb.DuckDBPyConnection,
    source: str,
    tables: list[Declaration],
    provenance: Provenance,
    path: Path,
) -> dict[str, int]:
    """Write a new DuckDB file at `path`: the marts tables as declared, their rows and comments, and the
    provenance row, in one transaction; checkpointed and detached, so no WAL is left beside it.

    Returns the row count of each table copied."""
    con.execute(
        f"ATTACH {sql_literal(str(path))} AS {WRITING_CATALOG} "
        f"(READ_WRITE, STORAGE_VERSION {sql_literal(STORAGE_VERSION)})"
    )
    try:
        con.execute(f"USE {WRITING_CATALOG}")  # the pipeline's DDL names `marts.x`: create it here
        con.execute("BEGIN")
        try:
            counts = fill_copy(con, source, tables, provenance)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        con.execute(f"CHECKPOINT {WRITING_CATALOG}")
    finally:
        con.execute(f"USE {identifier(source)}")
        con.execute(f"DETACH {WRITING_CATALOG}")
    wal = path.with_name(path.name + ".wal")
    if wal.exists():  # a checkpointed, detached file has none; never publish a file that needs one
        raise RuntimeError(f"{wal} left after writing the serving copy")
    return counts


def fill_copy(
    con: duckdb.DuckDBPyConnection, source: str, tables: list[Declaration], provenance: Provenance
) -> dict[str, int]:
    """Schema, tables, rows, comments and the provenance row, in the current (new) catalog."""
    con.execute(f"CREATE SCHEMA {SCHEMA}")
    counts = {}
    for declared in tables:
        name = f"{SCHEMA}.{identifier(declared.table)}"
        con.execute(declared.ddl)
        con.execute(f"INSERT INTO {name} {sorted_rows(source, declared.table)}")
        (counts[declared.table],) = con.execute(f"SELECT count(*) FROM {name}").fetchone()
        if declared.comment is not None:
            con.execute(f"COMMENT ON TABLE {name} IS {sql_literal(declared.comment)}")
        for column, comment in declared.column_comments.items():
            con.execute(f"COMMENT ON COLUMN {name}.{identifier(column)} IS {sql_literal(comment)}")
    name = f"{SCHEMA}.{PROVENANCE_TABLE}"
    con.execute(PROVENANCE_DDL)
    con.execute(
        f"INSERT INTO {name} VALUES (?, ?, ?, ?, ?, ?)",
        [
            provenance.release_id,
            provenance.latest_vintage,
            provenance.latest_period,
            provenance.loaded_at,
            provenance.published_at,
            STORAGE_VERSION,
        ],
    )
    for column, comment in PROVENANCE_COMMENTS.items():
        target = f"TABLE {name}" if column is None else f"COLUMN {name}.{column}"
        con.execute(f"COMMENT ON {target} IS {sql_literal(comment)}")
    return counts


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """Yields a hidden temporary path beside `target`; once the block has written it, the file is flushed
    to disk and renamed over `target` in one step. On failure the temporary file is removed and `target`
    is left as it was."""
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield temp
        fsync(temp)
        temp.replace(target)  # os.replace: atomic on POSIX
        fsync(target.parent)
    finally:
        for leftover in (temp, temp.with_name(temp.name + ".wal")):
            leftover.unlink(missing_ok=True)


def fsync(path: Path) -> None:
    """Flush a file's (or a folder's) contents to disk, so a crash never leaves a renamed but empty file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete temporary files left by a publish that was killed part-way (older than an hour)."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    removed = []
    for place in (folder, folder / PARQUET_DIR, folder / DOCS_DIR):
        for path in place.glob(".*.tmp*"):
            with suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(path)
    return removed


@contextmanager
def serving_reader(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the serving copy at `path`, whose default catalog is the copy.

    It attaches the file to a fresh in-memory database instead of `duckdb.connect(path)`: DuckDB reuses
    an instance already open on the same path in this process, which would still be the file as it was
    before the last publish.
    """
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {sql_literal(str(path))} AS {READING_CATALOG} (READ_ONLY)")
        con.execute(f"USE {READING_CATALOG}")
        yield con
    finally:
        con.close()

"""What a run leaves on disk, read back and checked: warehouse, serving copy, reports, raw archive.

A run folder holds `warehouse/zeikan.duckdb` with the serving copy (`warehouse/serving/zeikan/`) and the
raw archive (`warehouse/raw/`) beside it, and the reports in `publish/`. `snapshot` reads all of it into
checksums that two runs can be compared by; the `check_*` functions assert that nothing is torn.

Checksums leave out the columns that record when something happened (`loaded_at`, `fetched_at`, ...): a
rerun loads at another time, and only those columns may differ from an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from zeikan.warehouse.duckdb_file import migrations
from zeikan.warehouse.serving import serving_reader

# The only timestamp columns: when a load ran, a file was fetched, a migration applied, a copy published.
RUN_STAMPS = frozenset({"loaded_at", "fetched_at", "applied_at", "published_at"})
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"IEND\xaeB`\x82"
CHART_LINK = re.compile(r"!\[[^\]]*\]\(([^)]+)\)")
SHA256_NAME = re.compile(r"[0-9a-f]{64}")

Checksums = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class RunFolder:
    """Where one run's files live."""

    root: Path

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "zeikan.duckdb"

    @property
    def serving(self) -> Path:
        return self.root / "warehouse" / "serving" / "zeikan"

    @property
    def raw(self) -> Path:
        return self.root / "warehouse" / "raw"

    @property
    def publish(self) -> Path:
        return self.root / "publish"


@dataclass(frozen=True)
class Snapshot:
    """A run folder as checksums: warehouse tables, serving copy tables, Parquet files, report files."""

    warehouse: Checksums
    serving: Checksums | None
    parquet: Checksums
    publish: dict[str, str]


def table_contents(con: duckdb.DuckDBPyConnection) -> Checksums:
    """(rows, order-independent hash of the rows without run timestamps) of every table in the catalog."""
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "ORDER BY ALL"
    ).fetchall()
    sums = {}
    for schema, table in tables:
        columns = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema, table],
        ).fetchall()
        stamps = {name for name, kind in columns if kind.startswith("TIMESTAMP")}
        assert stamps <= RUN_STAMPS, f"{schema}.{table}: unexpected timestamp columns {stamps - RUN_STAMPS}"
        kept = ", ".join(f'"{name}"' for name, _ in columns if name not in stamps)
        rows = f'SELECT {kept} FROM "{schema}"."{table}"'
        count, digest = con.execute(
            f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM ({rows}) t"
        ).fetchone()
        sums[f"{schema}.{table}"] = (int(count), int(digest))
    return sums


def check_storage(con: duckdb.DuckDBPyConnection, pipeline: bool = True) -> None:
    """DuckDB's own bookkeeping agrees with itself, and every row of every table reads back.

    DuckDB has no `PRAGMA integrity_check`; what it has is a checksum on every storage block, verified
    whenever the block is read. Reading every column of every row therefore reads and verifies every
    block in use; `pragma_storage_info` walks each table's segment metadata, and `database_size` the
    block counts.
    """
    name, _, _, total, used, free, *_ = con.execute("PRAGMA database_size").fetchone()
    assert total == used + free, f"{name}: {total} blocks, {used} used + {free} free"
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall()
    (listed,) = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_type = 'BASE TABLE'"
    ).fetchone()
    assert listed == len(tables)
    for schema, table in tables:
        rows = con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
        (count,) = con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()
        assert len(rows) == count
        con.execute(f"SELECT count(*) FROM pragma_storage_info('{schema}.{table}')").fetchone()
    if pipeline and tables:  # migrations are applied inside the first load: all of them or none
        applied = [n for (n,) in con.execute("SELECT name FROM core.schema_migrations ORDER BY 1").fetchall()]
        assert applied == [name for name, _ in migrations()]


def check_warehouse(path: Path, scratch: Path) -> Checksums:
    """Open the warehouse as a run left it, read-only and (on a byte copy) read-write with a forced
    checkpoint; every check passes and both see the same rows. Returns its contents ({} if absent)."""
    if not path.exists():
        return {}
    with duckdb.connect(str(path), read_only=True) as con:
        as_left = table_contents(con)
        check_storage(con)
    scratch.mkdir(parents=True, exist_ok=True)
    copy = scratch / path.name
    for part in (path, path.with_name(path.name + ".wal")):
        if part.exists():
            shutil.copy2(part, scratch / part.name)
    with duckdb.connect(str(copy)) as con:  # replays the WAL a killed run may have left, then writes
        con.execute("FORCE CHECKPOINT")
        assert table_contents(con) == as_left
        check_storage(con)
    assert not copy.with_name(copy.name + ".wal").exists(), "a checkpointed, closed file keeps no WAL"
    with duckdb.connect(str(copy), read_only=True) as con:
        assert table_contents(con) == as_left
    return as_left


def serving_contents(folder: Path) -> Checksums | None:
    """The serving copy's tables (None before the first publish); it always opens and reads whole."""
    copy = folder / "zeikan.duckdb"
    if not copy.exists():
        return None
    with serving_reader(copy) as con:
        contents = table_contents(con)
        check_storage(con, pipeline=False)
        (rows,) = con.execute("SELECT count(*) FROM marts.serving_copy").fetchone()
    assert rows == 1, "the copy says which release it holds"
    return contents


def parquet_contents(folder: Path) -> Checksums:
    """Each Parquet file of the serving copy (hidden temporary files are never part of it)."""
    sums = {}
    with duckdb.connect() as con:
        for path in sorted((folder / "parquet").glob("[!.]*.parquet")):
            count, digest = con.execute(
                "SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM read_parquet(?) t", [str(path)]
            ).fetchone()
            sums[path.stem] = (int(count), int(digest))
    return sums


def visible_files(folder: Path) -> list[Path]:
    """Files a reader would pick up: no part of the path is hidden (temporary names start with a dot)."""
    if not folder.exists():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def published_files(folder: Path) -> dict[str, str]:
    """sha256 of every visible report file, after checking each is whole: PNGs end with IEND, and every
    chart a report.md links to is in place beside it."""
    files = {}
    for path in visible_files(folder):
        content = path.read_bytes()
        if path.suffix == ".png":
            assert content.startswith(PNG_SIGNATURE) and content.endswith(PNG_END), f"torn chart {path}"
        elif path.name == "report.md":
            for link in CHART_LINK.findall(content.decode("utf-8")):
                assert (path.parent / link).is_file(), f"{path} links to {link}, which is missing"
        files[str(path.relative_to(folder))] = hashlib.sha256(content).hexdigest()
    return files


SERVING_NAMES = re.compile(r"zeikan\.duckdb|parquet/[a-z_]+\.parquet|docs/data_dictionary\.(md|html)")


def check_serving_names(folder: Path) -> None:
    """A reader of the serving folder sees only the copy's own files: every temporary file is hidden."""
    names = [str(p.relative_to(folder)) for p in visible_files(folder)]
    assert all(SERVING_NAMES.fullmatch(name) for name in names), names


def check_docs(folder: Path) -> None:
    """The data dictionary beside the serving copy, if written, is whole."""
    docs = folder / "docs"
    markdown, page = docs / "data_dictionary.md", docs / "data_dictionary.html"
    if markdown.exists():
        assert markdown.read_text("utf-8").startswith("# zeikan data dictionary")
    if page.exists():
        assert page.read_text("utf-8").endswith("</html>\n")


def check_raw_archive(folder: Path) -> int:
    """Every archived file is named by its own sha256 (so none is torn); returns the count of temporary
    files a killed download left beside them (never under a sha256 name, so never mistaken for one)."""
    leftovers = 0
    for path in visible_files(folder):
        if SHA256_NAME.fullmatch(path.name):
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, f"torn raw file {path}"
            assert path.parent.name == path.name[:2]
        else:
            leftovers += 1
    return leftovers


def warehouse_contents(path: Path) -> Checksums:
    """The warehouse's tables, read-only ({} if there is no file)."""
    if not path.exists():
        return {}
    with duckdb.connect(str(path), read_only=True) as con:
        return table_contents(con)


def snapshot(run: RunFolder, scratch: Path | None = None) -> Snapshot:
    """Everything a run left, checked whole, as checksums; with a `scratch` folder the warehouse gets the
    full integrity check of `check_warehouse` too (a killed run's), else it is only read."""
    warehouse = (
        warehouse_contents(run.warehouse) if scratch is None else check_warehouse(run.warehouse, scratch)
    )
    check_serving_names(run.serving)
    check_docs(run.serving)
    return Snapshot(
        warehouse=warehouse,
        serving=serving_contents(run.serving),
        parquet=parquet_contents(run.serving),
        publish=published_files(run.publish),
    )


def rows_lost_and_duplicated(expected: Checksums, found: Checksums) -> tuple[int, int]:
    """Rows missing and rows in excess, table by table, against what an uninterrupted run holds."""
    lost = sum(max(0, rows - found.get(table, (0, 0))[0]) for table, (rows, _) in expected.items())
    extra = sum(max(0, rows - expected.get(table, (0, 0))[0]) for table, (rows, _) in found.items())
    return lost, extra

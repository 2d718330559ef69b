"""The serving copy: after each run, the marts BI tools read, whole, in a file every 1.x engine opens.

Checked with real clients: the DuckDB 1.4 LTS command-line client from the `duckdb-cli` package (an
older engine than the pipeline's 1.5.5), SQLAlchemy with duckdb-engine, and reader processes that hold
the file open while a new copy is published.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from flows.monthly_release import monthly_release
from tests.conftest import REPO, copy_source
from tests.revision import RAISE_THOUSAND_YEN, REVISED_MONTH, revised_source
from zeikan.settings import Settings
from zeikan.warehouse import DuckDBFileWarehouse
from zeikan.warehouse.duckdb_file import table_checksums
from zeikan.warehouse.serving import (
    PROVENANCE_TABLE,
    STALE_TEMP_SECONDS,
    STORAGE_VERSION,
    parquet_file,
    remove_stale_temps,
    replacing,
    serving_file,
    serving_reader,
    write_serving_copy,
)

FIRST, SECOND = date(2026, 9, 20), date(2026, 10, 20)
CONTRACT_CHECK = REPO.parent / "shared" / "tools" / "contract_check.py"
PROVENANCE = f"marts.{PROVENANCE_TABLE}"
# What dashboards ask: the last 24 months of the balance, a month's categories, the fiscal years.
DASHBOARD_QUERIES = [
    "SELECT period, exports_jpy, imports_jpy, balance_jpy, position, exports_yoy_pct, vintage "
    "FROM marts.trade_balance_monthly ORDER BY period DESC LIMIT 24",
    "SELECT direction, category_code, category_name_ja, level, value_jpy, share_pct, yoy_contribution_pp "
    "FROM marts.trade_by_category_monthly WHERE period = DATE '2026-05-01' AND level <= 1 "
    "ORDER BY direction, category_code",
    "SELECT * FROM marts.trade_balance_fiscal_year ORDER BY fiscal_year",
]


def serving_folder(warehouse: Path) -> Path:
    """Where the flows publish the serving copy of `warehouse` (as they compute it)."""
    return Settings().with_overrides(warehouse=warehouse).serving_folder


@pytest.fixture(scope="module")
def published(prefect_api, mof_data, tmp_path_factory):
    """A warehouse after one real release through Prefect: (pipeline file, serving file)."""
    source = copy_source(mof_data, tmp_path_factory.mktemp("source"))
    warehouse = tmp_path_factory.mktemp("wh") / "zeikan.duckdb"
    monthly_release(period="2026-05", source=str(source), warehouse=str(warehouse), as_of=FIRST)
    return warehouse, serving_file(serving_folder(warehouse))


def marts_only(checksums: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    return {name: value for name, value in checksums.items() if name.startswith("marts.")}


def catalog(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Every marts table's comment, and every column's type, nullability and comment."""
    tables = con.execute(
        "SELECT table_name, comment FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = 'marts' ORDER BY ALL"
    ).fetchall()
    columns = con.execute(
        "SELECT table_name, column_name, column_index, data_type, is_nullable, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'marts' ORDER BY ALL"
    ).fetchall()
    return {"tables": tables, "columns": columns}


def without_provenance(described: dict[str, object]) -> dict[str, object]:
    return {key: [row for row in rows if row[0] != PROVENANCE_TABLE] for key, rows in described.items()}


def test_the_copy_holds_every_mart_with_identical_rows_types_and_comments(published):
    warehouse, serving = published
    pipeline = DuckDBFileWarehouse(warehouse)
    with pipeline.reader() as con:
        expected_rows, expected_catalog = marts_only(table_checksums(con)), catalog(con)
    with serving_reader(serving) as con:
        rows, described = table_checksums(con), catalog(con)
        provenance = con.execute(f"SELECT * FROM {PROVENANCE}").fetchall()
        (latest_vintage,) = con.execute("SELECT max(vintage) FROM marts.trade_balance_monthly").fetchone()
        tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'zeikan'").fetchone()
    assert rows.pop(PROVENANCE)[0] == 1
    assert rows == expected_rows
    assert expected_rows["marts.trade_balance_monthly"][0] > 500  # the whole history, not an empty shell
    assert without_provenance(described) == expected_catalog
    assert all(comment for _, comment in described["tables"])
    assert all(row[-1] for row in described["columns"])
    ((release_id, vintage, newest_month, loaded_at, published_at, storage),) = provenance
    assert (release_id, vintage, newest_month, storage) == (1, FIRST, date(2026, 8, 1), STORAGE_VERSION)
    assert latest_vintage == FIRST and loaded_at <= published_at
    assert tags == ({"storage_version": "v1.0.0+"},)  # the format every engine since 1.0 opens


def test_the_copy_matches_the_contract(published):
    _, serving = published
    if not CONTRACT_CHECK.is_file():
        pytest.skip(f"{CONTRACT_CHECK} not found")
    checked = subprocess.run(
        [sys.executable, str(CONTRACT_CHECK), str(serving)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_only_finished_files_are_left_in_the_serving_folder(published):
    _, serving = published
    folder = serving.parent
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    with serving_reader(serving) as con:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    parquet = sorted(f"parquet/{t}.parquet" for t in tables if t != PROVENANCE_TABLE)
    assert files == sorted(
        ["zeikan.duckdb", *parquet, "docs/data_dictionary.md", "docs/data_dictionary.html"]
    )


def test_each_parquet_file_holds_the_same_rows_and_types_and_says_which_copy_it_is(published):
    _, serving = published
    with serving_reader(serving) as con:
        expected = table_checksums(con)
        (published_at,) = con.execute(f"SELECT published_at FROM {PROVENANCE}").fetchone()
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        for table in tables:
            if table == PROVENANCE_TABLE:
                continue
            path = str(parquet_file(serving.parent, table))
            got = con.execute(
                "SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM read_parquet(?) AS t", [path]
            ).fetchone()
            assert got == expected[f"marts.{table}"], table
            declared = con.execute(
                f"SELECT column_name, column_type FROM (DESCRIBE marts.{table})"
            ).fetchall()
            stored = con.execute(
                "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))", [path]
            ).fetchall()
            assert stored == declared, table
            metadata = dict(
                con.execute(
                    "SELECT key::VARCHAR, value::VARCHAR FROM parquet_kv_metadata(?)", [path]
                ).fetchall()
            )
            assert metadata["zeikan_published_at"] == published_at.isoformat()
            assert metadata["zeikan_latest_vintage"] == str(FIRST)


def cli_rows(serving: Path, sql: str) -> list[list[str]]:
    """The rows the `duckdb` command-line client prints for `sql` (CSV, no header), as strings."""
    shell = shutil.which("duckdb") or str(Path(sys.executable).with_name("duckdb"))
    done = subprocess.run(
        [shell, "-readonly", "-csv", "-noheader", str(serving), "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return list(csv.reader(io.StringIO(done.stdout)))


def as_text(sql: str) -> str:
    """`sql` with every column cast to VARCHAR (NULL as the text NULL, as the client prints it), so
    both engines print values the same way."""
    return f"SELECT coalesce(COLUMNS(*)::VARCHAR, 'NULL') FROM ({sql})"


def test_the_duckdb_1_4_command_line_client_opens_the_copy_and_returns_the_same_rows(published):
    _, serving = published
    shell = shutil.which("duckdb") or str(Path(sys.executable).with_name("duckdb"))
    version = subprocess.run([shell, "--version"], capture_output=True, text=True, timeout=60).stdout
    assert version.startswith("v1.4."), version  # an older engine than the pipeline's duckdb 1.5.5
    assert duckdb.__version__ == "1.5.5"
    with serving_reader(serving) as con:
        for sql in DASHBOARD_QUERIES:
            expected = sorted(list(row) for row in con.execute(as_text(sql)).fetchall())
            assert sorted(cli_rows(serving, as_text(sql))) == expected, sql
            assert len(expected) > 0
        (comment,) = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE table_name = 'trade_balance_monthly' "
            "AND column_name = 'first_deficit_in_months' AND database_name = current_database()"
        ).fetchone()
    assert cli_rows(
        serving,
        "SELECT comment FROM duckdb_columns() WHERE table_name = 'trade_balance_monthly' "
        "AND column_name = 'first_deficit_in_months'",
    ) == [[comment]]


def test_sqlalchemy_with_duckdb_engine_reads_the_copy_read_only(published):
    _, serving = published
    engine = create_engine(f"duckdb:///{serving}?access_mode=read_only", poolclass=NullPool)
    with serving_reader(serving) as con:
        expected = [con.execute(sql).fetchall() for sql in DASHBOARD_QUERIES]
    with engine.connect() as connection:
        got = [[tuple(row) for row in connection.execute(text(sql)).all()] for sql in DASHBOARD_QUERIES]
        with pytest.raises(Exception, match="read-only"):
            connection.execute(text("DELETE FROM marts.trade_balance_monthly"))
    engine.dispose()
    assert got == expected


HOLDER = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
def look():
    vintage, = con.execute("SELECT latest_vintage FROM marts.serving_copy").fetchone()
    imports, = con.execute(
        "SELECT imports_jpy FROM marts.trade_balance_monthly WHERE period = ?", [sys.argv[2]]
    ).fetchone()
    rows, = con.execute("SELECT count(*) FROM marts.trade_by_category_monthly").fetchone()
    print(json.dumps([str(vintage), imports, rows]), flush=True)
look()
sys.stdin.readline()
look()
"""


def test_a_reader_holding_the_copy_keeps_it_while_a_load_publishes_the_next(published, mof_data, tmp_path):
    """A dashboard process holds the serving file open; the next load neither waits for it nor fails,
    the dashboard keeps reading the copy it opened, whole, and a new connection sees the new copy."""
    warehouse, _ = published
    mine = tmp_path / "wh" / "zeikan.duckdb"
    mine.parent.mkdir()
    shutil.copy(warehouse, mine)
    with DuckDBFileWarehouse(mine).reader() as con:
        write_serving_copy(con, serving_folder(mine))
    serving = serving_file(serving_folder(mine))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(serving), REVISED_MONTH.isoformat()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        before = json.loads(holder.stdout.readline())
        monthly_release(
            period="2026-05",
            source=str(revised_source(mof_data, tmp_path / "revised")),
            warehouse=str(mine),
            as_of=SECOND,
        )
        holder.stdin.write("go on\n")
        holder.stdin.flush()
        after = json.loads(holder.stdout.readline())
        assert holder.wait(timeout=60) == 0, holder.stderr.read()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert before[0] == str(FIRST)
    assert after == before  # the old copy, whole, for as long as it is open
    with serving_reader(serving) as con:
        vintage, imports = con.execute(
            f"SELECT latest_vintage, (SELECT imports_jpy FROM marts.trade_balance_monthly WHERE period = ?) "
            f"FROM {PROVENANCE}",
            [REVISED_MONTH],
        ).fetchone()
    assert vintage == SECOND
    assert imports - before[1] == RAISE_THOUSAND_YEN * 1000
    assert not [p for p in serving.parent.rglob("*") if ".tmp" in p.name or p.suffix == ".wal"]


def test_a_failed_write_leaves_the_published_file_as_it_was(tmp_path):
    target = tmp_path / "zeikan.duckdb"
    target.write_bytes(b"the published copy")
    with pytest.raises(RuntimeError), replacing(target) as temp:
        temp.write_bytes(b"half of the next")
        raise RuntimeError("the copy failed half-way")
    assert target.read_bytes() == b"the published copy"
    assert sorted(tmp_path.iterdir()) == [target]


def test_temporary_files_of_a_killed_publish_are_removed_later_but_not_a_running_ones(tmp_path):
    (tmp_path / "parquet").mkdir()
    stale = tmp_path / "parquet" / ".revisions.parquet.1234.tmp"
    running = tmp_path / ".zeikan.duckdb.5678.tmp"
    for path in (stale, running):
        path.write_bytes(b"x")
    old = time.time() - STALE_TEMP_SECONDS - 60
    os.utime(stale, (old, old))
    assert remove_stale_temps(tmp_path) == [stale]
    assert running.exists() and not stale.exists()


def test_the_serving_folder_defaults_beside_the_warehouse_named_after_it():
    assert Settings(warehouse=Path("w/zeikan.duckdb")).serving_folder == Path("w/serving/zeikan")
    assert Settings(warehouse=Path("w/demo.duckdb")).serving_folder == Path("w/serving/demo")
    assert Settings(warehouse=Path("w/z.duckdb"), serving_dir=Path("/srv/bi")).serving_folder == Path(
        "/srv/bi"
    )


def test_dashboard_queries_answer_well_under_50_ms(published):
    """A regression guard for `benchmarks/dashboard_queries.py` (which measures properly): p95 of 30 runs."""
    _, serving = published
    with duckdb.connect(str(serving), read_only=True) as con:
        for sql in DASHBOARD_QUERIES:
            times = []
            for _ in range(30):
                started = time.perf_counter()
                con.execute(sql).fetchall()
                times.append(time.perf_counter() - started)
            assert sorted(times)[28] < 0.050, sql

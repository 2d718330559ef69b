"""The warehouse layer: migrations once, all-or-nothing transactions, one writer at a time."""

from __future__ import annotations

import subprocess
import sys

import pytest

from zeikan.warehouse import DuckDBFileWarehouse, WarehouseBusy
from zeikan.warehouse.duckdb_file import migrations


def test_migrations_apply_once_and_create_both_schemas(tmp_path):
    warehouse = DuckDBFileWarehouse(tmp_path / "w.duckdb")
    with warehouse.transaction() as txn:
        assert txn.migrated
    with warehouse.transaction() as txn:
        assert not txn.migrated
        applied = [name for (name,) in txn.con.execute("SELECT name FROM core.schema_migrations").fetchall()]
    assert applied == [name for name, _ in migrations()]
    tables = set(warehouse.checksums())
    assert {"marts.trade_balance_monthly", "marts.release_headlines", "core.trade_totals"} <= tables


def test_a_failed_transaction_leaves_every_table_as_it_was(tmp_path):
    warehouse = DuckDBFileWarehouse(tmp_path / "w.duckdb")
    with warehouse.transaction() as txn:
        txn.con.execute("INSERT INTO core.trade_totals VALUES ('2026-01-01', '2026-02-20', 1, 5, 6)")
    before = warehouse.checksums()
    with pytest.raises(RuntimeError), warehouse.transaction() as txn:
        txn.con.execute("INSERT INTO core.trade_totals VALUES ('2026-02-01', '2026-03-20', 2, 7, 8)")
        txn.con.execute("DELETE FROM marts.trade_balance_monthly")
        raise RuntimeError("load failed half-way")
    assert warehouse.checksums() == before
    assert before["core.trade_totals"][0] == 1


def test_a_failed_first_load_creates_no_tables(tmp_path):
    warehouse = DuckDBFileWarehouse(tmp_path / "w.duckdb")
    with pytest.raises(RuntimeError), warehouse.transaction():
        raise RuntimeError("validation would have stopped here")
    assert warehouse.checksums() == {}


def test_checksums_see_a_changed_value(tmp_path):
    warehouse = DuckDBFileWarehouse(tmp_path / "w.duckdb")
    with warehouse.transaction() as txn:
        txn.con.execute("INSERT INTO core.trade_totals VALUES ('2026-01-01', '2026-02-20', 1, 5, 6)")
    before = warehouse.checksums()
    with warehouse.transaction() as txn:
        txn.con.execute("UPDATE core.trade_totals SET exports_jpy = 4")
    assert warehouse.checksums()["core.trade_totals"] != before["core.trade_totals"]


def test_a_second_writer_process_is_told_the_warehouse_is_busy(tmp_path):
    path = tmp_path / "w.duckdb"
    with DuckDBFileWarehouse(path).transaction():
        pass
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; con = duckdb.connect({str(path)!r}); "
            "print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(WarehouseBusy, match="in use by another process"),
            DuckDBFileWarehouse(path).transaction(),
        ):
            pass
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)

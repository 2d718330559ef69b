"""The `zeikan` command as operators run it: a separate process, the contract's exit codes."""

from __future__ import annotations

import subprocess
import sys

import duckdb

from tests.conftest import real_data_dir, run_cli


def test_demo_loads_the_bundled_sample_and_prints_the_headline(prefect_api, tmp_path):
    result = run_cli(["demo"], prefect_api, tmp_path)
    assert result.returncode == 0, result.stderr
    first_print = "Japan posted a trade deficit of ¥378.7 billion in May 2026, its first deficit in 4 months."
    latest = "Japan posted a trade deficit of ¥395.1 billion in May 2026, its first deficit in 4 months."
    lines = result.stdout.splitlines()
    assert lines[0] == first_print
    assert "(preliminary, 2026-06-17)" in lines
    assert any(line.startswith("Latest (confirmed, ") and line.endswith(latest) for line in lines)
    warehouse = tmp_path / "warehouse" / "demo.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        first, last = con.execute(
            "SELECT min(period), max(period) FROM marts.trade_balance_monthly"
        ).fetchone()
        stored = con.execute(
            "SELECT stage, headline FROM marts.release_headlines WHERE period = '2026-05-01' ORDER BY vintage"
        ).fetchall()
    assert (str(first), str(last)) == ("2023-01-01", "2026-05-01")
    assert stored == [("preliminary", first_print), ("confirmed", latest)]
    serving = tmp_path / "warehouse" / "serving" / "demo" / "zeikan.duckdb"
    said = f"BI tools: read {serving.relative_to(tmp_path)} (read-only serving copy, schema marts)"
    assert said in result.stderr
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("SELECT max(period) FROM marts.trade_balance_monthly").fetchone()[0] == last
    reports = list((tmp_path / "publish" / "2026-05").glob("*-confirmed/report.md"))
    assert len(reports) == 1 and (reports[0].parent / "balance_24m.png").stat().st_size > 10_000
    checker = real_data_dir().parent.parent / "tools" / "contract_check.py"
    if checker.is_file():
        check = subprocess.run([sys.executable, str(checker), str(warehouse)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout


def test_demo_twice_gives_the_same_warehouse(prefect_api, tmp_path):
    from zeikan.warehouse import DuckDBFileWarehouse

    assert run_cli(["demo"], prefect_api, tmp_path).returncode == 0
    before = DuckDBFileWarehouse(tmp_path / "warehouse" / "demo.duckdb").checksums()
    again = run_cli(["demo"], prefect_api, tmp_path)
    assert again.returncode == 0 and "loaded nothing new" in again.stderr
    assert DuckDBFileWarehouse(tmp_path / "warehouse" / "demo.duckdb").checksums() == before


def test_a_malformed_month_exits_2_before_any_work(prefect_api, tmp_path):
    result = run_cli(["run", "--period", "2026-13", "--source", str(tmp_path)], prefect_api, tmp_path)
    assert result.returncode == 2
    assert "'2026-13' is not a month written YYYY-MM" in result.stderr


def test_a_backfill_ending_before_it_starts_exits_2(prefect_api, tmp_path):
    from zeikan.sample import sample_dir

    result = run_cli(
        [
            "backfill",
            "--start",
            "2026-05",
            "--end",
            "2026-01",
            "--source",
            str(sample_dir()),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
        ],
        prefect_api,
        tmp_path,
    )
    assert result.returncode == 2
    assert "start 2026-05 is after end 2026-01" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_an_unreachable_source_exits_1(prefect_api, tmp_path):
    result = run_cli(
        ["run", "--source", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "w.duckdb")],
        prefect_api,
        tmp_path,
    )
    assert result.returncode == 1
    assert "d41ma.csv" in result.stderr


def test_help_lists_the_contract_commands(tmp_path):
    result = run_cli(["--help"], "http://127.0.0.1:9/api", tmp_path)
    assert result.returncode == 0
    for command in ("demo", "run", "backfill"):
        assert command in result.stdout

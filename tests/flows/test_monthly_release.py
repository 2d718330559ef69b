"""The monthly release flow end to end on MOF's real files, served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import math
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.monthly_release import monthly_release
from tests.conftest import REPO, real_data_dir, run_cli
from tests.independent import world_months
from zeikan.warehouse import DuckDBFileWarehouse

pytestmark = pytest.mark.real_data

MONTHLY_COLUMNS = (
    "exports_jpy",
    "imports_jpy",
    "balance_jpy",
    "position",
    "exports_yoy_pct",
    "imports_yoy_pct",
    "streak_months",
    "months_since_last_deficit",
    "months_since_last_surplus",
    "first_deficit_in_months",
    "first_surplus_in_months",
)


@pytest.fixture(scope="module")
def served(mof_data, http_server):
    return http_server(mof_data)


@pytest.fixture(scope="module")
def loaded(prefect_api, served, tmp_path_factory) -> Path:
    """A warehouse holding the August 2026 release, loaded through the flow from the HTTP server."""
    path = tmp_path_factory.mktemp("wh") / "zeikan.duckdb"
    monthly_release(period="2026-08", source=served.url, warehouse=str(path))
    return path


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def month_row(path: Path, period: date) -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute("SELECT * FROM marts.trade_balance_monthly WHERE period = ?", [period])
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def test_may_2026_is_the_first_deficit_in_four_months(loaded):
    may = month_row(loaded, date(2026, 5, 1))
    assert may["position"] == "deficit"
    assert may["balance_jpy"] < 0
    assert may["first_deficit_in_months"] == 4
    assert may["months_since_last_deficit"] == 4


def test_january_2026_is_a_deficit(loaded):
    assert month_row(loaded, date(2026, 1, 1))["position"] == "deficit"


def test_fiscal_2025_is_a_deficit_equal_to_its_twelve_months(loaded):
    (months_sum,) = query(
        loaded,
        "SELECT sum(balance_jpy) FROM marts.trade_balance_monthly "
        "WHERE period BETWEEN '2025-04-01' AND '2026-03-01'",
    )[0]
    fy = query(
        loaded,
        "SELECT months, balance_jpy, position FROM marts.trade_balance_fiscal_year WHERE fiscal_year = 2025",
    )
    assert fy == [(12, months_sum, "deficit")]


def test_yoy_rates_match_a_hand_computation(loaded, mof_data):
    lines = (mof_data / "d41ma.csv").read_bytes().decode("cp932").splitlines()
    cells = {
        line.split(",")[0]: [int(c) for c in line.split(",")[1:]]
        for line in lines
        if line[:2] in ("19", "20")
    }
    for month in ("2026/05", "2026/01", "2008/10", "1980/03"):
        year, mm = month.split("/")
        now, ago = cells[month], cells[f"{int(year) - 1}/{mm}"]
        row = month_row(loaded, date(int(year), int(mm), 1))
        assert row["exports_yoy_pct"] == (now[0] / ago[0] - 1) * 100
        assert row["imports_yoy_pct"] == (now[1] / ago[1] - 1) * 100
    assert month_row(loaded, date(1979, 12, 1))["exports_yoy_pct"] is None


def test_every_month_agrees_exactly_with_an_independent_computation(loaded, mof_data):
    expected = world_months(mof_data / "d41ma.csv")
    with duckdb.connect(str(loaded), read_only=True) as con:
        got = con.execute(
            f"SELECT period, {', '.join(MONTHLY_COLUMNS)} FROM marts.trade_balance_monthly ORDER BY period"
        ).fetchall()
    assert [row[0] for row in got] == [m.period for m in expected]
    assert got[0][0] == date(1979, 1, 1) and got[-1][0] == date(2026, 8, 1)
    for row, month in zip(got, expected, strict=True):
        assert row[1:] == tuple(getattr(month, c) for c in MONTHLY_COLUMNS), month.period


def test_category_figures_are_exact_yen_with_shares_and_contributions(loaded, mof_data):
    rows = query(
        loaded,
        "SELECT category_code, level, parent_code, value_jpy, yoy_pct, share_pct, yoy_contribution_pp "
        "FROM marts.trade_by_category_monthly WHERE period = '2026-05-01' AND direction = 'export' "
        "AND category_code IN ('0～9', '70323', '7032305', '0+1') ORDER BY category_code",
    )
    by_code = {r[0]: r for r in rows}
    total, semis = by_code["0～9"], by_code["70323"]
    assert total[1:3] == (0, None) and by_code["0+1"][1:3] == (1, "0～9")
    assert semis[1:3] == (2, "703") and by_code["7032305"][1:3] == (3, "70323")
    d41 = {
        line.split(",")[0]: line.split(",")
        for line in (mof_data / "d41ma.csv").read_bytes().decode("cp932").splitlines()
    }
    assert total[3] == int(d41["2026/05"][1]) * 1000
    (semis_ago, total_ago) = query(
        loaded,
        "SELECT max(value_jpy) FILTER (category_code = '70323'), "
        "max(value_jpy) FILTER (category_code = '0～9') "
        "FROM marts.trade_by_category_monthly WHERE period = '2025-05-01' AND direction = 'export'",
    )[0]
    assert semis[4] == (semis[3] / semis_ago - 1) * 100
    assert semis[5] == semis[3] / total[3] * 100
    assert semis[6] == (semis[3] - semis_ago) / total_ago * 100


def test_raw_files_are_recorded_and_archived_as_received(loaded, mof_data, served):
    files = query(loaded, "SELECT file_name, url, sha256, bytes FROM core.release_files ORDER BY file_name")
    assert [f[0] for f in files] == ["d41ma.csv", "d51ma.csv", "d61ma.csv"]
    for name, url, sha, size in files:
        content = (mof_data / name).read_bytes()
        assert url == served.url + name
        assert (sha, size) == (hashlib.sha256(content).hexdigest(), len(content))
        assert (loaded.parent / "raw" / sha[:2] / sha).read_bytes() == content
    agents = {headers.get("User-Agent", "") for path, headers in served.requests}
    assert agents and all(agent.startswith("Mozilla/5.0") for agent in agents)


def test_the_headline_is_written_for_the_release_month(loaded):
    rows = query(loaded, "SELECT period, stage, headline, drivers FROM marts.release_headlines")
    assert len(rows) == 1
    period, stage, headline, drivers = rows[0]
    assert period == date(2026, 8, 1) and stage == "confirmed"
    assert headline.startswith("Japan posted a trade deficit of ¥1.1 trillion in August 2026")
    assert drivers.startswith("Imports +")


def test_warehouse_matches_the_contract_shape(loaded):
    checker = real_data_dir().parent.parent / "tools" / "contract_check.py"
    if not checker.is_file():
        pytest.skip(f"{checker} not found")
    result = subprocess.run([sys.executable, str(checker), str(loaded)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_running_the_same_release_twice_changes_nothing(loaded, served, tmp_path):
    copy = tmp_path / "again.duckdb"
    shutil.copy(loaded, copy)
    before = DuckDBFileWarehouse(copy).checksums()
    outcome = monthly_release(period="2026-08", source=served.url, warehouse=str(copy))
    assert not outcome.changed
    assert DuckDBFileWarehouse(copy).checksums() == before
    filled = (
        "core.trade_totals",
        "core.trade_by_category",
        "marts.trade_balance_monthly",
        "marts.trade_by_category_monthly",
        "marts.release_headlines",
    )
    assert all(before[table][0] > 0 for table in filled)


def test_a_corrupted_file_exits_2_names_the_cell_and_leaves_the_warehouse_as_it_was(
    loaded, source_copy, prefect_api, tmp_path
):
    copy = tmp_path / "before.duckdb"
    shutil.copy(loaded, copy)
    before = DuckDBFileWarehouse(copy).checksums()
    broken = source_copy({"d51ma.csv": [(b"2026/05,9499093475 ", b"2026/05,9499O93475 ")]})
    result = run_cli(["run", "--source", str(broken), "--warehouse", str(copy)], prefect_api, REPO)
    assert result.returncode == 2, result.stderr
    assert "d51ma.csv" in result.stderr and "2026/05" in result.stderr
    assert "column 2" in result.stderr and "not a number" in result.stderr
    assert DuckDBFileWarehouse(copy).checksums() == before


def test_a_month_not_yet_published_exits_3(served, prefect_api, tmp_path):
    result = run_cli(
        ["run", "--period", "2026-09", "--source", served.url, "--warehouse", str(tmp_path / "w.duckdb")],
        prefect_api,
        REPO,
    )
    assert result.returncode == 3, result.stderr
    assert "2026-09 is not published yet" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_nan_free_percentages(loaded):
    (bad,) = query(
        loaded, "SELECT count(*) FROM marts.trade_by_category_monthly WHERE isnan(yoy_pct) OR isinf(yoy_pct)"
    )[0]
    assert bad == 0
    assert not math.isnan(month_row(loaded, date(2026, 8, 1))["exports_yoy_pct"])

"""The news article this product started from, reproduced from MOF's real releases over HTTP.

"Japan posted a trade deficit of ¥378.7 billion in May 2026, its first shortfall in four months, as
imports grew 12.5% y/y... April had posted a surplus in the range of ¥299 to ¥301.9 billion... April
exports +14.8% to nearly ¥10.5 trillion, semiconductor and electronic component exports +41.6%."
Every figure is a first print from the press releases; the d-files carry the later revisions.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from flows.monthly_release import monthly_release
from tests.conftest import run_cli

pytestmark = pytest.mark.real_data

APRIL, MAY = date(2026, 4, 1), date(2026, 5, 1)
MAY_FIRST_PRINT = "Japan posted a trade deficit of ¥378.7 billion in May 2026, its first deficit in 4 months."


@pytest.fixture(scope="module")
def warehouse(prefect_api, mof_data, http_server, tmp_path_factory):
    served = http_server(mof_data)
    path = tmp_path_factory.mktemp("article") / "zeikan.duckdb"
    monthly_release(period="2026-05", source=served.url, warehouse=str(path))
    return path


def rows(path, sql, params=None):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_may_first_print_is_the_articles_headline(warehouse):
    got = rows(
        warehouse,
        "SELECT vintage, stage, headline FROM marts.release_headlines WHERE period = ? ORDER BY vintage",
        [MAY],
    )
    assert got[0] == (date(2026, 6, 17), "preliminary", MAY_FIRST_PRINT)
    assert got[-1][1] == "confirmed"  # the d-files' later figure follows, as a vintage of its own


def test_may_first_print_figures(warehouse):
    ((balance, imports_yoy),) = rows(
        warehouse,
        "SELECT balance_jpy, imports_yoy_pct FROM marts.press_release_totals "
        "WHERE period = ? AND stage = 'preliminary'",
        [MAY],
    )
    assert balance == -378_673_000_000
    assert imports_yoy == 12.5
    ((first, first_vintage),) = rows(
        warehouse,
        "SELECT first_value_jpy, first_vintage FROM marts.revisions "
        "WHERE period = ? AND measure = 'balance_jpy'",
        [MAY],
    )
    assert (first, first_vintage) == (-378_673_000_000, date(2026, 6, 17))


def test_may_drivers_name_the_commodities_behind_import_growth(warehouse):
    ((drivers,),) = rows(
        warehouse,
        "SELECT drivers FROM marts.release_headlines WHERE period = ? AND stage = 'preliminary'",
        [MAY],
    )
    assert drivers.startswith("Imports +12.5% y/y, led by semiconductors etc (+2.0 pp")
    assert "telephony, telegraphy (+1.4 pp" in drivers
    top = rows(
        warehouse,
        "SELECT category_code FROM marts.press_release_commodities "
        "WHERE period = ? AND stage = 'preliminary' AND direction = 'import' AND level = 2 "
        "ORDER BY yoy_contribution_pp DESC LIMIT 1",
        [MAY],
    )
    assert top == [("70311",)]  # semiconductors etc., the import code (exports: 70323)


def test_april_chain_first_print_detailed_and_revised(warehouse):
    chain = rows(
        warehouse,
        "SELECT vintage, exports_jpy - imports_jpy FROM core.trade_totals "
        "WHERE period = ? ORDER BY vintage, release_id",
        [APRIL],
    )
    assert [v for v, _ in chain][:2] == [date(2026, 5, 21), date(2026, 5, 28)]
    assert [b for _, b in chain][:2] == [301_905_000_000, 299_272_000_000]
    assert round(chain[-1][1] / 1e9, 1) == 282.3  # the d-files' revised figure
    headlines = rows(
        warehouse,
        "SELECT stage, headline FROM marts.release_headlines WHERE period = ? ORDER BY vintage",
        [APRIL],
    )
    assert headlines[:2] == [
        ("preliminary", "Japan posted a trade surplus of ¥301.9 billion in April 2026."),
        ("detailed", "Japan posted a trade surplus of ¥299.3 billion in April 2026."),
    ]
    revision = rows(
        warehouse,
        "SELECT first_value_jpy, first_vintage, latest_value_jpy FROM marts.revisions WHERE period = ? "
        "AND measure = 'balance_jpy'",
        [APRIL],
    )
    assert revision == [(301_905_000_000, date(2026, 5, 21), chain[-1][1])]
    ((count,),) = rows(
        warehouse, "SELECT revision_count FROM marts.trade_balance_monthly WHERE period = ?", [APRIL]
    )
    assert count == 2


def test_april_exports_and_semiconductors(warehouse):
    ((exports, exports_yoy),) = rows(
        warehouse,
        "SELECT exports_jpy, exports_yoy_pct FROM marts.press_release_totals "
        "WHERE period = ? AND stage = 'preliminary'",
        [APRIL],
    )
    assert exports_yoy == 14.8
    assert round(exports / 1e12, 1) == 10.5
    ((semis,),) = rows(
        warehouse,
        "SELECT yoy_pct FROM marts.press_release_commodities WHERE period = ? AND stage = 'preliminary' "
        "AND direction = 'export' AND category_code = '70323'",
        [APRIL],
    )
    assert semis == 41.6


def test_the_release_report_is_written_with_its_charts(warehouse, prefect_api, mof_data, tmp_path):
    result = run_cli(
        ["run", "--period", "2026-05", "--source", str(mof_data), "--warehouse", str(tmp_path / "w.duckdb")],
        prefect_api,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == MAY_FIRST_PRINT
    folders = list((tmp_path / "publish" / "2026-05").iterdir())
    assert len(folders) == 1 and folders[0].name.endswith("-confirmed")
    report = (folders[0] / "report.md").read_text()
    assert MAY_FIRST_PRINT in report  # every headline of the month, first print included
    for chart in ("balance_24m.png", "contributions_exports.png", "contributions_imports.png"):
        assert (folders[0] / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

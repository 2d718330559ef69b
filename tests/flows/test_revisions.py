"""Vintages: a later release that revises a month adds a vintage beside the first print, never over it.

The revision is built from MOF's real files the way MOF revises: February 2026 imports raised by ¥100 bn in
d41ma and consistently in d61ma (total and the mineral-fuels group), which turns February's small surplus
into a deficit. The latest view must then say May is the first deficit in 3 months, while May's headline
from the earlier vintage keeps saying 4.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from flows.monthly_release import monthly_release
from tests.conftest import copy_source
from tests.independent import revise, value_field
from zeikan.warehouse import DuckDBFileWarehouse

pytestmark = pytest.mark.real_data

FIRST, SECOND, THIRD = date(2026, 9, 20), date(2026, 10, 20), date(2026, 11, 20)
FEB, MAY = date(2026, 2, 1), date(2026, 5, 1)
RAISE_THOUSAND_YEN = 100_000_000  # ¥100 bn


@pytest.fixture(scope="module")
def history(prefect_api, mof_data, tmp_path_factory):
    """A warehouse after the real release (vintage FIRST) and a revised one (vintage SECOND)."""
    folder = tmp_path_factory.mktemp("revised")
    for name in ("d41ma.csv", "d51ma.csv", "d61ma.csv"):
        (folder / name).write_bytes((mof_data / name).read_bytes())
    d41 = revise((folder / "d41ma.csv").read_bytes(), "2026/02", 2, RAISE_THOUSAND_YEN)
    (folder / "d41ma.csv").write_bytes(d41)
    d61 = (folder / "d61ma.csv").read_bytes()
    for code in ("0～9", "3"):
        d61 = revise(d61, "2026/02", value_field(d61, code), RAISE_THOUSAND_YEN)
    (folder / "d61ma.csv").write_bytes(d61)

    real = copy_source(mof_data, tmp_path_factory.mktemp("real"))  # the d-files alone, no press releases
    warehouse = tmp_path_factory.mktemp("wh") / "zeikan.duckdb"
    monthly_release(period="2026-05", source=str(real), warehouse=str(warehouse), as_of=FIRST)
    monthly_release(period="2026-05", source=str(folder), warehouse=str(warehouse), as_of=SECOND)
    return warehouse, folder, real


def rows(path, sql, params=None):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_core_keeps_both_vintages_of_the_revised_month(history):
    warehouse, _, _ = history
    feb = rows(
        warehouse,
        "SELECT vintage, imports_jpy FROM core.trade_totals WHERE period = ? ORDER BY vintage",
        [FEB],
    )
    assert [v for v, _ in feb] == [FIRST, SECOND]
    assert feb[1][1] - feb[0][1] == RAISE_THOUSAND_YEN * 1000
    (others,) = rows(
        warehouse, "SELECT count(*) FROM core.trade_totals WHERE period <> ? AND vintage = ?", [FEB, SECOND]
    )[0]
    assert others == 0
    revised_items = rows(
        warehouse,
        "SELECT category_code FROM core.trade_by_category WHERE vintage = ? ORDER BY category_code",
        [SECOND],
    )
    assert revised_items == [("0～9",), ("3",)]


def test_the_latest_view_recomputes_positions_and_runs(history):
    warehouse, _, _ = history
    feb, may = rows(
        warehouse,
        "SELECT position, revision_count, vintage, first_deficit_in_months FROM marts.trade_balance_monthly "
        "WHERE period IN (?, ?) ORDER BY period",
        [FEB, MAY],
    )
    assert feb[:3] == ("deficit", 1, SECOND)
    assert may[0] == "deficit" and may[1] == 0 and may[2] == FIRST
    assert may[3] == 3  # February is now the last deficit


def test_revisions_show_first_print_against_latest(history):
    warehouse, _, _ = history
    got = rows(warehouse, "SELECT * FROM marts.revisions ORDER BY measure")
    assert [(r[0], r[1]) for r in got] == [(FEB, "balance_jpy"), (FEB, "imports_jpy")]
    balance, imports = got
    assert balance[3] == FIRST and balance[5] == SECOND
    assert balance[6] == -RAISE_THOUSAND_YEN * 1000 and imports[6] == RAISE_THOUSAND_YEN * 1000
    assert balance[4] - balance[2] == balance[6]


def test_first_print_headlines_stay_as_published(history):
    warehouse, _, _ = history
    got = rows(
        warehouse,
        "SELECT vintage, headline FROM marts.release_headlines WHERE period = ? ORDER BY vintage",
        [MAY],
    )
    assert [v for v, _ in got] == [FIRST, SECOND]
    assert got[0][1].endswith("its first deficit in 4 months.")
    assert got[1][1].endswith("its first deficit in 3 months.")


def test_repeating_the_revised_release_changes_nothing(history):
    warehouse, folder, _ = history
    before = DuckDBFileWarehouse(warehouse).checksums()
    outcome = monthly_release(period="2026-05", source=str(folder), warehouse=str(warehouse), as_of=SECOND)
    assert not outcome.changed
    assert DuckDBFileWarehouse(warehouse).checksums() == before


def test_a_revision_back_to_the_first_value_is_a_further_vintage(history):
    warehouse, _, real = history
    monthly_release(period="2026-05", source=str(real), warehouse=str(warehouse), as_of=THIRD)
    feb = rows(warehouse, "SELECT vintage FROM core.trade_totals WHERE period = ? ORDER BY vintage", [FEB])
    assert [v for (v,) in feb] == [FIRST, SECOND, THIRD]
    (count, position) = rows(
        warehouse, "SELECT revision_count, position FROM marts.trade_balance_monthly WHERE period = ?", [FEB]
    )[0]
    assert (count, position) == (2, "surplus")
    (revision,) = rows(
        warehouse,
        "SELECT revision_jpy FROM marts.revisions WHERE period = ? AND measure = 'balance_jpy'",
        [FEB],
    )[0]
    assert revision == 0

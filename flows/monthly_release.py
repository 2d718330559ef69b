"""The monthly release flow: one MOF release from source files to marts and a headline."""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows.steps import read_release
from tasks.headlines import write_headlines
from tasks.publish import publish_headline
from tasks.store import store_vintage
from tasks.transform import build_marts
from tasks.validate import select_months
from zeikan.periods import PeriodText, parse_period, today_in_tokyo
from zeikan.release import LoadOutcome
from zeikan.settings import Settings
from zeikan.warehouse import open_warehouse


@flow(name="monthly-release", persist_result=False, log_prints=True)
def monthly_release(
    period: PeriodText | None = None,
    source: str | None = None,
    warehouse: str | None = None,
    as_of: date | None = None,
) -> LoadOutcome:
    """Load the release for `period` (YYYY-MM; default: the newest month the source has published).

    `source` and `warehouse` override ZEIKAN_SOURCE and ZEIKAN_WAREHOUSE; `as_of` is the vintage date
    (default: today in Tokyo).
    """
    settings = Settings().with_overrides(source=source, warehouse=warehouse)
    vintage = as_of or today_in_tokyo()
    month = parse_period(period) if period else None

    release = read_release(settings, vintage)
    months = select_months(release, month, month)
    with open_warehouse(settings).transaction() as txn:
        stored = store_vintage(txn.con, release, vintage, months[-1], settings.source)
        if stored.changed or txn.migrated:
            build_marts(txn.con)
        written = write_headlines(txn.con, stored, months)
    publish_headline(written)
    return LoadOutcome.of(stored, written, months)

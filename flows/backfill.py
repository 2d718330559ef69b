"""The backfill flow: every month in a range, loaded once and published month by month."""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows.steps import read_release
from tasks.headlines import WrittenHeadlines, write_headlines
from tasks.publish import publish_headline
from tasks.store import store_vintage
from tasks.transform import build_marts
from tasks.validate import select_months
from zeikan.periods import PeriodText, format_period, parse_period, today_in_tokyo
from zeikan.progress import RunProgress
from zeikan.release import LoadOutcome
from zeikan.settings import Settings
from zeikan.warehouse import open_warehouse

MONTHS_PER_CHUNK = 24


@flow(name="backfill", persist_result=False, log_prints=True)
def backfill(
    start: PeriodText,
    end: PeriodText,
    source: str | None = None,
    warehouse: str | None = None,
    as_of: date | None = None,
) -> LoadOutcome:
    """Load the source and publish every month from `start` to `end` (YYYY-MM); safe to repeat."""
    settings = Settings().with_overrides(source=source, warehouse=warehouse)
    vintage = as_of or today_in_tokyo()
    first, last = parse_period(start), parse_period(end)

    release = read_release(settings, vintage)
    months = select_months(release, first, last)
    chunks = [months[i : i + MONTHS_PER_CHUNK] for i in range(0, len(months), MONTHS_PER_CHUNK)]
    with open_warehouse(settings).transaction() as txn:
        stored = store_vintage(txn.con, release, vintage, months[-1], settings.source)
        if stored.changed or txn.migrated:
            build_marts(txn.con)
        written = []
        with RunProgress(len(months), key="backfill-progress", description="backfill") as progress:
            for chunk in chunks:
                written.append(write_headlines(txn.con, stored, chunk))
                progress.advance(len(chunk), format_period(chunk[-1]))
    headlines = WrittenHeadlines.combine(written)
    publish_headline(headlines)
    return LoadOutcome.of(stored, headlines, months)

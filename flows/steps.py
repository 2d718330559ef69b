"""The steps the flows share, composed from tasks: read the d-files and press releases, then load them.

These are plain functions that call tasks (so they run inside whichever flow calls them); each reads
like a sentence of the flow it belongs to.
"""

from __future__ import annotations

from datetime import date

from tasks.extract import fetch_file, fetch_press_releases
from tasks.headlines import HeadlineRequest, WrittenHeadlines, write_headlines
from tasks.parse import parse_release
from tasks.parse_press import parse_press_release
from tasks.publish import publish_headline
from tasks.report import ReleaseReport, publish_report
from tasks.statements import statement
from tasks.store import store_press_release, store_vintage
from tasks.transform import build_marts
from tasks.validate import is_published, validate_release
from tasks.validate_press import validate_press_release
from zeikan.errors import ReleaseNotPublished
from zeikan.periods import add_months, format_period
from zeikan.progress import RunProgress
from zeikan.release import DFILES, PRESS_STAGE_OF_DIGIT, LoadOutcome, ParsedRelease, PressRelease
from zeikan.settings import Settings
from zeikan.warehouse import open_warehouse


def read_release(settings: Settings, vintage: date) -> ParsedRelease:
    """Fetch the three d-files at once (retrying transient faults), parse them, validate them."""
    fetch = fetch_file.with_options(
        retries=settings.fetch_retries, retry_delay_seconds=settings.fetch_retry_delays_s
    )
    downloads = [fetch.submit(settings.source, name, settings) for name in DFILES]
    release = parse_release([download.result() for download in downloads])
    return validate_release(release, vintage)


def read_press_releases(settings: Settings, months: list[date]) -> list[PressRelease]:
    """The press releases published for `months` and the months either side, parsed and validated."""
    around = sorted({add_months(m, step) for m in months for step in (-1, 0, 1)})
    fetch = fetch_press_releases.with_options(
        retries=settings.fetch_retries, retry_delay_seconds=settings.fetch_retry_delays_s
    )
    return [validate_press_release(parse_press_release(raw)) for raw in fetch(settings, around)]


MONTHS_PER_CHUNK = 24


def load_releases(
    settings: Settings,
    dfiles: ParsedRelease,
    press: list[PressRelease],
    vintage: date,
    months: list[date],
    progress: RunProgress | None = None,
) -> LoadOutcome:
    """One transaction: press releases in date order, then the d-files; marts; a headline per release.

    D-file headlines are written in chunks of months, reporting to `progress` after each.
    """
    latest_dfile_month = dfiles.latest_period
    dfile_months = [m for m in months if latest_dfile_month and m <= latest_dfile_month]
    with open_warehouse(settings).transaction() as txn:
        requests, stored_all = [], []
        for release in sorted(press, key=lambda p: (p.release_date, p.stage)):
            stored = store_press_release(
                txn.con, release, settings.press_url(release.file.name, release.period.year)
            )
            stored_all.append(stored)
            requests.append(
                HeadlineRequest([release.period], stored.vintage, stored.release_id, release.stage, release)
            )
        stored = store_vintage(
            txn.con, dfiles, vintage, dfile_months[-1] if dfile_months else months[-1], settings.source
        )
        stored_all.append(stored)
        changed = any(s.new for s in stored_all) or txn.migrated
        if changed:
            build_marts(txn.con)
        written = [write_headlines(txn.con, requests, refresh=changed)]
        if stored.release_id is not None:
            for start in range(0, len(dfile_months), MONTHS_PER_CHUNK):
                chunk = dfile_months[start : start + MONTHS_PER_CHUNK]
                written.append(
                    write_headlines(txn.con, [HeadlineRequest(chunk, stored.vintage, stored.release_id)])
                )
                if progress is not None:
                    progress.advance(len(chunk), format_period(chunk[-1]))
    return LoadOutcome.of(stored_all, WrittenHeadlines.combine(written), months, latest_dfile_month)


def publish_release(settings: Settings, outcome: LoadOutcome) -> None:
    """The headline artifact, then the release report with its charts."""
    publish_headline(outcome)
    publish_release_report(settings, outcome)


def try_release(settings: Settings, period: date, vintage: date) -> LoadOutcome | None:
    """Load the release of `period` if the source has it; None while it does not (never an error)."""
    try:
        dfiles = read_release(settings, vintage)
    except ReleaseNotPublished:  # MOF is part-way through replacing the d-files
        return None
    press = read_press_releases(settings, [period])
    if not is_published(dfiles, period, press):
        return None
    outcome = load_releases(settings, dfiles, press, vintage, [period])
    publish_release(settings, outcome)
    return outcome


def publish_release_report(settings: Settings, outcome: LoadOutcome) -> ReleaseReport | None:
    """The report of the run's newest month at its newest vintage, written once the load has committed.

    When that vintage is a press release (the d-files do not have the month yet), its charts show MOF's
    printed contributions; otherwise the marts'.
    """
    rows = outcome.headlines_of(outcome.periods[-1])
    if rows.empty:
        return None
    latest = rows.iloc[-1]
    with open_warehouse(settings).reader() as con:
        contributions = (
            con.execute(
                statement("press_contributions"), [latest["period"], latest["vintage"], latest["stage"]]
            ).df()
            if latest["stage"] in PRESS_STAGE_OF_DIGIT.values()
            else None
        )
        return publish_report(
            con, latest["period"], latest["vintage"], latest["stage"], settings.publish_dir, contributions
        )

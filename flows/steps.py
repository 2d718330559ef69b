"""The steps the flows share, composed from tasks: read the d-files and press releases, then load them.

These are plain functions that call tasks (so they run inside whichever flow calls them); each reads
like a sentence of the flow it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tasks.extract import fetch_file, fetch_press_releases, retrying
from tasks.headlines import HeadlineRequest, WrittenHeadlines, published_months, write_headlines
from tasks.parse import parse_release
from tasks.parse_press import parse_press_release
from tasks.publish import publish_headline
from tasks.quarantine import quarantine_release
from tasks.report import ReleaseReport, publish_report
from tasks.serve import publish_serving_copy
from tasks.statements import statement
from tasks.store import store_press_release, store_vintage
from tasks.transform import build_marts
from tasks.validate import is_published, validate_release
from tasks.validate_press import validate_press_release
from zeikan.errors import BadInput, ReleaseNotPublished
from zeikan.periods import add_months, format_period
from zeikan.progress import RunProgress
from zeikan.release import DFILES, PRESS_STAGE_OF_DIGIT, LoadOutcome, ParsedRelease, PressRelease, RawFile
from zeikan.settings import Settings
from zeikan.single_writer import single_writer
from zeikan.warehouse import open_warehouse


def read_release(settings: Settings, vintage: date) -> ParsedRelease:
    """Fetch the three d-files at once (retrying transient faults), parse them, validate them.

    Files that break a rule are quarantined, all three together, before the error goes on unchanged."""
    fetch = retrying(fetch_file, settings)
    downloads = [fetch.submit(settings.source, name, settings) for name in DFILES]
    files: list[RawFile] = []
    try:
        files = [download.result() for download in downloads]
        return validate_release(parse_release(files), vintage)
    except BadInput as refused:
        quarantine_release(files, refused, settings.quarantine)
        raise


def read_press_releases(settings: Settings, months: list[date]) -> list[PressRelease]:
    """The press releases published for `months` and the months either side, parsed and validated.

    A press release that breaks a rule is quarantined before the error goes on unchanged."""
    around = sorted({add_months(m, step) for m in months for step in (-1, 0, 1)})
    fetch = retrying(fetch_press_releases, settings)
    files: list[RawFile] = []
    try:
        files = fetch(settings, around)
        return [validate_press_release(parse_press_release(raw)) for raw in files]
    except BadInput as refused:
        named = {problem.file for problem in refused.problems}
        quarantine_release([raw for raw in files if raw.name in named], refused, settings.quarantine)
        raise


@dataclass(frozen=True)
class MonthByMonth:
    """How a backfill publishes the d-files' months: in chunks, each chunk its own transaction after the
    release itself has committed, so a stopped backfill resumes where it stopped. A month already
    published at this vintage is skipped unless `force`."""

    chunk_size: int = 24
    force: bool = False
    progress: RunProgress | None = None


def load_releases(
    settings: Settings,
    dfiles: ParsedRelease,
    press: list[PressRelease],
    vintage: date,
    months: list[date],
    month_by_month: MonthByMonth | None = None,
) -> LoadOutcome:
    """One transaction: press releases in date order, then the d-files, the marts, the headlines of the
    press releases and, unless `month_by_month` is given, of the months asked for."""
    latest_dfile_month = dfiles.latest_period
    dfile_months = [m for m in months if latest_dfile_month and m <= latest_dfile_month]
    warehouse = open_warehouse(settings)
    with single_writer(), warehouse.transaction() as txn:
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
        if month_by_month is None and dfile_months and stored.release_id is not None:
            requests.append(HeadlineRequest(dfile_months, stored.vintage, stored.release_id))
        written = [write_headlines(txn.con, requests, refresh=changed)]
    outcomes = {m: "published" if m in written[0].changed_periods else "unchanged" for m in months}
    if month_by_month is not None and stored.release_id is not None:
        for start in range(0, len(dfile_months), month_by_month.chunk_size):
            chunk = dfile_months[start : start + month_by_month.chunk_size]
            with single_writer(), warehouse.transaction() as txn:
                done = set() if month_by_month.force else published_months(txn.con, chunk, stored.vintage)
                todo = [m for m in chunk if m not in done]
                part = (
                    write_headlines(txn.con, [HeadlineRequest(todo, stored.vintage, stored.release_id)])
                    if todo
                    else None
                )
            written += [part] if part else []
            outcomes.update({m: "skipped: already published at this vintage" for m in done})
            outcomes.update({m: "published" if m in part.changed_periods else "unchanged" for m in todo})
            if month_by_month.progress is not None:
                month_by_month.progress.advance(len(chunk), format_period(chunk[-1]))
    for m in months:
        if latest_dfile_month is None or m > latest_dfile_month:
            outcomes[m] = "press release only: the d-files do not have it yet"
    return LoadOutcome.of(stored_all, WrittenHeadlines.combine(written), months, latest_dfile_month, outcomes)


def publish_release(settings: Settings, outcome: LoadOutcome) -> None:
    """The BI serving copy, the headline artifact, then the release report with its charts.

    They read the warehouse, and DuckDB lets no reader in while another process writes, so they hold the
    writer slot too: a load queued behind this run waits until publishing is done.
    """
    with single_writer():
        publish_serving_copy(settings)
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

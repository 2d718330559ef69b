"""`zeikan`: run the Prefect flows from a terminal (CONTRACT §3), with the contract's exit codes.

0 done (also when nothing changed); 2 bad input or failed validation; 3 not published yet; 1 anything
else. The flows run in-process against the configured Prefect API (or a temporary local server).
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from zeikan.errors import ZeikanError
from zeikan.periods import format_period, parse_period
from zeikan.redact import redact_text
from zeikan.release import LoadOutcome

if TYPE_CHECKING:
    from flows.backfill import BackfillRequest

app = typer.Typer(
    name="zeikan",
    help="Japan's monthly customs trade releases (MOF) into a vintaged DuckDB warehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

Source = Annotated[
    str | None,
    typer.Option("--source", help="Source root: URL, file:// URL or directory (overrides ZEIKAN_SOURCE)."),
]
Warehouse = Annotated[
    Path | None, typer.Option("--warehouse", help="DuckDB warehouse file (overrides ZEIKAN_WAREHOUSE).")
]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Vintage date YYYY-MM-DD (default: today in Tokyo).")
]
DEMO_WAREHOUSE = Path("warehouse/demo.duckdb")


def execute(work: Callable[[], LoadOutcome]) -> None:
    """Run a flow and turn its outcome or error into the contract's output and exit status."""
    try:
        outcome = work()
    except ZeikanError as exc:
        # The message quotes cells from the file and names paths: print it as is, one line per line.
        err.print(
            f"[bold red]error[/]: {escape(redact_text(str(exc)))}",
            highlight=False,
            markup=True,
            soft_wrap=True,
        )
        raise typer.Exit(exc.exit_code) from None
    except Exception:
        err.print(redact_text(traceback.format_exc()), highlight=False, markup=False)
        err.print("[bold red]error[/]: unexpected failure (see above)")
        raise typer.Exit(1) from None
    report(outcome)


def report(outcome: LoadOutcome) -> None:
    """Print the month's first headline (the news), its drivers, the latest if it differs, a summary."""
    period = outcome.periods[-1]
    rows = outcome.headlines_of(period)
    if not rows.empty:
        first, latest = rows.iloc[0], rows.iloc[-1]
        out.print(first["headline"], highlight=False, markup=False, soft_wrap=True)
        if first["drivers"]:
            out.print(first["drivers"], style="dim", highlight=False, markup=False, soft_wrap=True)
        out.print(f"({first['stage']}, {first['vintage']})", style="dim", highlight=False)
        if len(rows) > 1 and latest["headline"] != first["headline"]:
            out.print(
                f"Latest ({latest['stage']}, {latest['vintage']}): {latest['headline']}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
    if outcome.awaiting_dfiles:
        through = format_period(outcome.dfiles_through) if outcome.dfiles_through else "nothing"
        err.print(
            f"note: figures for {format_period(period)} are the press release's; MOF's d-files end at "
            f"{through} (run again later for the d-file figures)",
            highlight=False,
            soft_wrap=True,
        )
    span = format_period(outcome.periods[0])
    if len(outcome.periods) > 1:
        span += f"..{format_period(outcome.periods[-1])}"
    loaded = ", ".join(f"{r.stage or 'd-files'} {r.vintage}" for r in outcome.new_releases) or "nothing new"
    err.print(
        f"{span}: loaded {loaded}; {outcome.rows_changed:,} figures added or revised, "
        f"{outcome.headlines_changed} headline rows written",
        highlight=False,
        soft_wrap=True,
    )


def vintage_of(as_of: str | None) -> date | None:
    if as_of is None:
        return None
    try:
        return date.fromisoformat(as_of)
    except ValueError:
        err.print(f"[bold red]error[/]: --as-of {escape(repr(as_of))} is not a date YYYY-MM-DD")
        raise typer.Exit(2) from None


def checked_period(text: str | None) -> str | None:
    """Refuse a malformed month before any work starts (exit 2)."""
    if text is None:
        return None
    try:
        return format_period(parse_period(text))
    except ZeikanError as exc:
        err.print(f"[bold red]error[/]: {escape(str(exc))}")  # it quotes what the user typed
        raise typer.Exit(exc.exit_code) from None


@app.command()
def demo(warehouse: Warehouse = None, as_of: AsOf = None) -> None:
    """Run the monthly release flow over the bundled sample release (no network) and print the headline."""
    from flows.monthly_release import monthly_release
    from zeikan.sample import sample_dir
    from zeikan.settings import Settings
    from zeikan.warehouse.serving import serving_file

    target = warehouse or DEMO_WAREHOUSE
    vintage = vintage_of(as_of)  # a malformed date is exit 2 before any work
    execute(lambda: monthly_release(source=str(sample_dir()), warehouse=str(target), as_of=vintage))
    serving = serving_file(Settings().with_overrides(warehouse=target).serving_folder)
    err.print(f"warehouse: {target} (the pipeline's own file)", highlight=False, soft_wrap=True)
    err.print(
        f"BI tools: read {serving} (read-only serving copy, schema marts)", highlight=False, soft_wrap=True
    )


@app.command()
def run(
    period: Annotated[
        str | None, typer.Option("--period", help="Month YYYY-MM (default: the newest published).")
    ] = None,
    source: Source = None,
    warehouse: Warehouse = None,
    as_of: AsOf = None,
) -> None:
    """Load one release: the given month (exit 3 while unpublished) or the newest the source has."""
    from flows.monthly_release import monthly_release

    month, vintage = checked_period(period), vintage_of(as_of)
    execute(lambda: monthly_release(period=month, source=source, warehouse=_path(warehouse), as_of=vintage))


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--start", help="First month YYYY-MM.")],
    end: Annotated[str, typer.Option("--end", help="Last month YYYY-MM.")],
    source: Source = None,
    warehouse: Warehouse = None,
    as_of: AsOf = None,
    force: Annotated[bool, typer.Option("--force", help="Republish months already published.")] = False,
) -> None:
    """Load every month from --start to --end; safe to repeat (a rerun resumes where one stopped)."""
    from flows.backfill import backfill as backfill_flow

    request, vintage = backfill_request(checked_period(start), checked_period(end), force), vintage_of(as_of)
    execute(lambda: backfill_flow(request=request, source=source, warehouse=_path(warehouse), as_of=vintage))


@app.command("calendar")
def release_calendar(
    count: Annotated[int, typer.Option("--count", min=0, help="How many coming releases to list.")] = 6,
    now: Annotated[
        str | None,
        typer.Option(
            "--now", help="Pretend it is this ISO date-time (no zone = JST); for testing. Default: now."
        ),
    ] = None,
) -> None:
    """List MOF's coming releases (08:50 JST) and the month that should be out now; needs no network."""
    from datetime import datetime

    from rich.markup import escape
    from rich.table import Table

    from zeikan.calendar import expected_period, format_release_time, upcoming
    from zeikan.periods import TOKYO

    try:
        moment = datetime.now(TOKYO) if now is None else datetime.fromisoformat(now)
    except ValueError:
        example = "for example 2026-06-17T08:50"
        err.print(f"[bold red]error[/]: --now {escape(repr(now))} is not an ISO date-time ({example})")
        raise typer.Exit(2) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TOKYO)
    try:
        coming, expected = upcoming(moment, count), expected_period(moment)
    except ZeikanError as exc:
        err.print(f"[bold red]error[/]: {exc}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    table = Table(title=f"MOF releases from {format_release_time(moment)}", title_justify="left")
    for column in ("month", "stage", "release (JST)", "date from"):
        table.add_column(column, no_wrap=True)
    for release in coming:
        origin = "calendar file" if release.from_calendar else "rule (estimate)"
        table.add_row(
            format_period(release.period), release.stage, format_release_time(release.release_at), origin
        )
    out.print(table, highlight=False)
    out.print(f"expected now: {format_period(expected)}", highlight=False)


@app.command()
def docs(
    warehouse: Warehouse = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the files (default: docs/ in the serving copy's folder)."),
    ] = None,
) -> None:
    """Write the data dictionary of the marts (data_dictionary.md and .html) from the warehouse's catalog.

    It documents the serving copy, which is what BI tools read, and which can be read even while a load
    holds the pipeline's warehouse. Before the first serving copy exists it documents the warehouse itself.
    """
    from contextlib import AbstractContextManager

    import duckdb
    from rich.markup import escape

    from tasks.dictionary import read_dictionary, write_dictionary
    from zeikan.settings import Settings
    from zeikan.warehouse import open_warehouse
    from zeikan.warehouse.serving import docs_folder, serving_file, serving_reader

    settings = Settings().with_overrides(warehouse=warehouse)
    copy = serving_file(settings.serving_folder)
    reader: AbstractContextManager[duckdb.DuckDBPyConnection]
    if copy.exists():
        reader, described = serving_reader(copy), copy
    elif settings.warehouse.exists():
        reader, described = open_warehouse(settings).reader(), settings.warehouse
        note = f"note: no serving copy at {copy} yet; documenting {described}"
        err.print(note, highlight=False, markup=False, soft_wrap=True)
    else:
        err.print(f"[bold red]error[/]: no warehouse at {escape(str(settings.warehouse))} (run a load first)")
        raise typer.Exit(1)
    try:
        with reader as con:
            dictionary = read_dictionary(con)
    except ZeikanError as exc:
        err.print(f"[bold red]error[/]: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    for path in write_dictionary(dictionary, out_dir or docs_folder(settings.serving_folder)):
        out.print(f"wrote {path}", highlight=False, soft_wrap=True)
    missing = dictionary.undocumented()
    if missing:
        err.print(f"warning: no comment on {', '.join(missing)}", highlight=False, soft_wrap=True)
    err.print(
        f"{described}: {len(dictionary.tables)} tables, latest vintage {dictionary.latest_vintage}",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; beyond 127.0.0.1 needs PREFECT_SERVER_API_AUTH_STRING.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the Prefect API and UI.")] = 4200,
    home: Annotated[Path, typer.Option(help="PREFECT_HOME of the server: its database and logs.")] = Path(
        ".prefect"
    ),
    source: Source = None,
    warehouse: Warehouse = None,
) -> None:
    """Start a local Prefect server and process worker and register the deployments (Ctrl-C stops all)."""
    import time

    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    from deployments.deploy import WORK_POOL, register
    from zeikan.serve import AUTH_SETTING, LocalPrefect
    from zeikan.settings import Settings

    local = LocalPrefect(home=home.resolve(), host=host, port=port)
    try:
        api_url = local.start_server()
        settings = Settings().with_overrides(source=source, warehouse=warehouse)
        auth = {PREFECT_API_AUTH_STRING: os.environ[AUTH_SETTING]} if os.environ.get(AUTH_SETTING) else {}
        with temporary_settings(updates={PREFECT_API_URL: api_url, **auth}):
            names = list(register(settings))
        local.start_worker(WORK_POOL)
        out.print(
            f"Prefect UI: {local.ui_url}   deployments: {', '.join(names)}   (Ctrl-C stops)", highlight=False
        )
        while all(process.poll() is None for process in local.processes):
            time.sleep(1)
        err.print("the Prefect server or worker stopped; see the logs in " + str(local.home))
    except ZeikanError as exc:
        err.print(f"[bold red]error[/]: {exc}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        pass
    finally:
        local.stop()


@app.command("make-sample", hidden=True)
def make_sample(
    real: Annotated[Path, typer.Option("--from", help="Folder with MOF's real d-files.")],
    to: Annotated[Path, typer.Option("--to", help="Where to write the sample.")] = Path("zeikan/sample"),
) -> None:
    """Rebuild the bundled sample from MOF's real files (maintainers only)."""
    from zeikan.sample import build_sample

    for path in build_sample(real, to):
        out.print(f"wrote {path} ({path.stat().st_size:,} bytes)")


def backfill_request(start: str | None, end: str | None, force: bool) -> BackfillRequest:
    """The flow's parameters, checked as the Prefect UI checks them (exit 2 with the reason)."""
    from flows.backfill import BackfillRequest

    try:
        return BackfillRequest(start=start, end=end, force=force)
    except ValidationError as exc:
        reasons = "; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())
        err.print(f"[bold red]error[/]: {reasons}")
        raise typer.Exit(2) from None


def _path(path: Path | None) -> str | None:
    return None if path is None else str(path)


def main() -> None:
    """Console entry point."""
    app()

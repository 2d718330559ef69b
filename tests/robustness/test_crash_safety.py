"""Crash safety: `kill -9` a run at 23 points from download to publish; nothing is lost, torn or doubled.

Each point is a function of ours entered or left (or a line reached) for the nth time; the crash runner
(`crash_runner.py`) traces only that function and sends its own process SIGKILL there. Points are spread
over the five phases and over two loads: the first load into an empty warehouse, and a later load (a
revised release) into a warehouse that already holds the first.

After each kill:
- the process died by SIGKILL at the named point;
- the warehouse opens read-only as the run left it and, on a byte copy, read-write with a forced
  checkpoint; every row of every table reads back (verifying DuckDB's block checksums) and DuckDB's block
  counts, catalog and migrations agree; it holds exactly what it held before the run if the kill came
  before the commit, and exactly what an uninterrupted run leaves if it came after;
- the serving copy, each of its Parquet files, the data dictionary, every report file and every raw file
  is either absent, the previous complete version or the new complete one: never torn, and no temporary
  file under a name a reader would pick up;
- rerunning the same command normally exits 0 and leaves every table, the serving copy, the Parquet files,
  the reports and the raw archive identical to an uninterrupted run's (the vintage is pinned by --as-of).

The runs are real processes (forked by the runner from a warmed-up parent, so they skip Python's import
time) over the bundled sample release (three years of MOF's real files), which keeps each run to a few
seconds. Two workers take the points side by side, one against the session's Prefect server and one
against a second one (`second_prefect`).
"""

from __future__ import annotations

import shutil
import signal
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from queue import Queue

import pytest

from tests.conftest import copy_source
from tests.independent import revise, value_field
from tests.robustness.conftest import ForkServer, copy_tree, release_leases
from tests.robustness.crash_runner import KillPoint
from tests.robustness.record import record
from tests.robustness.state import (
    RunFolder,
    Snapshot,
    check_raw_archive,
    rows_lost_and_duplicated,
    snapshot,
)
from zeikan.sample import sample_dir

PERIOD = "2026-05"
FIRST_AS_OF, LATER_AS_OF = "2026-07-01", "2026-08-03"
REVISED_MONTH, RAISE_THOUSAND_YEN = "2026/02", 100_000_000  # February's imports +¥100 bn: a deficit now
WAREHOUSE = "zeikan.warehouse.duckdb_file"
TRANSACTION = f"{WAREHOUSE}:DuckDBFileWarehouse.transaction"
SERVING = "zeikan.warehouse.serving"
SERVING_FILE = "zeikan.duckdb"


@dataclass(frozen=True)
class CrashPoint:
    """A kill point, its phase, which load it interrupts, and whether that load has committed by then."""

    name: str
    phase: str
    load: str  # "first" (empty warehouse) or "later" (a revision on top of the first load)
    kill: KillPoint
    committed: bool = False


def point(name: str, phase: str, load: str, target: str, event: str, nth: int = 1, **more) -> CrashPoint:
    committed = more.pop("committed", phase == "publish")
    return CrashPoint(name, phase, load, KillPoint(target, event, nth, **more), committed)


POINTS = [
    # download: the three d-files come down in threads at once, then the press releases one by one
    point("first-d-file-download-starts", "download", "first", "tasks.extract:download", "call"),
    point("two-d-files-archived", "download", "later", "tasks.extract:archive", "return", 2),
    # parse
    point("first-grid-read", "parse", "later", "tasks.mof_csv:read_grid", "call"),
    point("both-commodity-files-parsed", "parse", "first", "tasks.parse:parse_commodities", "return", 2),
    point("second-press-release-parsing", "parse", "later", "tasks.parse_press:parse_press", "call", 2),
    # validation
    point("d-files-validating", "validation", "first", "tasks.validate:check_release", "call"),
    point("press-releases-validated", "validation", "later", "tasks.validate_press:check_press", "return", 3),
    # load: one transaction
    point("schema-created-uncommitted", "load", "first", f"{WAREHOUSE}:apply_migrations", "return"),
    point("second-press-release-stored", "load", "first", "tasks.store:add_press_vintage", "return", 2),
    point("d-file-figures-added", "load", "first", "tasks.store:add_figures", "return", 4),
    point("revision-added", "load", "later", "tasks.store:add_vintage", "return"),
    point("revision-recorded", "load", "later", "tasks.store:record_release", "call"),
    point(
        "third-mart-emptied-not-refilled",
        "load",
        "later",
        "tasks.transform:rebuild_marts",
        "line",
        3,
        line="con.execute(sql, params)",
    ),
    point("headlines-saving", "load", "first", "tasks.headlines:save_headlines", "call"),
    point("before-commit", "load", "later", TRANSACTION, "line", line="con.commit()"),
    point("committed-not-closed", "load", "first", TRANSACTION, "line", line="con.close()", committed=True),
    # publish: serving copy (Parquet, then the DuckDB file), data dictionary, report, artifacts
    point("serving-copy-filled-uncommitted", "publish", "later", f"{SERVING}:fill_copy", "return"),
    point(
        "serving-file-written-not-renamed",
        "publish",
        "first",
        f"{SERVING}:replacing",
        "line",
        line="temp.replace(target)",
        when=("target", SERVING_FILE),
    ),
    point(
        "third-parquet-not-renamed",
        "publish",
        "later",
        f"{SERVING}:replacing",
        "line",
        3,
        line="temp.replace",
    ),
    point("data-dictionary-writing", "publish", "later", "tasks.dictionary:write_dictionary", "call"),
    point("two-charts-saved", "publish", "first", "tasks.report:save_figure", "return", 2),
    point("report-written-no-artifacts-yet", "publish", "later", "tasks.report:render_report", "return"),
    point("everything-published", "publish", "first", "flows.steps:publish_release", "return"),
]
NOTHING = Snapshot(warehouse={}, serving=None, parquet={}, publish={})


@dataclass(frozen=True)
class Scenario:
    """The sources, the commands, and what an uninterrupted run leaves after each load."""

    commands: dict[str, list[str]]
    template: Path  # a run folder right after the first load
    states: dict[str, Snapshot]  # "empty", "first", "later"
    raw: dict[str, frozenset[str]]

    def before(self, load: str) -> Snapshot:
        return self.states["empty" if load == "first" else "first"]

    def after(self, load: str) -> Snapshot:
        return self.states[load]


def revised_sample(folder: Path) -> Path:
    """The bundled sample with February 2026's imports raised by ¥100 bn in d41ma and d61ma (a revision
    as MOF makes one), and the same press releases."""
    copy_source(sample_dir(), folder)
    shutil.copytree(sample_dir() / "press", folder / "press")
    d41 = folder / "d41ma.csv"
    d41.write_bytes(revise(d41.read_bytes(), REVISED_MONTH, 2, RAISE_THOUSAND_YEN))
    d61 = folder / "d61ma.csv"
    content = d61.read_bytes()
    for code in ("0～9", "3"):
        content = revise(content, REVISED_MONTH, value_field(content, code), RAISE_THOUSAND_YEN)
    d61.write_bytes(content)
    return folder


def raw_names(run: RunFolder) -> frozenset[str]:
    return frozenset(p.name for p in run.raw.rglob("*") if p.is_file() and len(p.name) == 64)


@pytest.fixture(scope="module")
def scenario(runner: ForkServer, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The first and the later load run without interruption, and what each leaves."""
    base = tmp_path_factory.mktemp("crash")
    sources = {"first": (sample_dir(), FIRST_AS_OF), "later": (revised_sample(base / "revised"), LATER_AS_OF)}
    reference = RunFolder(base / "reference")
    reference.root.mkdir()
    states, raw, commands = {"empty": NOTHING}, {"empty": frozenset()}, {}
    for load in ("first", "later"):
        source, as_of = sources[load]
        commands[load] = ["run", "--period", PERIOD, "--source", str(source), "--as-of", as_of]
        done = runner.run(
            [*commands[load], "--warehouse", str(reference.warehouse)], reference.root, name=load
        )
        assert done.ended.exit == 0, done.stderr
        states[load] = snapshot(reference)
        raw[load] = raw_names(reference)
        if load == "first":
            template = copy_tree(reference.root, base / "after-first")
    assert states["later"].warehouse != states["first"].warehouse  # the revision is a new vintage
    assert states["later"].publish.keys() > states["first"].publish.keys()  # and a new report
    return Scenario(commands, template, states, raw)


def one_of(found: object, before: object, after: object) -> bool:
    return found in (before, after)


def check_after_kill(found: Snapshot, before: Snapshot, after: Snapshot, committed: bool) -> None:
    """Nothing torn: the warehouse as before the run or as after it (by whether the load committed); the
    serving copy, each Parquet file and each report file the old whole version or the new one."""
    expected = after if committed else before
    assert found.warehouse == expected.warehouse, "the warehouse holds a part of a load"
    assert one_of(found.serving, before.serving, after.serving), "the serving copy is torn"
    for table, sums in found.parquet.items():
        assert one_of(sums, before.parquet.get(table), after.parquet.get(table)), f"{table}.parquet is torn"
    for name, digest in found.publish.items():
        assert one_of(digest, before.publish.get(name), after.publish.get(name)), f"{name} is torn"


@dataclass(frozen=True)
class Survived:
    """What one crash point showed, for its test to report."""

    killed_at: str
    serving_after_kill: str
    raw_temp_leftovers: int
    rows_lost: int
    duplicates: int
    kill_s: float
    rerun_s: float
    seconds: float


def which_copy(found: Snapshot, after: Snapshot) -> str:
    """Which serving copy a reader found after the kill."""
    if found.serving is None:
        return "none yet"
    return "the new one" if found.serving == after.serving else "the previous one"


def crash_and_rerun(crash: CrashPoint, scenario: Scenario, runner: ForkServer, folder: Path) -> Survived:
    """Kill a run at `crash`, check what it left, rerun it, and compare with an uninterrupted run."""
    started = time.monotonic()
    run = RunFolder(folder / "run")
    if crash.load == "later":
        copy_tree(scenario.template, run.root)
    run.root.mkdir(parents=True, exist_ok=True)
    args = [*scenario.commands[crash.load], "--warehouse", str(run.warehouse)]
    before, after = scenario.before(crash.load), scenario.after(crash.load)

    killed = runner.run(args, run.root, name="killed", kill=crash.kill)
    release_leases(runner.api_url, killed.leases())  # the writer slot a killed run held, handed back now
    assert killed.ended.signal == signal.SIGKILL, f"not killed: {killed.ended}\n{killed.stderr}"
    assert killed.killed_at == f"killed at {crash.kill.describe()}"

    left = snapshot(run, folder / "scratch-killed")
    check_after_kill(left, before, after, crash.committed)
    leftovers = check_raw_archive(run.raw)
    assert raw_names(run) <= scenario.raw[crash.load]

    rerun = runner.run(args, run.root, name="rerun")
    release_leases(runner.api_url, rerun.leases())  # none left: a run that ends releases its own
    assert rerun.ended.exit == 0, rerun.stderr
    final = snapshot(run)
    lost, duplicated = rows_lost_and_duplicated(after.warehouse, final.warehouse)
    assert (lost, duplicated) == (0, 0), f"{lost} rows lost, {duplicated} duplicated"
    assert final == after, "the rerun does not give what an uninterrupted run gives"
    assert raw_names(run) == scenario.raw[crash.load]
    return Survived(
        killed_at=crash.kill.describe(),
        serving_after_kill=which_copy(left, after),
        raw_temp_leftovers=leftovers,
        rows_lost=lost,
        duplicates=duplicated,
        kill_s=killed.ended.seconds,
        rerun_s=rerun.ended.seconds,
        seconds=round(time.monotonic() - started, 2),
    )


@pytest.fixture(scope="module")
def outcomes(
    second_prefect: Future[str],
    scenario: Scenario,
    runner: ForkServer,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> dict[str, Survived | BaseException]:
    """Every crash point, run by two workers side by side, each with its fork server and Prefect server
    (so that neither waits on the other's writer slot or on the same SQLite database): most of a run's
    time is spent waiting on its Prefect API, not on the CPU."""
    second = ForkServer(second_prefect.result())
    workers: Queue[ForkServer] = Queue()
    for worker in (runner, second):
        workers.put(worker)
    base = tmp_path_factory.mktemp("crashes")

    def attempt(crash: CrashPoint) -> Survived | BaseException:
        worker = workers.get()
        try:
            return crash_and_rerun(crash, scenario, worker, base / crash.name)
        except Exception as failure:
            return failure
        finally:
            workers.put(worker)

    chosen = {  # only the points this session runs (`-k` may pick a few)
        item.callspec.params["crash"].name
        for item in request.session.items
        if "crash" in getattr(getattr(item, "callspec", None), "params", {})
    }
    points = [p for p in POINTS if p.name in chosen]
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            return dict(zip([p.name for p in points], pool.map(attempt, points), strict=True))
    finally:
        second.close()


@pytest.mark.parametrize("crash", POINTS, ids=[p.name for p in POINTS])
def test_a_run_killed_here_leaves_nothing_torn_and_a_rerun_completes_it(
    crash: CrashPoint, outcomes: dict[str, Survived | BaseException]
) -> None:
    outcome = outcomes[crash.name]
    if isinstance(outcome, BaseException):
        record(
            "crash",
            crash.name,
            f"FAILED: {outcome}"[:500],
            phase=crash.phase,
            load=crash.load,
            survived=False,
        )
        raise outcome
    assert (outcome.rows_lost, outcome.duplicates) == (0, 0)
    record(
        "crash",
        crash.name,
        "survived: nothing torn, rerun identical to an uninterrupted run",
        phase=crash.phase,
        load=crash.load,
        warehouse_after_kill="as after the run" if crash.committed else "as before the run",
        survived=True,
        **asdict(outcome),
    )


def test_crash_points_cover_every_phase_and_both_loads() -> None:
    phases = {p.phase for p in POINTS}
    assert phases == {"download", "parse", "validation", "load", "publish"}
    assert len(POINTS) >= 20 and len({p.name for p in POINTS}) == len(POINTS)
    for phase in phases:
        assert {p.load for p in POINTS if p.phase == phase} == {"first", "later"}, phase

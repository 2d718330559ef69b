"""Concurrent runs: two runs of the same month started together load it once; the other waits or does
nothing, and says so. A tool holding the pipeline's file makes a run wait, then go on or give up.

Two mechanisms keep writers apart (README, "One writer at a time"): runs that share a Prefect server take
turns through the `zeikan-warehouse-writer` slot; runs that do not (two `zeikan run` commands, each with
its own temporary Prefect server; here, two running servers) wait for DuckDB's file lock, up to
`ZEIKAN_LOCK_WAIT_S`. Both are tested with real `zeikan` processes, and what each pair leaves (warehouse,
serving copy, report) is compared, table by table and file by file, with a single run's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import duckdb
import pytest

from tests.conftest import wait_until
from tests.robustness.conftest import ForkServer
from tests.robustness.record import record
from tests.robustness.state import RunFolder, Snapshot, rows_lost_and_duplicated, snapshot
from zeikan.sample import sample_dir

PERIOD, AS_OF = "2026-05", "2026-07-01"
ZEIKAN = shutil.which("zeikan") or str(Path(sys.executable).with_name("zeikan"))
LOADED = re.compile(r"^2026-05: loaded (?!nothing new)", re.MULTILINE)
NOTHING_NEW = "2026-05: loaded nothing new"
WAITING = re.compile(r"waiting up to \d+ s to (?:write|read) .*in use by another process \(PID (\d+)")
RUN_TIMEOUT_S = 180


def arguments(run: RunFolder) -> list[str]:
    source = str(sample_dir())
    return [
        "run",
        "--period",
        PERIOD,
        "--source",
        source,
        "--warehouse",
        str(run.warehouse),
        "--as-of",
        AS_OF,
    ]


class Zeikan:
    """A `zeikan` process whose output goes to files, so a test can watch it while it runs."""

    def __init__(self, args: list[str], cwd: Path, name: str, env: dict[str, str]) -> None:
        cwd.mkdir(parents=True, exist_ok=True)
        self.out, self.err = cwd / f"{name}.out", cwd / f"{name}.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.process = subprocess.Popen([ZEIKAN, *args], cwd=cwd, env=env, stdout=out, stderr=err)

    @property
    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def wait(self) -> int:
        return self.process.wait(timeout=RUN_TIMEOUT_S)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def environment(**changes: str | None) -> dict[str, str]:
    """This process's environment with `changes` (None removes a variable)."""
    env = dict(os.environ)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


class Holder:
    """A process holding the pipeline's DuckDB file open, as a BI tool pointed at it would."""

    def __init__(self, path: Path, read_only: bool = True) -> None:
        code = (
            "import duckdb, sys; "
            f"con = duckdb.connect({str(path)!r}, read_only={read_only}); "
            "print('holding', flush=True); sys.stdin.read(); con.close()"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout.readline().strip() == "holding"

    @property
    def pid(self) -> int:
        return self.process.pid

    def release(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=30)


def empty_warehouse(run: RunFolder) -> Path:
    """A DuckDB file with nothing in it yet, for a holder to open before the first load."""
    run.warehouse.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(run.warehouse)).close()
    return run.warehouse


@pytest.fixture(scope="module")
def single(runner: ForkServer, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """What one run of the month leaves: the warehouse, serving copy and report to compare pairs with."""
    run = RunFolder(tmp_path_factory.mktemp("single"))
    done = runner.run(arguments(run), run.root)
    assert done.ended.exit == 0, done.stderr
    return snapshot(run, run.root / "scratch")


@pytest.fixture
def processes() -> Iterator[list[Zeikan | Holder]]:
    started: list[Zeikan | Holder] = []
    yield started
    for process in started:
        process.release() if isinstance(process, Holder) else process.stop()


def same_as_single(run: RunFolder, single: Snapshot, scratch: Path) -> tuple[int, int]:
    """Assert the pair left exactly what one run leaves; returns (rows lost, rows duplicated)."""
    found = snapshot(run, scratch)
    lost, duplicated = rows_lost_and_duplicated(single.warehouse, found.warehouse)
    assert (lost, duplicated) == (0, 0), f"{lost} rows lost, {duplicated} duplicated"
    assert found == single
    return lost, duplicated


def one_loaded_one_did_nothing(first: Zeikan, second: Zeikan) -> tuple[Zeikan, Zeikan]:
    """(the run that loaded, the run that found nothing new), each having said so."""
    loaded = [run for run in (first, second) if LOADED.search(run.stderr)]
    idle = [run for run in (first, second) if NOTHING_NEW in run.stderr]
    assert len(loaded) == 1 and len(idle) == 1, first.stderr + "\n----\n" + second.stderr
    return loaded[0], idle[0]


def test_two_runs_sharing_a_prefect_server_load_the_month_once(
    prefect_api: str, single: Snapshot, tmp_path: Path, processes: list
) -> None:
    run = RunFolder(tmp_path)
    env = environment(PREFECT_API_URL=prefect_api)
    pair = [Zeikan(arguments(run), tmp_path, f"run{i}", env) for i in (1, 2)]
    processes += pair
    assert [p.wait() for p in pair] == [0, 0], pair[0].stderr + pair[1].stderr
    loaded, idle = one_loaded_one_did_nothing(*pair)
    lost, duplicated = same_as_single(run, single, tmp_path / "scratch")
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        (loads,) = con.execute("SELECT count(*) FROM core.releases").fetchone()
    assert loads == 4  # three press releases and the d-files, each once
    record(
        "concurrency",
        "two runs, one Prefect server",
        "one loaded, the other found nothing new and said so",
        rows_lost=lost,
        duplicates=duplicated,
        idle_said=NOTHING_NEW,
        waited_for_slot="waiting for the warehouse writer slot" in idle.stderr + loaded.stderr,
    )


def test_two_runs_on_different_prefect_servers_take_turns_on_the_file_lock(
    prefect_api: str, second_prefect: Future[str], single: Snapshot, tmp_path: Path, processes: list
) -> None:
    """Each run talks to a Prefect server of its own: no shared writer slot, so only DuckDB's lock keeps
    them apart (as for two `zeikan run` commands that each start a temporary server). A holder keeps the
    file busy until both are waiting for it, so that they are sure to meet there."""
    run = RunFolder(tmp_path)
    holder = Holder(empty_warehouse(run))
    processes.append(holder)
    own_server = environment(PREFECT_API_URL=second_prefect.result(), ZEIKAN_LOCK_WAIT_S="120")
    session_server = environment(PREFECT_API_URL=prefect_api, ZEIKAN_LOCK_WAIT_S="120")
    pair = [
        Zeikan(arguments(run), tmp_path, "run1", session_server),
        Zeikan(arguments(run), tmp_path, "run2", own_server),
    ]
    processes += pair
    wait_until(
        lambda: (
            all(f"(PID {holder.pid}," in p.stderr for p in pair)
            or any(p.process.poll() is not None for p in pair)
        ),
        150,
        "both runs wait for the file the holder has open",
    )
    holder.release()
    assert [p.wait() for p in pair] == [0, 0], pair[0].stderr + pair[1].stderr
    for p in pair:
        assert WAITING.search(p.stderr), p.stderr
    loaded, idle = one_loaded_one_did_nothing(*pair)
    lost, duplicated = same_as_single(run, single, tmp_path / "scratch")
    record(
        "concurrency",
        "two runs on different Prefect servers",
        "both waited for the DuckDB file lock; one loaded, the other found nothing new",
        rows_lost=lost,
        duplicates=duplicated,
        loser_waited_for_winner=f"(PID {loaded.process.pid}," in idle.stderr,
    )


def test_a_tool_holding_the_file_makes_a_run_wait_then_go_on(
    prefect_api: str, single: Snapshot, tmp_path: Path, processes: list
) -> None:
    run = RunFolder(tmp_path)
    holder = Holder(empty_warehouse(run))
    processes.append(holder)
    zeikan = Zeikan(arguments(run), tmp_path, "run", environment(PREFECT_API_URL=prefect_api))
    processes.append(zeikan)
    wait_until(
        lambda: f"(PID {holder.pid}," in zeikan.stderr or zeikan.process.poll() is not None,
        60,
        "the run says it waits for the holder",
    )
    assert zeikan.process.poll() is None, zeikan.stderr
    holder.release()
    assert zeikan.wait() == 0, zeikan.stderr
    assert LOADED.search(zeikan.stderr)
    lost, duplicated = same_as_single(run, single, tmp_path / "scratch")
    record(
        "concurrency",
        "a reader holds the pipeline file, then lets go",
        "the run waited, named the holder, and loaded once it was free",
        rows_lost=lost,
        duplicates=duplicated,
    )


def test_a_tool_holding_the_file_too_long_makes_a_run_give_up_with_exit_1(
    prefect_api: str, tmp_path: Path, processes: list
) -> None:
    run = RunFolder(tmp_path)
    holder = Holder(empty_warehouse(run))
    processes.append(holder)
    zeikan = Zeikan(
        arguments(run), tmp_path, "run", environment(PREFECT_API_URL=prefect_api, ZEIKAN_LOCK_WAIT_S="1")
    )
    processes.append(zeikan)
    assert zeikan.wait() == 1, zeikan.stderr
    assert f"is in use by another process (PID {holder.pid}," in zeikan.stderr
    assert "gave up after waiting 1 s" in zeikan.stderr and "ZEIKAN_LOCK_WAIT_S" in zeikan.stderr
    holder.release()
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        (tables,) = con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
    assert tables == 0  # nothing written
    record(
        "concurrency",
        "a reader holds the pipeline file past ZEIKAN_LOCK_WAIT_S",
        "the run gave up with exit 1 (WarehouseBusy) naming the holder; nothing written",
    )

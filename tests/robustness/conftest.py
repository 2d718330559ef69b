"""Fixtures of the robustness tests, and the reliability figures printed at the end of a run that has them.

`runner` is the crash runner's fork server (tests/robustness/crash_runner.py): it runs `zeikan` commands
as separate processes, optionally killed with SIGKILL at a named point, without paying Python's import
time for each. `release_leases` hands back the writer-slot leases a killed run left on the Prefect server.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from uuid import UUID

import pytest
import requests

from tests.conftest import REPO
from tests.robustness import record as records
from tests.robustness.crash_runner import Ended, KillPoint, Request
from tests.robustness.summary import add_up, render
from zeikan.serve import LocalPrefect, free_port

RUN_TIMEOUT_S = 240


class ForkServer:
    """A client of `crash_runner serve`: one command at a time, each in a fresh forked process, against
    the Prefect API at `api_url`."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        env = {**os.environ, "PREFECT_API_URL": api_url}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.robustness.crash_runner", "serve"],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)
        ready = self._answer(120)
        assert ready == "ready", f"crash runner did not start: {ready!r}"

    def _answer(self, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.selector.select(timeout=min(1.0, max(deadline - time.monotonic(), 0.01))):
                line = self.process.stdout.readline()
                if not line:
                    raise RuntimeError(f"crash runner ended (exit {self.process.poll()})")
                return line.strip()
        raise TimeoutError(f"no answer from the crash runner within {timeout_s} s")

    def run(
        self,
        args: list[str],
        cwd: Path,
        *,
        name: str = "run",
        env: dict[str, str] | None = None,
        kill: KillPoint | None = None,
    ) -> Finished:
        """Run `zeikan ARGS` in `cwd` (stdout, stderr, kill report and leases land there as NAME.*)."""
        request = Request(
            args=args,
            cwd=str(cwd),
            env=env or {},
            stdout=str(cwd / f"{name}.out"),
            stderr=str(cwd / f"{name}.err"),
            kill=None if kill is None else asdict(kill),
            report=str(cwd / f"{name}.killed"),
            leases=str(cwd / f"{name}.leases"),
        )
        self.process.stdin.write(json.dumps(asdict(request)) + "\n")
        self.process.stdin.flush()
        ended = Ended(**json.loads(self._answer(RUN_TIMEOUT_S)))
        return Finished(ended, cwd, name)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


class Finished:
    """A finished (or killed) command: how it ended and what it printed."""

    def __init__(self, ended: Ended, cwd: Path, name: str) -> None:
        self.ended, self.cwd, self.name = ended, cwd, name

    def text(self, suffix: str) -> str:
        path = self.cwd / f"{self.name}.{suffix}"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def stdout(self) -> str:
        return self.text("out")

    @property
    def stderr(self) -> str:
        return self.text("err")

    @property
    def killed_at(self) -> str:
        return self.text("killed").strip()

    def leases(self) -> list[UUID]:
        return [UUID(line) for line in self.text("leases").split()]


def release_leases(api_url: str, leases: list[UUID]) -> None:
    """Hand back writer-slot leases a killed run left behind (what the server does when they expire)."""
    for lease in leases:  # releasing a lease already released is a no-op
        answer = requests.post(
            f"{api_url}/v2/concurrency_limits/decrement-with-lease", json={"lease_id": str(lease)}, timeout=30
        )
        answer.raise_for_status()


@pytest.fixture(scope="package")  # stopped once the robustness tests are done
def runner(prefect_api: str) -> Iterator[ForkServer]:
    server = ForkServer(prefect_api)
    yield server
    server.close()


@pytest.fixture(scope="package")
def second_prefect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Future[str]]:
    """A second Prefect server (started as `zeikan serve` starts one), for runs that must not share the
    session's; it boots in the background, and `.result()` is its API URL once it answers."""
    server = LocalPrefect(home=tmp_path_factory.mktemp("prefect2"), port=free_port())
    with ThreadPoolExecutor(max_workers=1) as starter:
        api_url = starter.submit(server.start_server)
        try:
            yield api_url
        finally:
            api_url.exception()  # let the start finish before stopping it
            server.stop()


# --- the reliability figures -------------------------------------------------------------------------

_RAN = pytest.StashKey[bool]()


@pytest.fixture(scope="session", autouse=True)
def fresh_records(request: pytest.FixtureRequest) -> None:
    """Start the figures afresh with the first robustness test of a run (they add up one run's records)."""
    if records.RECORDS.is_dir():
        for path in records.RECORDS.glob("*.jsonl"):
            path.unlink()
    request.config.stash[_RAN] = True


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Print the reliability figures after any run that included robustness tests."""
    if not config.stash.get(_RAN, False):
        return
    terminalreporter.section("zeikan reliability")
    for line in render(add_up(records.read_all())):
        terminalreporter.write_line(line)


def copy_tree(source: Path, target: Path) -> Path:
    """A byte copy of a run's folder (warehouse, serving copy, raw archive, reports)."""
    shutil.copytree(source, target, dirs_exist_ok=True)
    return target

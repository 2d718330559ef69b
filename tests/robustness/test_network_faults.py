"""Network faults through a real HTTP server on 127.0.0.1, end to end through the `zeikan run` command.

A `FaultServer` serves MOF's real files and answers chosen paths with a scripted fault for their first N
requests (or every request), then normally: the script counts requests, so what a run sees does not
depend on timing. Every run is a real second process with the retry delays lowered through the
environment (`ZEIKAN_FETCH_RETRY_DELAYS_S=[0.1,0.2,0.4]`), the way an operator would set them. A run that
recovers must load exactly what a run without faults loads (same row counts, same marts checksums):
nothing lost, nothing twice. A run that cannot recover must stop after a bounded number of requests with
exit 1 (exit 3 for a release that is not out yet) and a message naming the URL and the fault.
"""

from __future__ import annotations

import itertools
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import background_servers, run_cli
from tests.robustness.record import record
from zeikan.release import EXPORTS_FILE, IMPORTS_FILE, WORLD_FILE
from zeikan.warehouse import DuckDBFileWarehouse

pytestmark = pytest.mark.real_data

PERIOD, AS_OF = "2026-08", "2026-09-20"
RETRY_DELAYS = (0.1, 0.2, 0.4)
RETRIES = len(RETRY_DELAYS)
QUICK_RETRIES = {"ZEIKAN_FETCH_RETRIES": str(RETRIES), "ZEIKAN_FETCH_RETRY_DELAYS_S": str(list(RETRY_DELAYS))}
DRIP_INTERVAL_S = 0.2
Checksums = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Fault:
    """What the server does instead of answering: `kind` for the first `times` requests (None: always)."""

    kind: str
    times: int | None = 1
    status: int = 0


class FaultServer(ThreadingHTTPServer):
    """Serves a folder on 127.0.0.1, answering the paths in `script` with their fault; logs every request."""

    daemon_threads = True
    block_on_close = False  # a stalled or dripping handler must not hold up the test's teardown

    def __init__(self, root: Path, script: dict[str, Fault]) -> None:
        super().__init__(("127.0.0.1", 0), FaultyHandler)
        self.root, self.script = root, script
        self.lock = threading.Lock()
        self.log: list[tuple[float, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def times_of(self, path: str) -> list[float]:
        """When each request for `path` arrived (monotonic seconds)."""
        with self.lock:
            return [at for at, seen in self.log if seen == path]

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (timeout, deadline) breaks the pipe: that is the point, not an error."""


class FaultyHandler(BaseHTTPRequestHandler):
    server: FaultServer

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        with self.server.lock:
            self.server.log.append((time.monotonic(), path))
            attempt = sum(1 for _, seen in self.server.log if seen == path)
        fault = self.server.script.get(path)
        if fault is not None and (fault.times is None or attempt <= fault.times):
            faults: dict[str, Callable[[Fault], None]] = {
                "status": self.answer_status,
                "reset": self.reset,
                "stall": self.stall,
                "drip": self.drip,
                "cut": self.cut,
                "redirect": self.redirect_to_itself,
            }
            faults[fault.kind](fault)
            return
        file = (self.server.root / path.lstrip("/")).resolve()
        if not file.is_relative_to(self.server.root) or not file.is_file():
            self.send_body(b"<html>Not Found</html>", 404)
            return
        self.send_body(file.read_bytes())

    def send_body(self, body: bytes, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def answer_status(self, fault: Fault) -> None:
        self.send_body(f"<html>{fault.status}</html>".encode(), fault.status)

    def reset(self, fault: Fault) -> None:
        """Hang up with a TCP reset (SO_LINGER 0) instead of an answer."""
        self.close_connection = True
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.wfile.close()
        self.request.close()

    def stall(self, fault: Fault) -> None:
        """Say nothing for longer than the client's read timeout."""
        time.sleep(2.0)
        self.send_body(b"too late")

    def drip(self, fault: Fault) -> None:
        """Send the real file one byte at a time: the read timeout never trips, only the deadline does."""
        body = (self.server.root / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for byte in body:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(DRIP_INTERVAL_S)

    def cut(self, fault: Fault) -> None:
        """Declare the whole file, send half of it and hang up."""
        body = (self.server.root / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.close_connection = True

    def redirect_to_itself(self, fault: Fault) -> None:
        self.send_response(302)
        self.send_header("Location", self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def fault_server(mof_data: Path) -> Iterator[Callable[[dict[str, Fault]], FaultServer]]:
    """`fault_server(script)` serves the real files with `script`'s faults; all stop at teardown."""
    with background_servers(poll_interval_s=0.05) as start:
        yield lambda script: start(FaultServer(mof_data.resolve(), script))


@dataclass(frozen=True)
class Run:
    """One `zeikan run` against a fault server: the process's result, how long it took, the warehouse."""

    result: subprocess.CompletedProcess[str]
    seconds: float
    server: FaultServer
    warehouse: Path

    @property
    def checksums(self) -> Checksums:
        return DuckDBFileWarehouse(self.warehouse).checksums()

    def requests_for(self, name: str) -> int:
        return len(self.server.times_of(f"/{name}"))


def run_zeikan(server: FaultServer, api_url: str, folder: Path, period: str = PERIOD, **env: str) -> Run:
    """`zeikan run` as a second process, with quick retries and `env` added to its environment."""
    folder.mkdir(parents=True, exist_ok=True)
    warehouse = folder / "zeikan.duckdb"
    args = [
        "run",
        "--period",
        period,
        "--source",
        server.url,
        "--warehouse",
        str(warehouse),
        "--as-of",
        AS_OF,
    ]
    started = time.monotonic()
    result = run_cli(args, api_url, folder, {**QUICK_RETRIES, **env})
    return Run(result, time.monotonic() - started, server, warehouse)


def counts(checksums: Checksums) -> dict[str, int]:
    return {table: count for table, (count, _) in checksums.items()}


def marts(checksums: Checksums) -> Checksums:
    return {table: value for table, value in checksums.items() if table.startswith("marts.")}


def lost_and_doubled(reference: Checksums, checksums: Checksums) -> tuple[int, int]:
    """Rows missing from, and rows in excess of, the fault-free load, summed over every table."""
    lost = sum(max(0, count - checksums.get(table, (0, 0))[0]) for table, (count, _) in reference.items())
    doubled = sum(max(0, count - reference.get(table, (0, 0))[0]) for table, (count, _) in checksums.items())
    return lost, doubled


@pytest.fixture(scope="module")
def reference(prefect_api: str, fault_server, tmp_path_factory) -> Checksums:
    """The warehouse after the same run without any fault."""
    run = run_zeikan(fault_server({}), prefect_api, tmp_path_factory.mktemp("reference"))
    assert run.result.returncode == 0, run.result.stderr
    return run.checksums


# --- faults a retry fixes ------------------------------------------------------------------------------

STATUS_FAULTS = {500: (WORLD_FILE, 1), 502: (EXPORTS_FILE, 2), 503: (IMPORTS_FILE, 3)}
CONNECTION_FAULTS = {"reset": WORLD_FILE, "stall": EXPORTS_FILE, "cut": IMPORTS_FILE}
CONNECTION_FAULT_NAMES = {
    "reset": "connection reset (TCP RST) then success",
    "stall": "read timeout (no answer for 2 s, timeout 0.5 s) then success",
    "cut": "body cut short of its Content-Length then success",
}


@pytest.fixture(scope="module")
def status_run(prefect_api: str, fault_server, tmp_path_factory) -> Run:
    """One run in which each d-file first gets a different 5xx: 500 once, 502 twice, 503 three times."""
    script = {f"/{name}": Fault("status", times, status) for status, (name, times) in STATUS_FAULTS.items()}
    return run_zeikan(fault_server(script), prefect_api, tmp_path_factory.mktemp("status"))


@pytest.fixture(scope="module")
def connection_run(prefect_api: str, fault_server, tmp_path_factory) -> Run:
    """One run in which each d-file's first request fails differently: a reset, a stall, a cut body."""
    script = {f"/{name}": Fault(kind) for kind, name in CONNECTION_FAULTS.items()}
    return run_zeikan(
        fault_server(script), prefect_api, tmp_path_factory.mktemp("connection"), ZEIKAN_READ_TIMEOUT_S="0.5"
    )


@contextmanager
def recorded(name: str, **detail: object) -> Iterator[dict[str, object]]:
    """Record one fault once the checks in the block have run: the outcome the block put in the yielded
    dict, or `FAILED: ...` if a check did not hold (recorded before the test fails)."""
    result: dict[str, object] = {"outcome": "", "rows_lost": 0}
    try:
        yield result
    except BaseException as failure:
        first_line = (str(failure) or type(failure).__name__).splitlines()[0]
        record("network_fault", name, f"FAILED: {first_line}"[:300], **detail)
        raise
    record("network_fault", name, **result, **detail)


def recovered(result: dict[str, object], run: Run, reference: Checksums) -> None:
    """The run that met a fault loaded exactly what a run without one loads."""
    assert run.result.returncode == 0, run.result.stderr
    checksums = run.checksums
    result["rows_lost"], result["duplicates"] = lost_and_doubled(reference, checksums)
    assert counts(checksums) == counts(reference)
    assert marts(checksums) == marts(reference)
    assert (result["rows_lost"], result["duplicates"]) == (0, 0)


@pytest.mark.parametrize("status", list(STATUS_FAULTS))
def test_5xx_answered_n_times_is_retried_with_growing_delays_and_loads_everything(
    status: int, status_run: Run, reference: Checksums
) -> None:
    name, failures = STATUS_FAULTS[status]
    times = status_run.server.times_of(f"/{name}")
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    with recorded(
        f"HTTP {status} x{failures} then success",
        file=name,
        retry_gaps_s=[round(gap, 3) for gap in gaps],
        seconds=round(status_run.seconds, 1),
    ) as result:
        recovered(result, status_run, reference)
        assert len(times) == failures + 1
        assert all(gap >= delay for gap, delay in zip(gaps, RETRY_DELAYS, strict=False)), gaps
        result["outcome"] = (
            f"retried after {', '.join(f'{d:g} s' for d in RETRY_DELAYS[:failures])}: loaded all"
        )


@pytest.mark.parametrize("kind", list(CONNECTION_FAULTS))
def test_dropped_stalled_or_cut_connection_is_retried_and_loads_everything(
    kind: str, connection_run: Run, reference: Checksums
) -> None:
    name = CONNECTION_FAULTS[kind]
    with recorded(
        CONNECTION_FAULT_NAMES[kind], file=name, seconds=round(connection_run.seconds, 1)
    ) as result:
        recovered(result, connection_run, reference)
        assert connection_run.requests_for(name) == 2
        result["outcome"] = "retried once: loaded all"


# --- faults a retry does not fix -----------------------------------------------------------------------


def test_slow_drip_is_cut_off_at_the_deadline_retried_and_then_exits_1(
    prefect_api: str, fault_server, tmp_path: Path
) -> None:
    server = fault_server({f"/{WORLD_FILE}": Fault("drip", None)})
    name = f"slow drip (1 byte per {DRIP_INTERVAL_S} s, deadline 1 s)"
    with recorded(name, file=WORLD_FILE) as result:
        run = run_zeikan(server, prefect_api, tmp_path, ZEIKAN_DOWNLOAD_DEADLINE_S="1")
        result["seconds"] = round(run.seconds, 1)
        assert run.result.returncode == 1, run.result.stderr
        assert run.requests_for(WORLD_FILE) == 1 + RETRIES
        error = error_lines(run.result.stderr)
        assert f"{server.url}{WORLD_FILE}" in error and "1 s deadline" in error, error
        assert not run.warehouse.exists()
        result["outcome"] = f"exit 1 after {1 + RETRIES} attempts, naming the URL and the deadline"


def test_404_for_the_press_release_of_a_month_the_d_files_lack_exits_3(
    prefect_api: str, fault_server, tmp_path: Path
) -> None:
    press = [f"/press/202609{digit}e.xml" for digit in "1245"]
    server = fault_server({path: Fault("status", None, 404) for path in press})
    with recorded("404 for a press release not out yet, d-files without the month") as result:
        run = run_zeikan(server, prefect_api, tmp_path, period="2026-09")
        result["seconds"] = round(run.seconds, 1)
        assert run.result.returncode == 3, run.result.stderr
        assert "2026-09 is not published yet" in error_lines(run.result.stderr)
        asked = {path: len(server.times_of(path)) for path in press}
        assert asked == dict.fromkeys(press, 1)  # a 404 is an answer, not a fault: never retried
        assert not run.warehouse.exists()
        result["outcome"] = "exit 3 (not published yet), each 404 asked once"


def test_redirect_loop_exits_1_without_retrying(prefect_api: str, fault_server, tmp_path: Path) -> None:
    server = fault_server({f"/{WORLD_FILE}": Fault("redirect", None)})
    with recorded("redirect loop", file=WORLD_FILE) as result:
        run = run_zeikan(server, prefect_api, tmp_path)
        result["seconds"] = round(run.seconds, 1)
        assert run.result.returncode == 1, run.result.stderr
        error = error_lines(run.result.stderr)
        assert f"{server.url}{WORLD_FILE}: too many redirects" in error, error
        assert run.requests_for(WORLD_FILE) == 1 + 30  # requests' limit of 30 redirects, followed once
        assert not run.warehouse.exists()
        result["outcome"] = "exit 1 after one attempt (31 requests), not retried"


def test_retries_exhausted_exit_1_naming_the_last_fault(
    prefect_api: str, fault_server, tmp_path: Path
) -> None:
    server = fault_server({f"/{IMPORTS_FILE}": Fault("status", None, 503)})
    with recorded("HTTP 503 on every request (retries exhausted)", file=IMPORTS_FILE) as result:
        run = run_zeikan(server, prefect_api, tmp_path)
        result["seconds"] = round(run.seconds, 1)
        assert run.result.returncode == 1, run.result.stderr
        assert run.requests_for(IMPORTS_FILE) == 1 + RETRIES
        error = error_lines(run.result.stderr)
        assert f"{server.url}{IMPORTS_FILE}: HTTP 503 Service Unavailable" in error, error
        assert not run.warehouse.exists()
        result["outcome"] = f"exit 1 after {1 + RETRIES} attempts, naming the URL and HTTP 503"


def error_lines(stderr: str) -> str:
    """What the command itself printed after `error:` (Prefect's own log lines come before it)."""
    return stderr[stderr.rindex("error: ") :] if "error: " in stderr else stderr

"""Shared fixtures: the real MOF files, a Prefect API, a loopback HTTP server, temporary warehouses.

Prefect reads PREFECT_HOME when it is imported, so the environment is set here before anything imports it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from http.server import HTTPServer, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar

import pytest

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="zeikan-prefect-"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from zeikan.release import DFILES, RawFile
from zeikan.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def real_data_dir() -> Path:
    """ZEIKAN_MOF_DATA (default ../shared/data/mof), resolved against the repository root."""
    configured = Settings().mof_data
    return configured if configured.is_absolute() else (REPO / configured).resolve()


@pytest.fixture(scope="session")
def mof_data() -> Path:
    """The folder of real MOF files; tests that need it skip (with the reason) where it is absent."""
    folder = real_data_dir()
    if not all((folder / name).is_file() for name in DFILES):
        pytest.skip(f"real MOF files not found in {folder} (set ZEIKAN_MOF_DATA); .ci/run requires them")
    return folder


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """One temporary Prefect server for the whole session; yields its API URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield PREFECT_API_URL.value()


@dataclass
class LoopbackServer:
    """A real HTTP server on 127.0.0.1 serving a folder, recording each request's path and headers."""

    root: Path
    url: str = ""
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str, every_s: float = 0.2) -> None:
    """Poll `condition` every `every_s` until it holds; fail naming `what` once `timeout_s` has passed."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every_s)
    raise AssertionError(f"not within {timeout_s} s: {what}")


S = TypeVar("S", bound=HTTPServer)


@contextmanager
def background_servers(poll_interval_s: float = 0.5) -> Iterator[Callable[[S], S]]:
    """`start(server)` serves `server` from a daemon thread; every server started stops on leaving."""
    started: list[HTTPServer] = []

    def start(server: S) -> S:
        thread = threading.Thread(target=server.serve_forever, args=(poll_interval_s,), daemon=True)
        thread.start()
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="session")
def http_server() -> Iterator[Callable[[Path], LoopbackServer]]:
    """`serve(folder)` starts a loopback HTTP server for `folder` and returns it; all stop at teardown."""
    with background_servers() as start:
        yield partial(serve_folder, start)


def serve_folder(start: Callable[[HTTPServer], HTTPServer], folder: Path) -> LoopbackServer:
    """A loopback HTTP server for `folder`, started by `start`, recording each request."""
    record = LoopbackServer(folder)

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            record.requests.append((self.path, dict(self.headers.items())))
            super().do_GET()

        def log_message(self, *args: object) -> None:
            pass

    server = start(ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(folder))))
    record.url = f"http://127.0.0.1:{server.server_address[1]}/"
    return record


def raw_file(name: str, content: bytes) -> RawFile:
    """A `RawFile` for bytes that never went through a download (parser and validation tests)."""
    return RawFile(
        name,
        url="file:///x",
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        fetched_at=datetime.now(UTC),
        archive_path=Path("x"),
        content=content,
    )


def copy_source(real: Path, target: Path, edits: dict[str, list[tuple[bytes, bytes]]] | None = None) -> Path:
    """Copy the real d-files to `target`, applying byte replacements {file: [(old, new), ...]}.

    Each replacement must hit, so an edit that silently does nothing fails the test that relies on it.
    """
    target.mkdir(parents=True, exist_ok=True)
    for name in DFILES:
        content = (real / name).read_bytes()
        for old, new in (edits or {}).get(name, []):
            assert old in content, f"edit {old!r} not found in {name}"
            content = content.replace(old, new, 1)
        (target / name).write_bytes(content)
    return target


@pytest.fixture
def source_copy(mof_data: Path, tmp_path: Path) -> Callable[..., Path]:
    """`source_copy(edits)` → a folder holding edited copies of the real d-files."""
    counter = iter(range(1000))
    return lambda edits=None: copy_source(mof_data, tmp_path / f"source{next(counter)}", edits)


def run_cli(
    args: list[str], api_url: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed `zeikan` command as a separate process against the session's Prefect API,
    with `env` added to its environment (settings for that one process)."""
    env = {**os.environ, "PREFECT_API_URL": api_url, **(env or {})}
    command = shutil.which("zeikan") or str(Path(sys.executable).with_name("zeikan"))
    return subprocess.run([command, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)

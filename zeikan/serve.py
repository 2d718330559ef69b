"""A local Prefect server and process worker for zeikan: what `zeikan serve` runs and the tests start.

The server listens on 127.0.0.1 unless told otherwise; exposing it on another address requires Prefect's
basic auth (PREFECT_SERVER_API_AUTH_STRING), so an open UI never ends up on a network by accident.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from zeikan.errors import ZeikanError

LOOPBACK = "127.0.0.1"
AUTH_SETTING = "PREFECT_SERVER_API_AUTH_STRING"


class ServeError(ZeikanError):
    """The local server or worker could not be started as asked (exit 2: change the options)."""

    exit_code = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def prefect_command() -> str:
    """The `prefect` executable of this environment."""
    return str(Path(sys.executable).with_name("prefect"))


@dataclass
class LocalPrefect:
    """A Prefect server and a process worker as child processes, stopped together."""

    home: Path
    host: str = LOOPBACK
    port: int = 4200
    fast_polling: bool = False
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        host = LOOPBACK if self.host in ("0.0.0.0", "::") else self.host  # noqa: S104 - comparing, not binding
        return f"http://{host}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/api")

    def environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_API_HOST": self.host,
            "PREFECT_SERVER_API_PORT": str(self.port),
            "PREFECT_LOGGING_LEVEL": "INFO",  # flow runs log to the UI, whatever the caller's level
        }
        if self.fast_polling:
            env |= {"PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
        if os.environ.get(AUTH_SETTING):
            env["PREFECT_API_AUTH_STRING"] = os.environ[AUTH_SETTING]
        return env

    def start_server(self, timeout_s: float = 90) -> str:
        """Start `prefect server start` and wait until /api/health answers; returns the API URL."""
        if self.host != LOOPBACK and not os.environ.get(AUTH_SETTING):
            raise ServeError(
                f"refusing to serve on {self.host}: set {AUTH_SETTING}=user:password to require basic auth "
                "before exposing the Prefect server beyond this machine"
            )
        self.home.mkdir(parents=True, exist_ok=True)
        self._spawn(
            [prefect_command(), "server", "start", "--host", self.host, "--port", str(self.port)],
            self.home / "server.log",
        )
        deadline = time.monotonic() + timeout_s
        auth = tuple(os.environ[AUTH_SETTING].split(":", 1)) if os.environ.get(AUTH_SETTING) else None
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.api_url}/health", timeout=2, auth=auth).ok:
                    return self.api_url
            except requests.ConnectionError:
                pass
            if self.processes[-1].poll() is not None:
                raise ServeError(f"prefect server exited; see {self.home / 'server.log'}")
            time.sleep(0.5)
        raise ServeError(
            f"prefect server did not answer within {timeout_s:.0f} s; see {self.home / 'server.log'}"
        )

    def start_worker(self, pool: str) -> None:
        """Start a process worker polling `pool`."""
        self._spawn(
            [prefect_command(), "worker", "start", "--pool", pool, "--type", "process"],
            self.home / "worker.log",
        )

    def _spawn(self, command: list[str], log: Path) -> None:
        with log.open("ab") as out:
            self.processes.append(
                subprocess.Popen(  # noqa: S603 - our own prefect executable, arguments from code
                    command,
                    env=self.environment(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def stop(self) -> None:
        """Stop the worker, then the server (each with its children)."""
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()

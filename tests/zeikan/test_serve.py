"""`zeikan serve`: a local Prefect server, a process worker and the deployments, as a newcomer starts them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import wait_until
from zeikan.serve import free_port

pytestmark = pytest.mark.real_data
ZEIKAN = shutil.which("zeikan") or str(Path(sys.executable).with_name("zeikan"))


def start_serve(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    environment |= {"PREFECT_HOME": str(tmp_path / "client-home")} | (env or {})
    return subprocess.Popen(
        [ZEIKAN, "serve", "--home", str(tmp_path / "prefect"), *args],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def deployment_names(api: str, auth: tuple[str, str] | None = None) -> set[str]:
    try:
        answer = requests.post(f"{api}/deployments/filter", json={}, timeout=5, auth=auth)
    except requests.ConnectionError:
        return set()
    return {d["name"] for d in answer.json()} if answer.ok else set()


def stop(process: subprocess.Popen[str]) -> str:
    os.killpg(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    return output


def test_serve_brings_up_server_worker_and_deployments_and_stops_on_ctrl_c(tmp_path, mof_data):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    process = start_serve(
        ["--port", str(port), "--source", str(mof_data), "--warehouse", str(tmp_path / "w.duckdb")], tmp_path
    )
    try:
        wait_until(
            lambda: deployment_names(api) >= {"monthly-release", "backfill", "release"},
            120,
            "the three deployments are registered",
        )
        pools = requests.post(f"{api}/work_pools/filter", json={}, timeout=5).json()
        assert [p["name"] for p in pools if p["type"] == "process"] == ["zeikan-process"]

        def workers() -> list:
            return requests.post(f"{api}/work_pools/zeikan-process/workers/filter", json={}, timeout=5).json()

        wait_until(lambda: len(workers()) == 1, 60, "a process worker polls the pool")
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert f"http://127.0.0.1:{port}" in output
    wait_until(lambda: not deployment_names(api), 30, "the server stopped with the command")


def test_serve_refuses_to_expose_the_server_without_auth(tmp_path):
    process = start_serve(
        ["--host", "0.0.0.0", "--port", str(free_port())],
        tmp_path,
        env={"PREFECT_SERVER_API_AUTH_STRING": ""},
    )
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "PREFECT_SERVER_API_AUTH_STRING" in output


def test_with_auth_an_unauthenticated_request_is_refused(tmp_path, mof_data):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    credentials = ("zeikan", "s3cret-for-this-test")
    process = start_serve(
        [
            "--host",
            "0.0.0.0",
            "--port",
            str(port),
            "--source",
            str(mof_data),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
        ],
        tmp_path,
        env={"PREFECT_SERVER_API_AUTH_STRING": ":".join(credentials)},
    )
    try:
        wait_until(
            lambda: "backfill" in deployment_names(api, credentials), 120, "the deployments are registered"
        )
        refused = requests.post(f"{api}/deployments/filter", json={}, timeout=5)
        assert refused.status_code == 401
        assert (
            requests.post(
                f"{api}/deployments/filter", json={}, timeout=5, auth=("zeikan", "wrong")
            ).status_code
            == 401
        )
    finally:
        output = stop(process)
    assert credentials[1] not in output  # the secret never reaches the console

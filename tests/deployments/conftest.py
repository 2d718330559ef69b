"""A real Prefect server and process worker on 127.0.0.1, with the project's deployments registered.

Started once for the deployment tests (about 15 s), through the same `LocalPrefect` that `zeikan serve`
uses; the in-process client is pointed at it for the duration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.deploy import WORK_POOL, register
from zeikan.serve import LocalPrefect, free_port
from zeikan.settings import Settings


@dataclass(frozen=True)
class Operated:
    """The running server, where its flow runs write, and the registered deployments."""

    api_url: str
    ui_url: str
    settings: Settings
    deployments: dict[str, UUID]
    home: Path


@pytest.fixture(scope="session")
def operated(mof_data, tmp_path_factory) -> Iterator[Operated]:
    home = tmp_path_factory.mktemp("prefect-server")
    local = LocalPrefect(home=home, port=free_port(), fast_polling=True)
    try:
        api_url = local.start_server()
        work = tmp_path_factory.mktemp("operated")
        settings = Settings(
            source=str(mof_data),
            warehouse=work / "zeikan.duckdb",
            publish_dir=work / "publish",
            raw_dir=work / "raw",
        )
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            deployments = register(settings)
            local.start_worker(WORK_POOL)
            yield Operated(api_url, local.ui_url, settings, deployments, home)
    finally:
        local.stop()


@pytest.fixture
def on_server(operated) -> Iterator[Operated]:
    """Point this test's Prefect client at the real server."""
    with temporary_settings(updates={PREFECT_API_URL: operated.api_url}):
        yield operated

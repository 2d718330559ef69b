"""The project's Prefect deployments, registered against a running Prefect server.

Written in Python (flow.from_source(...).deploy) rather than prefect.yaml because registering them
takes more than deployments: the process work pool and the global one-writer concurrency limit must
exist too, the schedule is a typed `Cron` with a stable slug, and the worker's environment (where the
warehouse and the source are) comes from the same `Settings` the command line uses. One idempotent
function does all of it, `zeikan serve` calls it, and the tests call it against a real server.

    python -m deployments.deploy            # against PREFECT_API_URL
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.exceptions import ObjectAlreadyExists
from prefect.schedules import Cron, Schedule

from zeikan.settings import Settings
from zeikan.single_writer import ensure_writer_limit

REPO = Path(__file__).resolve().parent.parent
WORK_POOL = "zeikan-process"

# 08:50 JST on weekdays in the second half of the month, when MOF's monthly releases fall; a tick
# that finds nothing new does nothing, and the flow itself keeps trying for three hours.
RELEASE_WINDOW = Cron("50 8 15-31 * 1-5", timezone="Asia/Tokyo", day_or=False, slug="tokyo-release-window")
ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment of one flow in `flows/`."""

    name: str
    entrypoint: str
    description: str
    schedules: list[Schedule] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)


DEPLOYMENTS = (
    DeploymentSpec(
        name="monthly-release",
        entrypoint="flows/scheduled_release.py:scheduled_release",
        description="Loads the month MOF's release calendar says is out, at 08:50 JST in the release window; "
        "keeps trying for up to three hours and ends NotPublished or AwaitingDFiles rather than failing.",
        schedules=[RELEASE_WINDOW],
        parameters={"wait_minutes": 180, "poll_minutes": 10},
    ),
    DeploymentSpec(
        name="backfill",
        entrypoint="flows/backfill.py:backfill",
        description="Loads and publishes a range of months; resumable, safe to repeat.",
    ),
    DeploymentSpec(
        name="release",
        entrypoint="flows/monthly_release.py:monthly_release",
        description="Loads one month's release by hand, like `zeikan run`; fails 'not published yet' "
        "while MOF lacks it.",
    ),
)


def worker_environment(settings: Settings) -> dict[str, str]:
    """Where flow runs find the source and write the warehouse: absolute paths, fixed at registration."""
    env = {
        "ZEIKAN_SOURCE": settings.source,
        "ZEIKAN_WAREHOUSE": str(settings.warehouse.resolve()),
        "ZEIKAN_PUBLISH_DIR": str(settings.publish_dir.resolve()),
    }
    if settings.raw_dir is not None:
        env["ZEIKAN_RAW_DIR"] = str(settings.raw_dir.resolve())
    return env


def ensure_work_pool(name: str = WORK_POOL) -> None:
    with get_client(sync_client=True) as client, suppress(ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name=name, type="process"))


def register(settings: Settings, work_pool: str = WORK_POOL, source_dir: Path = REPO) -> dict[str, UUID]:
    """Create or update every deployment (and its work pool and writer limit); returns their ids by name."""
    ensure_work_pool(work_pool)
    ensure_writer_limit()
    env = worker_environment(settings)
    registered = {}
    for spec in DEPLOYMENTS:
        flow = Flow.from_source(source=str(source_dir), entrypoint=spec.entrypoint)
        registered[spec.name] = flow.deploy(
            name=spec.name,
            work_pool_name=work_pool,
            schedules=spec.schedules,
            concurrency_limit=ONE_AT_A_TIME,
            parameters=spec.parameters,
            description=spec.description,
            job_variables={"env": env},
            enforce_parameter_schema=True,
            build=False,
            push=False,
            print_next_steps=False,
            ignore_warnings=True,
        )
    return registered


if __name__ == "__main__":
    for name, deployment_id in register(Settings()).items():
        print(f"{name}: {deployment_id}")

"""One writer at a time, across every deployment and ad-hoc run that talks to the same Prefect server.

A DuckDB file takes one writer; a second would fail on the file lock. Prefect's deployment concurrency
limits only queue runs of the *same* deployment, so a backfill and the scheduled release could still
collide. A global concurrency limit with one slot, held around each warehouse write, serialises them
all: the second run waits for the slot, then finds nothing new to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.exceptions import MissingContextError, ObjectAlreadyExists, ObjectNotFound
from prefect.logging import get_run_logger

WRITER_LIMIT = "zeikan-warehouse-writer"
# The slot is leased, and the holder renews the lease while it runs. A run killed while holding it (kill -9,
# out of memory, a lost machine) cannot give it back; the server takes it back once the lease expires.
# Prefect's shortest lease, one minute, keeps that wait short; the DuckDB file lock still guards the file.
WRITER_LEASE_S = 60.0


def ensure_writer_limit() -> bool:
    """Create the one-slot limit on the Prefect server if it is not there yet (idempotent); returns
    whether another run holds the slot right now."""
    with get_client(sync_client=True) as client:
        try:
            limit = client.read_global_concurrency_limit_by_name(WRITER_LIMIT)
        except ObjectNotFound:
            with suppress(ObjectAlreadyExists):  # another run created it a moment ago
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=WRITER_LIMIT, limit=1)
                )
            return False
        return limit.active_slots >= limit.limit


@contextmanager
def single_writer(wait_s: float | None = None) -> Iterator[None]:
    """Hold the warehouse's writer slot (waiting up to `wait_s`, or as long as it takes)."""
    if ensure_writer_limit():
        with suppress(MissingContextError):
            get_run_logger().warning(
                "waiting for the warehouse writer slot (%s): another run is writing", WRITER_LIMIT
            )
    with concurrency(
        WRITER_LIMIT, occupy=1, strict=True, timeout_seconds=wait_s, lease_duration=WRITER_LEASE_S
    ):
        yield

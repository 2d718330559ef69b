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
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

WRITER_LIMIT = "zeikan-warehouse-writer"


def ensure_writer_limit() -> None:
    """Create the one-slot limit on the Prefect server if it is not there yet (idempotent)."""
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(WRITER_LIMIT)
        except ObjectNotFound:
            with suppress(ObjectAlreadyExists):  # another run created it a moment ago
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=WRITER_LIMIT, limit=1)
                )


@contextmanager
def single_writer(wait_s: float | None = None) -> Iterator[None]:
    """Hold the warehouse's writer slot (waiting up to `wait_s`, or as long as it takes)."""
    ensure_writer_limit()
    with concurrency(WRITER_LIMIT, occupy=1, strict=True, timeout_seconds=wait_s):
        yield

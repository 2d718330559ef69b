"""Progress of long runs, shown where the person running them looks.

In Prefect, a progress artifact on the flow run; in a terminal, a progress bar on stderr.
"""

from __future__ import annotations

import sys
from types import TracebackType

from prefect.artifacts import create_progress_artifact, update_progress_artifact
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class RunProgress:
    """`with RunProgress(total, key) as progress: progress.advance(n, "2026-05")`."""

    def __init__(self, total: int, key: str, description: str) -> None:
        self.total, self.done = max(total, 1), 0
        self.key, self.description = key, description
        self._bar: Progress | None = None

    def __enter__(self) -> RunProgress:
        self._artifact = create_progress_artifact(progress=0.0, key=self.key, description=self.description)
        if sys.stderr.isatty():
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def advance(self, steps: int, label: str) -> None:
        self.done += steps
        update_progress_artifact(
            self._artifact,
            progress=100.0 * self.done / self.total,
            description=f"{self.description}: {label}",
        )
        if self._bar is not None:
            self._bar.update(self._task, advance=steps, description=f"{self.description} {label}")

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if error is None and self.done < self.total:  # months with nothing to publish finish at once
            update_progress_artifact(self._artifact, progress=100.0, description=f"{self.description}: done")
        if self._bar is not None:
            self._bar.stop()

"""Quarantine: keep the raw files of a refused release side by side, with every problem in words.

The archive (`raw/<sha256>`) already keeps every body by content, but an operator looking at a refused run
needs that run's files under their own names next to what was wrong with them. Each refusal gets one
folder, `<UTC time>-<reason>`, under `Settings.quarantine` (default `quarantine/` beside the warehouse).
The folder is written under a temporary name and renamed into place, so a half-written one is never seen.
File names come from code only (our d-file names and the press-release names we asked for), never from
a server, so nothing written here can land outside the folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError

from zeikan.errors import BadInput
from zeikan.release import DFILES, RawFile

PROBLEMS_FILE = "problems.txt"
PRESS_FILE_NAME = re.compile(r"[0-9]{6}[1245]e\.xml")
STAMP = "%Y%m%dT%H%M%S.%fZ"


def own_name(name: str) -> bool:
    """Whether `name` is one of the names zeikan itself asks for (a d-file or `YYYYMMne.xml`)."""
    return name in DFILES or PRESS_FILE_NAME.fullmatch(name) is not None


def kept_name(raw: RawFile) -> str:
    """The file's name in the quarantine folder: its own name, or its sha256 if the name is not ours."""
    return raw.name if own_name(raw.name) else f"unnamed-{raw.sha256[:16]}.bin"


def folder_name(error: BadInput, at: datetime) -> str:
    """`20261125T083015.123456Z-validation-failed-d51ma`: sorts by time and says why at a glance."""
    offending = next((p.file for p in error.problems if own_name(p.file)), "")
    reason = "-".join(part for part in (error.headline, offending.split(".")[0]) if part)
    return f"{at.astimezone(UTC).strftime(STAMP)}-{re.sub(r'[^a-z0-9]+', '-', reason.lower()).strip('-')}"


def problems_text(files: list[RawFile], error: BadInput, at: datetime) -> str:
    """What `problems.txt` says: the error, every problem (none left out), and each file as received."""
    lines = [
        f"{error.headline}: {len(error.problems)} problem(s)",
        f"quarantined at {at.astimezone(UTC).isoformat()}",
        "",
        "problems:",
        *(f"  - {problem}" for problem in error.problems),
        "",
        "files kept here (exactly as received):",
    ]
    lines += [
        f"  {kept_name(raw)}: {raw.size:,} bytes, sha256 {raw.sha256}, from {raw.url}, "
        f"fetched {raw.fetched_at.astimezone(UTC).isoformat()}"
        for raw in files
    ] or ["  (none)"]
    kept = {raw.name for raw in files}
    missing = sorted({p.file for p in error.problems if p.file not in kept and own_name(p.file)})
    if missing:
        lines += ["", "not kept (refused before it was read whole):", *(f"  {name}" for name in missing)]
    return "\n".join(lines) + "\n"


def quarantine(files: list[RawFile], error: BadInput, root: Path, at: datetime | None = None) -> Path:
    """Copy `files` byte for byte into a new folder under `root` with a `problems.txt`; returns the folder."""
    at = at or datetime.now(UTC)
    root = root.resolve()  # the message names the folder: a full path is one an operator can open
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".incoming-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        for raw in files:
            _write(staging / kept_name(raw), raw.content)
        _write(staging / PROBLEMS_FILE, problems_text(files, error, at).encode("utf-8"))
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    base = folder_name(error, at)
    for attempt in range(1, 1000):
        target = root / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            staging.rename(target)
        except OSError:  # a folder of that name exists (two refusals in the same microsecond)
            if not target.exists():
                raise
            continue
        return target
    raise FileExistsError(f"no free quarantine folder name for {base} in {root}")


def _write(path: Path, content: bytes) -> None:
    with path.open("xb") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())


@task(name="quarantine-release", cache_policy=NO_CACHE, persist_result=False)
def quarantine_release(files: list[RawFile], error: BadInput, root: Path) -> Path | None:
    """Returns the quarantine folder of the refused `files` (None if it could not be written).

    The folder is also noted on `error`, so the message the user sees says where to look. Failing to write
    it must not hide the refusal itself: the raw files are in the archive anyway, so that is a warning.
    """
    try:
        folder = quarantine(files, error, root)
    except OSError as exc:
        _warn(f"could not quarantine {', '.join(f.name for f in files) or 'the refused files'}: {exc}")
        return None
    error.quarantined = folder
    return folder


def _warn(message: str) -> None:
    with contextlib.suppress(MissingContextError):  # called as a plain function outside a run
        get_run_logger().warning(message)

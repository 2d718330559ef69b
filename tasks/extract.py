"""Extract: fetch a release's files from wherever the source lives, and keep them exactly as received.

Every source (MOF over https, a test server on 127.0.0.1, a `file://` URL, a plain directory) goes through
`requests`, so timeouts, the size cap and the User-Agent apply the same everywhere. Each body is archived
under its sha256 before anything parses it: whatever happens next, the raw file is kept.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import ParamSpec, TypeVar
from urllib.parse import urljoin

import requests
import urllib3
from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.states import State
from requests_file import FileAdapter

from zeikan.errors import Problem, SourceFormatError, SourceNotFound, SourceUnavailable, TransientSourceError
from zeikan.redact import redact_text, redact_url
from zeikan.release import PRESS_STAGE_OF_DIGIT, RawFile, press_file_name
from zeikan.settings import Settings

TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
NOT_FOUND_STATUS = frozenset({404, 410})
CHUNK_BYTES = 64 * 1024
P = ParamSpec("P")
R = TypeVar("R")


def file_url(source: str, name: str) -> str:
    """The URL of `name` under a source root given as a URL or a directory."""
    if "://" in source:
        return urljoin(source if source.endswith("/") else source + "/", name)
    return (Path(source).expanduser().resolve() / name).as_uri()


def open_session(settings: Settings) -> requests.Session:
    """A session that speaks http(s) and file:// and introduces itself like a browser."""
    session = requests.Session()
    session.mount("file://", FileAdapter())
    session.headers["User-Agent"] = settings.user_agent
    return session


def archive(content: bytes, raw_dir: Path) -> tuple[str, Path]:
    """Store `content` under its sha256 (atomically, once) and return (sha256, path)."""
    digest = hashlib.sha256(content).hexdigest()
    path = raw_dir / digest[:2] / digest
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(content)
            tmp.flush()
            os.fsync(tmp.fileno())
        Path(tmp.name).replace(path)
    return digest, path


def read_body(response: requests.Response, url: str, name: str, settings: Settings, deadline: float) -> bytes:
    """The body as it arrives, refusing more than the size cap and giving up at the deadline.

    `read1` returns whatever has arrived, so the deadline is checked as each piece comes in. A plain read
    waits for a whole chunk, and a server that drips a byte a second never trips the read timeout.
    """
    cap = settings.max_download_bytes
    raw = response.raw
    read = partial(raw.read1, decode_content=True) if isinstance(raw, urllib3.HTTPResponse) else raw.read1
    chunks, size = [], 0
    while chunk := read(CHUNK_BYTES):
        size += len(chunk)
        if size > cap:
            raise SourceFormatError([Problem(name, f"download larger than the {cap:,}-byte cap")])
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise TransientSourceError(
                f"{url}: download not finished within its {settings.download_deadline_s:g} s deadline "
                f"(ZEIKAN_DOWNLOAD_DEADLINE_S; {size:,} bytes received)"
            )
    return b"".join(chunks)


def download(url: str, name: str, settings: Settings) -> RawFile:
    """Fetch one file, refusing anything over the size cap or slower than the deadline, and archive it."""
    cap = settings.max_download_bytes
    shown = redact_url(url)  # what messages and records say: no credentials, no query values
    deadline = time.monotonic() + settings.download_deadline_s
    try:
        with (
            open_session(settings) as session,
            session.get(
                url, stream=True, timeout=(settings.connect_timeout_s, settings.read_timeout_s)
            ) as response,
        ):
            if response.status_code in TRANSIENT_STATUS:
                raise TransientSourceError(f"{shown}: HTTP {response.status_code} {response.reason}")
            if response.status_code in NOT_FOUND_STATUS:
                raise SourceNotFound(f"{shown}: HTTP {response.status_code} {response.reason}")
            if response.status_code != 200:
                raise SourceUnavailable(f"{shown}: HTTP {response.status_code} {response.reason}")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > cap:
                raise SourceFormatError(
                    [
                        Problem(
                            name,
                            f"download larger than the {cap:,}-byte cap",
                            value=f"{int(declared):,} bytes",
                        )
                    ]
                )
            content = read_body(response, shown, name, settings, deadline)
    except (
        requests.ConnectionError,
        requests.Timeout,
        requests.exceptions.ChunkedEncodingError,
        urllib3.exceptions.HTTPError,  # raised by read_body's reads: a cut, reset or timed-out body
    ) as exc:
        raise TransientSourceError(f"{shown}: {type(exc).__name__}: {redact_text(str(exc))}") from exc
    except requests.TooManyRedirects as exc:
        raise SourceUnavailable(f"{shown}: too many redirects") from exc
    except OSError as exc:  # file:// sources: a missing file or a directory without it
        raise SourceUnavailable(f"{shown}: {redact_text(str(exc.strerror or exc))}") from exc
    except ValueError as exc:  # a URL requests cannot use (e.g. file://host/...)
        raise SourceUnavailable(f"{shown}: {redact_text(str(exc))}") from exc
    digest, path = archive(content, settings.raw_archive)
    return RawFile(
        name=name,
        url=shown,
        sha256=digest,
        size=len(content),
        fetched_at=datetime.now(UTC),
        archive_path=path,
        content=content,
    )


def is_transient(task: Task, task_run: TaskRun, state: State) -> bool:
    """Retry only faults that waiting can fix; a bad file stays bad however often it is fetched."""
    return isinstance(state.data, TransientSourceError)


def fetching(name: str) -> Callable[[Callable[P, R]], Task[P, R]]:
    """How a download task is declared: retried only on transient faults, as often and as late as
    `Settings` says by default, and never cached (each run must ask the server again)."""
    fields = Settings.model_fields
    return task(
        name=name,
        retries=fields["fetch_retries"].get_default(),
        retry_delay_seconds=fields["fetch_retry_delays_s"].get_default(call_default_factory=True),
        retry_condition_fn=is_transient,
        cache_policy=NO_CACHE,
        persist_result=False,
    )


def retrying(fetch: Task[P, R], settings: Settings) -> Task[P, R]:
    """`fetch` with the run's retries (ZEIKAN_FETCH_RETRIES, ZEIKAN_FETCH_RETRY_DELAYS_S)."""
    return fetch.with_options(
        retries=settings.fetch_retries, retry_delay_seconds=settings.fetch_retry_delays_s
    )


@fetching("fetch-file")
def fetch_file(source: str, name: str, settings: Settings) -> RawFile:
    """Returns the file `name` under `source`, archived by sha256."""
    return download(file_url(source, name), name, settings)


def press_release_files(settings: Settings, months: list[date], stages: tuple[str, ...]) -> list[RawFile]:
    """The press releases of `months` that the source has published (a 404 means not yet), oldest first."""
    found = []
    for period in sorted(set(months)):
        for stage in stages:
            name = press_file_name(period, stage)
            try:
                found.append(download(settings.press_url(name, period.year), name, settings))
            except SourceNotFound:
                continue
    return found


@fetching("fetch-press-releases")
def fetch_press_releases(
    settings: Settings, months: list[date], stages: tuple[str, ...] = tuple(PRESS_STAGE_OF_DIGIT.values())
) -> list[RawFile]:
    """Returns the press releases published for `months` (one task for all: a backfill stays cheap)."""
    return press_release_files(settings, months, stages)

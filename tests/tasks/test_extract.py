"""Extract against real servers on 127.0.0.1: archiving by sha256, sources of every kind, the size cap, and
which faults the Prefect task retries (transient ones) and which it gives up on at once (permanent ones).

Faults are scripted by small `BaseHTTPRequestHandler` subclasses served by a `ThreadingHTTPServer` per test;
nothing is mocked. Tests that need the real MOF files are marked `real_data`; the fault tests use synthetic
bytes so they run everywhere.
"""

from __future__ import annotations

import hashlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from prefect import flow
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from tasks.extract import archive, download, fetch_file, file_url
from tests.conftest import background_servers
from zeikan.errors import SourceFormatError, SourceUnavailable, TransientSourceError
from zeikan.release import WORLD_FILE, RawFile
from zeikan.settings import BROWSER_USER_AGENT, MOF_DFILES_URL, Settings

BODY = b"\x94N\x8c\x8e,\x97A\x8fo,\x97A\x93\xfc\r\n2026/08,1,2\r\n" * 50  # cp932 bytes, as MOF serves them
NAME = "d41ma.csv"


def make_settings(tmp_path: Path, source: str = MOF_DFILES_URL, **overrides: object) -> Settings:
    """Settings for one test: every field `download` reads is given, so the environment cannot leak in."""
    fields: dict[str, object] = {
        "source": source,
        "warehouse": tmp_path / "w.duckdb",
        "raw_dir": tmp_path / "raw",
        "user_agent": BROWSER_USER_AGENT,
        "connect_timeout_s": 5.0,
        "read_timeout_s": 0.5,
        "max_download_bytes": 20_000_000,
        "fetch_retries": 3,
        "fetch_retry_delays_s": [0.0, 0.0, 0.0],
    }
    return Settings(**{**fields, **overrides})


def archived_files(raw_dir: Path) -> list[Path]:
    return sorted(p for p in raw_dir.rglob("*") if p.is_file()) if raw_dir.exists() else []


# --- scripted servers -------------------------------------------------------------------------------------


class FaultServer(ThreadingHTTPServer):
    """A loopback server whose handler scripts a fault; it records the path of every request it receives."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], **script: object) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.script = script
        self.paths: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    @property
    def hits(self) -> int:
        with self.lock:
            return len(self.paths)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (timeout, cap) breaks the pipe: that is the point, not an error."""


class Scripted(BaseHTTPRequestHandler):
    server: FaultServer

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.paths.append(self.path)
            attempt = len(self.server.paths)
        self.respond(attempt)

    def respond(self, attempt: int) -> None:
        raise NotImplementedError

    def send_body(self, body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class FlakyHandler(Scripted):
    """Answers `status` for the first `failures` requests, then 200 with `body`."""

    def respond(self, attempt: int) -> None:
        if attempt <= self.server.script["failures"]:
            self.send_body(b"busy", status=self.server.script["status"], headers={"Retry-After": "0"})
        else:
            self.send_body(self.server.script["body"])


class StatusHandler(Scripted):
    """Always answers `status`."""

    def respond(self, attempt: int) -> None:
        self.send_body(b"no", status=self.server.script["status"])


class SlowHandler(Scripted):
    """Stalls for `delay` seconds before the headers, or after half the body."""

    def respond(self, attempt: int) -> None:
        delay, body = self.server.script["delay"], self.server.script["body"]
        if self.server.script["stage"] == "headers":
            time.sleep(delay)
            self.send_body(body)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        time.sleep(delay)
        self.wfile.write(body[len(body) // 2 :])


class ResetHandler(Scripted):
    """Reads the request and hangs up without a word: a FIN (`close`) or a TCP reset (`rst`)."""

    def respond(self, attempt: int) -> None:
        self.close_connection = True
        if self.server.script["how"] == "rst":
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.wfile.close()
            self.request.close()


class RedirectLoopHandler(Scripted):
    """Redirects every request to itself."""

    def respond(self, attempt: int) -> None:
        self.send_response(302)
        self.send_header("Location", self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()


class StreamHandler(Scripted):
    """Sends `size` bytes without a Content-Length: chunked, until close, or endlessly (chunked)."""

    protocol_version = "HTTP/1.1"

    def respond(self, attempt: int) -> None:
        framing, size = self.server.script["framing"], self.server.script["size"]
        self.send_response(200)
        if framing == "until-close":
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        block = b"x" * 8192
        sent = 0
        while framing == "endless" or sent < size:
            part = block if framing == "endless" else block[: size - sent]
            if framing == "until-close":
                self.wfile.write(part)
            else:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            sent += len(part)
            if sent > 200_000_000:  # a safety net: the client must have hung up long before this
                return
        if framing == "chunked":
            self.wfile.write(b"0\r\n\r\n")


class TruncatedHandler(Scripted):
    """Declares the whole body, sends half of it and hangs up."""

    def respond(self, attempt: int) -> None:
        body = self.server.script["body"]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.close_connection = True


@pytest.fixture
def fault_server() -> Iterator[Callable[..., FaultServer]]:
    """`fault_server(Handler, **script)` starts a scripted loopback server; all stop at teardown."""
    with background_servers(poll_interval_s=0.02) as start:
        yield lambda handler, **script: start(FaultServer(handler, **script))


@pytest.fixture(scope="module")
def served(mof_data: Path, http_server):
    return http_server(mof_data)


@pytest.fixture
def prefect_flows(prefect_api: str) -> Iterator[str]:
    """The session's Prefect API with flow heartbeats off (their thread costs each flow run a 1 s join)."""
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield prefect_api


@flow(name="fetch-one", validate_parameters=False)
def fetch_one(source: str, name: str, settings: Settings, retries: int, submit: bool = False) -> RawFile:
    """The task as flows/steps.py uses it: with_options for the retries, called directly or submitted."""
    fetch = fetch_file.with_options(retries=retries, retry_delay_seconds=0)
    if submit:
        return fetch.submit(source, name, settings).result()
    return fetch(source, name, settings)


# --- file_url ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://127.0.0.1:8000/data", "http://127.0.0.1:8000/data/d41ma.csv"),
        ("http://127.0.0.1:8000/data/", "http://127.0.0.1:8000/data/d41ma.csv"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/d41ma.csv"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/d41ma.csv"),
        (MOF_DFILES_URL, "https://www.customs.go.jp/toukei/suii/html/data/d41ma.csv"),
        (MOF_DFILES_URL.rstrip("/"), "https://www.customs.go.jp/toukei/suii/html/data/d41ma.csv"),
        ("file:///srv/mof", "file:///srv/mof/d41ma.csv"),
        ("file:///srv/mof/", "file:///srv/mof/d41ma.csv"),
    ],
)
def test_file_url_joins_url_bases_with_or_without_a_trailing_slash(base, expected):
    assert file_url(base, NAME) == expected


def test_file_url_turns_a_directory_into_an_absolute_file_url(tmp_path):
    expected = (tmp_path / NAME).as_uri()
    assert file_url(str(tmp_path), NAME) == expected
    assert file_url(str(tmp_path) + "/", NAME) == expected
    assert file_url(str(tmp_path / "sub" / ".."), NAME) == expected


# --- archive and real downloads ---------------------------------------------------------------------------


def test_archive_stores_content_once_under_its_sha256(tmp_path):
    raw = tmp_path / "raw"
    digest, path = archive(BODY, raw)
    assert digest == hashlib.sha256(BODY).hexdigest()
    assert path == raw / digest[:2] / digest
    assert path.read_bytes() == BODY
    inode = path.stat().st_ino
    assert archive(BODY, raw) == (digest, path)
    assert path.stat().st_ino == inode
    assert archived_files(raw) == [path]


@pytest.mark.real_data
def test_http_download_of_a_real_d_file_is_archived_by_sha256_once(served, mof_data, tmp_path):
    settings = make_settings(tmp_path, source=served.url)
    expected = (mof_data / WORLD_FILE).read_bytes()
    sha = hashlib.sha256(expected).hexdigest()

    raw = download(file_url(served.url, WORLD_FILE), WORLD_FILE, settings)

    assert raw.name == WORLD_FILE
    assert raw.url == served.url + WORLD_FILE
    assert raw.content == expected
    assert (raw.sha256, raw.size) == (sha, len(expected))
    assert raw.fetched_at.tzinfo is not None
    assert raw.fetched_at.utcoffset() == UTC.utcoffset(None)
    assert raw.archive_path == tmp_path / "raw" / sha[:2] / sha
    assert raw.archive_path.read_bytes() == expected
    before = raw.archive_path.stat()

    again = download(file_url(served.url, WORLD_FILE), WORLD_FILE, settings)

    assert again.archive_path == raw.archive_path
    assert again.sha256 == sha
    after = again.archive_path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert archived_files(tmp_path / "raw") == [raw.archive_path]


@pytest.mark.real_data
def test_request_carries_the_browser_user_agent_from_settings(served, tmp_path):
    settings = make_settings(tmp_path, source=served.url)
    assert Settings.model_fields["user_agent"].default == BROWSER_USER_AGENT
    assert BROWSER_USER_AGENT.startswith("Mozilla/5.0")

    seen = len(served.requests)
    download(file_url(served.url, WORLD_FILE), WORLD_FILE, settings)

    [(path, headers)] = served.requests[seen:]
    assert path == "/" + WORLD_FILE
    assert headers["User-Agent"] == settings.user_agent == BROWSER_USER_AGENT


def test_user_agent_follows_settings(fault_server, tmp_path):
    class EchoAgent(Scripted):
        def respond(self, attempt: int) -> None:
            self.send_body(self.headers["User-Agent"].encode())

    server = fault_server(EchoAgent)
    settings = make_settings(tmp_path, user_agent="zeikan-test/1.0 (+loopback)")
    assert download(file_url(server.url, NAME), NAME, settings).content == b"zeikan-test/1.0 (+loopback)"


@pytest.mark.real_data
def test_directory_file_url_and_http_sources_give_the_same_file(served, mof_data, tmp_path):
    sha = hashlib.sha256((mof_data / WORLD_FILE).read_bytes()).hexdigest()
    settings = make_settings(tmp_path)
    sources = [
        str(mof_data),
        str(mof_data) + "/",
        mof_data.as_uri(),
        mof_data.as_uri() + "/",
        served.url,
        served.url.rstrip("/"),
    ]
    fetched = [download(file_url(source, WORLD_FILE), WORLD_FILE, settings) for source in sources]

    assert {raw.sha256 for raw in fetched} == {sha}
    assert {raw.archive_path for raw in fetched} == {tmp_path / "raw" / sha[:2] / sha}
    assert fetched[0].url == (mof_data / WORLD_FILE).as_uri()
    assert len(archived_files(tmp_path / "raw")) == 1


@pytest.mark.real_data
def test_prefect_task_fetches_the_real_files_as_the_flow_does(prefect_flows, served, mof_data, tmp_path):
    settings = make_settings(tmp_path, source=served.url)
    raw = fetch_one(served.url, WORLD_FILE, settings, retries=0, submit=True)
    assert raw.content == (mof_data / WORLD_FILE).read_bytes()
    assert raw.archive_path.read_bytes() == raw.content


# --- missing files ----------------------------------------------------------------------------------------


def test_http_404_is_source_unavailable_naming_the_url(tmp_path, http_server):
    (tmp_path / "here").mkdir()
    server = http_server(tmp_path / "here")
    url = file_url(server.url, NAME)

    with pytest.raises(SourceUnavailable) as caught:
        download(url, NAME, make_settings(tmp_path))

    assert not isinstance(caught.value, TransientSourceError)
    assert caught.value.exit_code == 1
    assert url in str(caught.value)
    assert "404" in str(caught.value)
    assert archived_files(tmp_path / "raw") == []


@pytest.mark.parametrize("as_url", [False, True], ids=["directory", "file-url"])
def test_missing_file_in_a_local_source_is_source_unavailable(tmp_path, as_url):
    folder = tmp_path / "empty"
    folder.mkdir()
    url = file_url(folder.as_uri() if as_url else str(folder), NAME)

    with pytest.raises(SourceUnavailable) as caught:
        download(url, NAME, make_settings(tmp_path))

    assert not isinstance(caught.value, TransientSourceError)
    assert caught.value.exit_code == 1
    assert url in str(caught.value)


def test_missing_source_directory_is_source_unavailable(tmp_path):
    url = file_url(str(tmp_path / "no-such-folder"), NAME)
    with pytest.raises(SourceUnavailable):
        download(url, NAME, make_settings(tmp_path))


# --- the size cap -----------------------------------------------------------------------------------------


@pytest.mark.real_data
def test_declared_content_length_over_the_cap_is_refused(served, mof_data, tmp_path):
    size = (mof_data / WORLD_FILE).stat().st_size
    settings = make_settings(tmp_path, max_download_bytes=size - 1)

    with pytest.raises(SourceFormatError) as caught:
        download(file_url(served.url, WORLD_FILE), WORLD_FILE, settings)

    assert caught.value.exit_code == 2
    message = str(caught.value)
    assert f"{size - 1:,}-byte cap" in message
    assert f"{size:,} bytes" in message
    assert WORLD_FILE in message
    assert archived_files(tmp_path / "raw") == []


@pytest.mark.real_data
def test_a_file_exactly_at_the_cap_is_accepted(served, mof_data, tmp_path):
    size = (mof_data / WORLD_FILE).stat().st_size
    settings = make_settings(tmp_path, max_download_bytes=size)
    raw = download(file_url(served.url, WORLD_FILE), WORLD_FILE, settings)
    assert raw.size == size


def test_local_file_over_the_cap_is_refused(tmp_path):
    (tmp_path / NAME).write_bytes(BODY)
    settings = make_settings(tmp_path, max_download_bytes=len(BODY) - 1)
    with pytest.raises(SourceFormatError, match="cap"):
        download(file_url(str(tmp_path), NAME), NAME, settings)


@pytest.mark.parametrize("framing", ["chunked", "until-close", "endless"])
def test_body_without_content_length_over_the_cap_is_refused(fault_server, tmp_path, framing):
    cap = 100_000
    server = fault_server(StreamHandler, framing=framing, size=cap + 1)
    settings = make_settings(tmp_path, max_download_bytes=cap, read_timeout_s=5.0)

    with pytest.raises(SourceFormatError) as caught:
        download(file_url(server.url, NAME), NAME, settings)

    assert caught.value.exit_code == 2
    assert f"{cap:,}-byte cap" in str(caught.value)
    assert archived_files(tmp_path / "raw") == []


@pytest.mark.parametrize("framing", ["chunked", "until-close"])
def test_body_without_content_length_at_the_cap_is_accepted(fault_server, tmp_path, framing):
    cap = 100_000
    server = fault_server(StreamHandler, framing=framing, size=cap)
    raw = download(file_url(server.url, NAME), NAME, make_settings(tmp_path, max_download_bytes=cap))
    assert raw.size == cap
    assert raw.content == b"x" * cap


# --- transient and permanent faults -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
def test_transient_statuses_raise_transient_source_error(fault_server, tmp_path, status):
    server = fault_server(StatusHandler, status=status)
    url = file_url(server.url, NAME)
    with pytest.raises(TransientSourceError) as caught:
        download(url, NAME, make_settings(tmp_path))
    assert caught.value.exit_code == 1
    assert url in str(caught.value)
    assert str(status) in str(caught.value)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451])
def test_permanent_statuses_raise_source_unavailable_only(fault_server, tmp_path, status):
    server = fault_server(StatusHandler, status=status)
    with pytest.raises(SourceUnavailable) as caught:
        download(file_url(server.url, NAME), NAME, make_settings(tmp_path))
    assert not isinstance(caught.value, TransientSourceError)


@pytest.mark.parametrize(("status", "submit"), [(503, False), (503, True), (500, False), (502, False)])
def test_prefect_task_retries_transient_answers_until_the_file_comes(
    prefect_flows, fault_server, tmp_path, status, submit
):
    server = fault_server(FlakyHandler, status=status, failures=2, body=BODY)
    settings = make_settings(tmp_path, source=server.url)

    raw = fetch_one(server.url, NAME, settings, retries=3, submit=submit)

    assert server.hits == 3
    assert raw.content == BODY
    assert raw.sha256 == hashlib.sha256(BODY).hexdigest()
    assert archived_files(tmp_path / "raw") == [raw.archive_path]


def test_prefect_task_gives_up_when_retries_run_out(prefect_flows, fault_server, tmp_path):
    server = fault_server(FlakyHandler, status=503, failures=5, body=BODY)
    with pytest.raises(TransientSourceError, match="503"):
        fetch_one(server.url, NAME, make_settings(tmp_path), retries=2)
    assert server.hits == 3


def test_prefect_task_does_not_retry_a_404(prefect_flows, fault_server, tmp_path):
    server = fault_server(StatusHandler, status=404)
    with pytest.raises(SourceUnavailable) as caught:
        fetch_one(server.url, NAME, make_settings(tmp_path), retries=3)
    assert not isinstance(caught.value, TransientSourceError)
    assert server.hits == 1


def test_prefect_task_does_not_retry_a_file_over_the_cap(prefect_flows, fault_server, tmp_path):
    server = fault_server(FlakyHandler, status=200, failures=0, body=BODY)
    settings = make_settings(tmp_path, max_download_bytes=len(BODY) - 1)
    with pytest.raises(SourceFormatError):
        fetch_one(server.url, NAME, settings, retries=3)
    assert server.hits == 1


@pytest.mark.parametrize("stage", ["headers", "body"])
def test_read_timeout_is_transient(fault_server, tmp_path, stage):
    server = fault_server(SlowHandler, delay=2.0, stage=stage, body=BODY)
    settings = make_settings(tmp_path, read_timeout_s=0.5)

    started = time.monotonic()
    with pytest.raises(TransientSourceError) as caught:
        download(file_url(server.url, NAME), NAME, settings)

    assert time.monotonic() - started < 1.9  # gave up at the read timeout, not when the server finished
    assert server.url in str(caught.value)
    assert archived_files(tmp_path / "raw") == []


def test_read_timeout_with_retries_exhausted_fails_the_flow(prefect_flows, fault_server, tmp_path):
    server = fault_server(SlowHandler, delay=2.0, stage="headers", body=BODY)
    settings = make_settings(tmp_path, read_timeout_s=0.5)
    with pytest.raises(TransientSourceError):
        fetch_one(server.url, NAME, settings, retries=1)
    assert server.hits == 2


@pytest.mark.parametrize("how", ["close", "rst"])
def test_connection_dropped_without_an_answer_is_transient(fault_server, tmp_path, how):
    server = fault_server(ResetHandler, how=how)
    with pytest.raises(TransientSourceError) as caught:
        download(file_url(server.url, NAME), NAME, make_settings(tmp_path))
    assert "ConnectionError" in str(caught.value)


def test_connection_reset_is_retried_by_the_task(prefect_flows, fault_server, tmp_path):
    server = fault_server(ResetHandler, how="rst")
    with pytest.raises(TransientSourceError):
        fetch_one(server.url, NAME, make_settings(tmp_path), retries=2)
    assert server.hits == 3


def test_truncated_body_is_transient_and_not_archived(fault_server, tmp_path):
    server = fault_server(TruncatedHandler, body=BODY)
    with pytest.raises(TransientSourceError):
        download(file_url(server.url, NAME), NAME, make_settings(tmp_path))
    assert archived_files(tmp_path / "raw") == []


def test_redirect_loop_is_source_unavailable(fault_server, tmp_path):
    server = fault_server(RedirectLoopHandler)
    url = file_url(server.url, NAME)
    with pytest.raises(SourceUnavailable, match="redirects") as caught:
        download(url, NAME, make_settings(tmp_path))
    assert not isinstance(caught.value, TransientSourceError)
    assert url in str(caught.value)
    assert server.hits == requests.models.DEFAULT_REDIRECT_LIMIT + 1


def test_prefect_task_does_not_retry_a_redirect_loop(prefect_flows, fault_server, tmp_path):
    server = fault_server(RedirectLoopHandler)
    with pytest.raises(SourceUnavailable, match="redirects") as caught:
        fetch_one(server.url, NAME, make_settings(tmp_path), retries=3)
    assert not isinstance(caught.value, TransientSourceError)
    assert server.hits == requests.models.DEFAULT_REDIRECT_LIMIT + 1

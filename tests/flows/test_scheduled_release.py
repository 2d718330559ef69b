"""The scheduled flow on release day, with an injected clock and a loopback server that changes over time.

The server serves MOF's real files as they stood at moments of release day: d-files that still end at
April, the May press release once it is out, and d-files that catch up on a later request. Which version
a request gets depends on how many requests came before it, so the tests are deterministic.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from flows.scheduled_release import scheduled_release
from tests.conftest import run_cli
from zeikan.periods import TOKYO
from zeikan.release import DFILES
from zeikan.sample import cut_file

pytestmark = pytest.mark.real_data

BEFORE_RELEASE = datetime(2026, 6, 17, 8, 49, tzinfo=TOKYO)
AT_RELEASE = datetime(2026, 6, 17, 8, 50, tzinfo=TOKYO)
APRIL, MAY = date(2026, 4, 1), date(2026, 5, 1)
FAST = {"wait_minutes": 0.15, "poll_minutes": 0.002}  # 9 s: several tries, each about 1 s


class ReleaseDay:
    """A loopback server: each path serves its versions in turn (the last one sticks), 404 if it has none."""

    def __init__(self, files: dict[str, list[bytes]]) -> None:
        self.files, self.hits = files, defaultdict(int)
        day = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.lstrip("/")
                versions = day.files.get(path, [])
                count = day.hits[path]
                day.hits[path] += 1
                if not versions:
                    self.send_error(404)
                    return
                body = versions[min(count, len(versions) - 1)]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def dfiles_through(mof_data, last: date) -> dict[str, bytes]:
    """MOF's real d-files as they looked after the release of `last`."""
    return {name: cut_file((mof_data / name).read_bytes(), name, date(1979, 1, 1), last) for name in DFILES}


@pytest.fixture
def release_day(mof_data):
    days: list[ReleaseDay] = []

    def start(*, may_press: bool, dfiles: list[date]) -> ReleaseDay:
        versions = [dfiles_through(mof_data, last) for last in dfiles]
        files = {name: [v[name] for v in versions] for name in DFILES}
        names = ["2026044e.xml", "2026045e.xml"] + (["2026054e.xml"] if may_press else [])
        for name in names:
            files[f"press/{name}"] = [(mof_data / "press" / name).read_bytes()]
        days.append(ReleaseDay(files))
        return days[-1]

    yield start
    for day in days:
        day.close()


def query(path, sql, params=None):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_a_minute_before_release_the_schedule_loads_the_previous_month(prefect_api, release_day, tmp_path):
    day = release_day(may_press=True, dfiles=[APRIL])
    warehouse = tmp_path / "w.duckdb"
    state = scheduled_release(
        now=BEFORE_RELEASE, source=day.url, warehouse=str(warehouse), return_state=True, **FAST
    )
    assert state.is_completed() and state.name == "Completed"
    outcome = state.result()
    assert outcome.periods == [APRIL] and outcome.dfiles_through == APRIL
    assert day.hits["d41ma.csv"] == 1  # nothing to wait for


def test_nothing_out_at_release_time_ends_not_published_after_retrying(prefect_api, release_day, tmp_path):
    day = release_day(may_press=False, dfiles=[APRIL])
    warehouse = tmp_path / "w.duckdb"
    state = scheduled_release(
        now=AT_RELEASE, source=day.url, warehouse=str(warehouse), return_state=True, **FAST
    )
    assert state.is_completed() and state.name == "NotPublished"
    assert "2026-05 is not published yet" in state.message
    assert day.hits["press/2026054e.xml"] >= 2  # it tried again before giving up
    assert not warehouse.exists()  # nothing of April's was reloaded: the tick was about May


def test_press_release_out_but_dfiles_lagging_loads_the_first_print_and_says_so(
    prefect_api, release_day, tmp_path
):
    day = release_day(may_press=True, dfiles=[APRIL])
    warehouse = tmp_path / "w.duckdb"
    state = scheduled_release(
        now=AT_RELEASE,
        source=day.url,
        warehouse=str(warehouse),
        return_state=True,
        wait_minutes=0.15,
        poll_minutes=0.002,
    )
    assert state.is_completed() and state.name == "AwaitingDFiles"
    assert "d-files still end at 2026-04" in state.message
    assert day.hits["d41ma.csv"] >= 2
    assert query(
        warehouse, "SELECT balance_jpy, vintage FROM marts.trade_balance_monthly WHERE period = ?", [MAY]
    ) == [(-378_673_000_000, date(2026, 6, 17))]
    assert query(warehouse, "SELECT stage FROM marts.release_headlines WHERE period = ?", [MAY]) == [
        ("preliminary",)
    ]


def test_dfiles_catching_up_during_the_wait_complete_the_release(prefect_api, release_day, tmp_path):
    day = release_day(may_press=True, dfiles=[APRIL, MAY])
    warehouse = tmp_path / "w.duckdb"
    state = scheduled_release(
        now=AT_RELEASE,
        source=day.url,
        warehouse=str(warehouse),
        return_state=True,
        wait_minutes=1,
        poll_minutes=0.002,
    )
    assert state.is_completed() and state.name == "Completed"
    outcome = state.result()
    assert outcome.dfiles_through == MAY and not outcome.awaiting_dfiles
    stages = query(
        warehouse, "SELECT stage FROM marts.release_headlines WHERE period = ? ORDER BY vintage, stage", [MAY]
    )
    assert stages == [("confirmed",), ("preliminary",)]  # same day: the press release, then the d-files
    (balance,) = query(
        warehouse, "SELECT balance_jpy FROM marts.trade_balance_monthly WHERE period = ?", [MAY]
    )[0]
    assert balance != -378_673_000_000  # the d-files' thousand-yen figure replaced the press release's
    assert query(warehouse, "SELECT count(*) FROM core.trade_totals WHERE period = ?", [MAY]) == [(2,)]


def test_the_command_loads_a_press_only_month_and_refuses_the_next(prefect_api, release_day, tmp_path):
    day = release_day(may_press=True, dfiles=[APRIL])
    common = ["--source", day.url, "--warehouse", str(tmp_path / "w.duckdb"), "--as-of", "2026-06-17"]
    may = run_cli(["run", "--period", "2026-05", *common], prefect_api, tmp_path)
    assert may.returncode == 0, may.stderr
    assert may.stdout.splitlines()[0].startswith("Japan posted a trade deficit of ¥378.7 billion in May 2026")
    assert "MOF's d-files end at 2026-04" in may.stderr
    june = run_cli(["run", "--period", "2026-06", *common], prefect_api, tmp_path)
    assert june.returncode == 3
    assert "2026-06 is not published yet" in june.stderr

"""Security: secrets stay secret, parameters are checked before SQL, SQL binds its values, remote names
never become paths.

- A run whose source URL carries a password and a token (`http://zeikan:PASSWORD@127.0.0.1:PORT/?token=`,
  served by a real loopback server that receives the password as basic auth) and whose environment holds
  an e-Stat application id: none of the three secrets appears in the command's output, the flow run's
  Prefect logs, parameters, task runs or artifacts, any table of the warehouse or the serving copy, any
  Parquet file, or any path or byte under the run's folders. The same holds when the download fails and
  when the files are refused and quarantined.
- Malformed and SQL-looking months and dates are refused by the command line (exit 2) and by the flows'
  parameter validation, before the warehouse file is even created.
- Every `execute` call in `tasks/`, `zeikan/` and `flows/` gets SQL built from code: string constants,
  `.sql` files and identifiers; values go in as bound parameters (an AST check, so a regression fails).
- Names from a server never become paths: the raw archive names files by sha256, report folders take
  only names from code.

The server side (`zeikan serve` on 127.0.0.1, refusing to expose itself without basic auth, 401 without
credentials) is tested in tests/zeikan/test_serve.py; read-only serving in tests/zeikan/test_serving.py.
"""

from __future__ import annotations

import ast
import base64
import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.sorting import FlowRunSort

from flows.backfill import backfill
from flows.monthly_release import monthly_release
from flows.scheduled_release import scheduled_release
from tasks.extract import archive, download
from tasks.headlines import STAGES
from tasks.report import report_folder
from tests.conftest import REPO
from tests.robustness.conftest import ForkServer
from tests.robustness.record import record
from tests.robustness.state import RunFolder, visible_files
from zeikan.credentials import ESTAT_APP_ID_BLOCK, estat_app_id
from zeikan.errors import InvalidRequest
from zeikan.redact import redact_text, redact_url
from zeikan.release import DFILES
from zeikan.sample import sample_dir
from zeikan.settings import Settings

ZEIKAN = shutil.which("zeikan") or str(Path(sys.executable).with_name("zeikan"))
INJECTION = "2026-01'; DROP TABLE core.releases; --"
RUN_TIMEOUT_S = 180


# --- redaction ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://user:secret@host:8443/data/d41ma.csv", "https://***@host:8443/data/d41ma.csv"),
        ("https://TOKEN123@host/x", "https://***@host/x"),
        ("https://host/x?token=abc&page=2", "https://host/x?token=***&page=***"),
        ("https://host/x?abc123", "https://host/x?***"),
        ("https://host/x#access_token=abc", "https://host/x#***"),
        ("http://[::1]:8080/p", "http://[::1]:8080/p"),
        (
            "https://www.customs.go.jp/toukei/suii/html/data/",
            "https://www.customs.go.jp/toukei/suii/html/data/",
        ),
        ("file:///srv/mof/d41ma.csv", "file:///srv/mof/d41ma.csv"),
        ("/srv/mof", "/srv/mof"),
        ("https://u:p@host:99999/x", "https://***"),
    ],
)
def test_urls_are_recorded_without_credentials_or_query_values(url: str, kept: str) -> None:
    assert redact_url(url) == kept


def test_urls_inside_a_message_are_redacted() -> None:
    message = "http://u:pw@h/d41ma.csv: HTTP 404 Not Found (see https://h/help?key=k)."
    assert redact_text(message) == "http://***@h/d41ma.csv: HTTP 404 Not Found (see https://h/help?key=***)."


def test_settings_never_show_the_estat_application_id() -> None:
    secret = f"estat-{uuid.uuid4().hex}"
    settings = Settings(estat_app_id=secret, warehouse=Path("w.duckdb"))
    for shown in (
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        str(settings.model_dump()),
        repr(settings.with_overrides(source="/elsewhere")),
        repr(estat_app_id(settings)),
    ):
        assert secret not in shown
    assert estat_app_id(settings).get_secret_value() == secret  # usable where it is needed
    record("security", "settings hide the e-Stat application id", "masked in repr, str and JSON")


def test_the_estat_application_id_can_come_from_a_prefect_secret_block(prefect_api: str) -> None:
    from prefect.blocks.system import Secret

    secret = f"estat-block-{uuid.uuid4().hex}"
    Secret(value=secret).save(ESTAT_APP_ID_BLOCK, overwrite=True)
    try:
        found = estat_app_id(Settings(warehouse=Path("w.duckdb")))
        assert found is not None and found.get_secret_value() == secret and secret not in repr(found)
        from_env = estat_app_id(Settings(estat_app_id="from-the-environment", warehouse=Path("w.duckdb")))
        assert from_env.get_secret_value() == "from-the-environment"  # the environment wins
    finally:
        with get_client(sync_client=True) as client:
            client.delete_block_document(Secret.load(ESTAT_APP_ID_BLOCK)._block_document_id)
    assert estat_app_id(Settings(warehouse=Path("w.duckdb"))) is None
    record("security", "e-Stat application id from a Prefect Secret block", "read, masked, env wins")


# --- secrets through a whole run ----------------------------------------------------------------------


@dataclass(frozen=True)
class Secrets:
    password: str
    token: str
    app_id: str

    def all(self) -> tuple[str, ...]:
        return (self.password, self.token, self.app_id)


@dataclass
class SecretRun:
    """A `zeikan run` given secrets, and what it printed."""

    name: str
    run: RunFolder
    source: str
    exit: int = -1
    stdout: str = ""
    stderr: str = ""


def start(run: SecretRun, secrets: Secrets, api_url: str) -> subprocess.Popen[str]:
    """The source URL (with its secrets) goes in the environment, as an operator configures it."""
    run.run.root.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PREFECT_API_URL": api_url,
        "PREFECT_LOGGING_LEVEL": "DEBUG",  # as much as Prefect and zeikan log
        "ZEIKAN_SOURCE": run.source,
        "ZEIKAN_ESTAT_APP_ID": secrets.app_id,
        "ZEIKAN_FETCH_RETRIES": "0",
    }
    args = ["run", "--period", "2026-05", "--warehouse", str(run.run.warehouse), "--as-of", "2026-07-01"]
    return subprocess.Popen(
        [ZEIKAN, *args], cwd=run.run.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def corrupted_sample(folder: Path) -> Path:
    """The sample with a letter in d51ma's total for May 2026: refused and quarantined."""
    shutil.copytree(sample_dir(), folder)
    d51 = folder / "d51ma.csv"
    content = d51.read_bytes()
    line = next(x for x in content.split(b"\r\n") if x.startswith(b"2026/05,"))
    cells = line.split(b",")
    cells[1] = b"9O" + cells[1][2:]
    d51.write_bytes(content.replace(line, b",".join(cells)))
    return folder


@pytest.fixture(scope="module")
def secrets() -> Secrets:
    unique = uuid.uuid4().hex
    return Secrets(password=f"pw{unique}", token=f"tok{unique}", app_id=f"estat{unique}")


@pytest.fixture(scope="module")
def secret_runs(
    secrets: Secrets, prefect_api: str, http_server, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, SecretRun]:
    """Three runs at once with the same secrets: one that loads, one whose source is missing its files,
    one whose d51ma is corrupt. Each holds the password in its URL's userinfo and a token in its query."""
    base = tmp_path_factory.mktemp("secrets")
    (base / "empty").mkdir()
    servers = {
        "loads": http_server(sample_dir()),
        "missing": http_server(base / "empty"),
        "refused": http_server(corrupted_sample(base / "corrupt")),
    }
    runs = {}
    for name, server in servers.items():
        authority = server.url.removeprefix("http://")
        url = f"http://zeikan:{secrets.password}@{authority}?token={secrets.token}"
        runs[name] = SecretRun(name, RunFolder(base / name), url)
    processes = {name: start(run, secrets, prefect_api) for name, run in runs.items()}
    for name, process in processes.items():
        runs[name].stdout, runs[name].stderr = process.communicate(timeout=RUN_TIMEOUT_S)
        runs[name].exit = process.returncode
    # The password really was used: the loopback server got it as basic auth.
    expected = "Basic " + base64.b64encode(f"zeikan:{secrets.password}".encode()).decode()
    assert {headers.get("Authorization") for _, headers in servers["loads"].requests} == {expected}
    return runs


def prefect_record(warehouse: Path) -> str:
    """Everything the Prefect server keeps about the flow run that wrote `warehouse`: the run (name,
    parameters, state message), its task runs, every log line and every artifact."""
    with get_client(sync_client=True) as client:
        runs = [
            r
            for r in client.read_flow_runs(sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=200)
            if r.parameters.get("warehouse") == str(warehouse)
        ]
        assert len(runs) == 1, f"{len(runs)} flow runs for {warehouse}"
        (flow_run,) = runs
        ids = [flow_run.id]
        logs, page = [], LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids))
        while batch := client.read_logs(page, limit=200, offset=len(logs)):
            logs += batch
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=ids))
        )
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)))
    assert any(log.level <= 10 for log in logs), "the flow run's DEBUG logs reached the server"
    parts = [flow_run.model_dump_json(), *(log.model_dump_json() for log in logs)]
    parts += [a.model_dump_json() for a in artifacts] + [t.model_dump_json() for t in tasks]
    return "\n".join(parts)


def tables_as_text(path: Path) -> str:
    """Every row of every table of a DuckDB file, as text."""
    if not path.exists():
        return ""
    lines = []
    with duckdb.connect(str(path), read_only=True) as con:
        for schema, table in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall():
            lines += map(str, con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall())
    return "\n".join(lines)


def files_as_text(folder: Path) -> str:
    """Every path under `folder` and every file's bytes, and every Parquet file's rows, as text."""
    parts = []
    with duckdb.connect() as con:
        for path in folder.rglob("*"):
            parts.append(str(path))
            if path.is_file():
                parts.append(path.read_bytes().decode("latin-1"))
                if path.suffix == ".parquet" and not path.name.startswith("."):
                    parts += map(str, con.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall())
    return "\n".join(parts)


def leaks(text: str, secrets: Secrets) -> list[str]:
    return [name for name, value in vars(secrets).items() if value in text]


def test_a_run_with_secrets_keeps_them_out_of_output_logs_warehouse_artifacts_and_files(
    secret_runs: dict[str, SecretRun], secrets: Secrets
) -> None:
    run = secret_runs["loads"]
    assert run.exit == 0, run.stderr
    places = {
        "stdout and stderr": run.stdout + run.stderr,
        "Prefect run, logs, task runs, artifacts": prefect_record(run.run.warehouse),
        "warehouse tables": tables_as_text(run.run.warehouse),
        "serving copy tables": tables_as_text(run.run.serving / "zeikan.duckdb"),
        "files and paths (raw, quarantine, serving, publish)": files_as_text(run.run.root),
    }
    assert all(places.values()), [name for name, text in places.items() if not text]
    found = {place: leaks(text, secrets) for place, text in places.items() if leaks(text, secrets)}
    assert found == {}, f"secrets found: {found}"
    authority = run.source.split("@", 1)[1].split("?", 1)[0]
    with duckdb.connect(str(run.run.warehouse), read_only=True) as con:
        sources = {s for (s,) in con.execute("SELECT DISTINCT source FROM core.releases").fetchall()}
        urls = {u for (u,) in con.execute("SELECT url FROM core.release_files").fetchall()}
    assert f"http://***@{authority}?token=***" in sources  # where the d-files came from, without secrets
    assert {f"http://***@{authority}{name}" for name in DFILES} <= urls
    for place in places:
        record("security", f"secrets kept out of {place}", "no password, token or app id found")


@pytest.mark.parametrize("name", ["missing", "refused"])
def test_secrets_stay_out_of_errors_and_quarantine_when_a_run_fails(
    name: str, secret_runs: dict[str, SecretRun], secrets: Secrets
) -> None:
    run = secret_runs[name]
    assert run.exit == (1 if name == "missing" else 2), run.stderr
    if name == "missing":
        assert "http://***@127.0.0.1:" in run.stderr  # the message still says which URL failed
    places = {
        "stdout and stderr": run.stdout + run.stderr,
        "Prefect run, logs, task runs, artifacts": prefect_record(run.run.warehouse),
        "files and paths (raw, quarantine)": files_as_text(run.run.root),
    }
    found = {place: leaks(text, secrets) for place, text in places.items() if leaks(text, secrets)}
    assert found == {}, f"secrets found: {found}"
    record("security", f"secrets kept out of a failed run ({name})", "not in errors, logs or quarantine")


# --- parameters are checked before SQL ----------------------------------------------------------------

REFUSED_COMMANDS = {
    "run --period": ["run", "--period", INJECTION],
    "run --as-of": ["run", "--period", "2026-05", "--as-of", "2026-07-01'; DROP TABLE core.releases; --"],
    "backfill --start": ["backfill", "--start", INJECTION, "--end", "2026-05"],
    "backfill --end": ["backfill", "--start", "2026-01", "--end", "2026-05; DELETE FROM marts.revisions"],
    "run --period with console markup": ["run", "--period", "[/]2026-05"],
}


@pytest.fixture(scope="module")
def refusals(runner: ForkServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """Each refused command, run as a process of its own; (exit status, stderr, warehouse path)."""
    base = tmp_path_factory.mktemp("refused")
    results = {}
    for i, (name, args) in enumerate(REFUSED_COMMANDS.items()):
        warehouse = base / f"w{i}" / "zeikan.duckdb"
        done = runner.run(
            [*args, "--source", str(sample_dir()), "--warehouse", str(warehouse)], base, name=f"r{i}"
        )
        results[name] = (done.ended.exit, done.stderr, warehouse)
    return results


@pytest.mark.parametrize("name", list(REFUSED_COMMANDS))
def test_the_command_line_refuses_sql_in_months_and_dates_before_any_work(
    name: str, refusals: dict[str, tuple]
) -> None:
    exit_code, stderr, warehouse = refusals[name]
    assert exit_code == 2, stderr
    assert "error" in stderr and "Traceback" not in stderr
    assert not warehouse.parent.exists()  # no warehouse, no raw archive: refused before any work
    record("security", f"command line refuses SQL in {name}", "exit 2 before the warehouse is touched")


FLOW_CALLS = {
    "monthly_release(period=...)": lambda w: monthly_release(period=INJECTION, warehouse=w),
    "monthly_release(as_of=...)": lambda w: monthly_release(period="2026-05", as_of=INJECTION, warehouse=w),
    "backfill(request.start=...)": lambda w: backfill(
        request={"start": INJECTION, "end": "2026-05"}, warehouse=w
    ),
    "backfill(request.end=...)": lambda w: backfill(
        request={"start": "2026-01", "end": INJECTION}, warehouse=w
    ),
    "scheduled_release(now=...)": lambda w: scheduled_release(now=INJECTION, warehouse=w),
}


@pytest.mark.parametrize("name", list(FLOW_CALLS))
def test_the_flows_refuse_sql_in_their_parameters_before_any_work(
    name: str, prefect_api: str, tmp_path: Path
) -> None:
    from prefect.exceptions import ParameterTypeError

    warehouse = tmp_path / "w" / "zeikan.duckdb"
    with pytest.raises(ParameterTypeError):
        FLOW_CALLS[name](str(warehouse))
    assert not warehouse.parent.exists()
    record("security", f"flow refuses SQL in {name}", "Prefect parameter validation, before the flow body")


# --- SQL is built from code; values are bound ---------------------------------------------------------

SCANNED = ("tasks", "zeikan", "flows")
SQL_METHODS = frozenset({"execute", "executemany", "sql"})
CONSTANT = re.compile(r"_?[A-Z][A-Z0-9_]*")
# Functions that return SQL text from the package's own .sql files.
SQL_FILES = frozenset({"statement", "balance_as_of"})
# Functions that quote what they are given as an identifier or a string literal (for the statements that
# take no bound parameters: COMMENT ON, ATTACH, COPY ... TO), or return a query built only from those.
QUOTERS = frozenset({"identifier", "sql_literal", "sorted_rows"})
# Names (and expressions) that are not constants but hold only SQL or identifiers from code, with why.
ALLOWED = {
    ("tasks/transform.py", "mart"): "one of the MARTS constant's table names",
    ("tasks/transform.py", "sql"): "mart_statement(): a .sql file, table and column names from YEARLY_MARTS",
    ("zeikan/warehouse/duckdb_file.py", "sql"): "a numbered migration file shipped in the package",
    ("zeikan/warehouse/duckdb_file.py", "schema"): "a schema name read from duckdb_tables()",
    ("zeikan/warehouse/duckdb_file.py", "table"): "a table name read from duckdb_tables()",
    ("zeikan/warehouse/serving.py", "name"): "marts.<identifier(table)>",
    ("zeikan/warehouse/serving.py", "target"): "TABLE/COLUMN marts.serving_copy[.column], names from code",
    ("zeikan/warehouse/serving.py", "kv"): "the provenance values, each quoted by sql_literal()",
    ("zeikan/warehouse/serving.py", "declared.ddl"): "a mart's DDL as the pipeline's own catalog holds it",
}


@dataclass
class SqlScan:
    """The SQL passed to every execute call, judged: built from code, or not."""

    modules: dict[str, ast.Module]
    calls: int = 0
    used: set[tuple[str, str]] | None = None

    def __post_init__(self) -> None:
        self.used = set()
        self.constants: dict[str, ast.expr] = {}
        for tree in self.modules.values():
            for node in tree.body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                for target in targets:
                    if (
                        isinstance(target, ast.Name)
                        and CONSTANT.fullmatch(target.id)
                        and node.value is not None
                    ):
                        self.constants[target.id] = node.value

    def from_code(self, node: ast.expr, module: str) -> bool:
        """Whether `node` evaluates to SQL text (or an identifier) that only code decides."""
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str | int)
        if isinstance(node, ast.JoinedStr):
            return all(
                self.from_code(part.value, module)
                for part in node.values
                if isinstance(part, ast.FormattedValue)
            )
        if isinstance(node, ast.Name) and CONSTANT.fullmatch(node.id):
            value = self.constants.get(node.id)
            return value is not None and self.from_code(value, module)
        if isinstance(node, ast.Name | ast.Attribute):
            key = (module, ast.unparse(node))
            if key in ALLOWED:
                self.used.add(key)
                return True
            return False
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name):
                return function.id in SQL_FILES | QUOTERS
            if isinstance(function, ast.Attribute) and function.attr in ("format", "join"):
                arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
                return self.from_code(function.value, module) and all(
                    self.from_code(a, module) for a in arguments
                )
            return False
        if isinstance(node, ast.List | ast.Tuple):
            return all(self.from_code(element, module) for element in node.elts)
        if isinstance(node, ast.Starred):
            return self.from_code(node.value, module)
        if isinstance(node, ast.IfExp):
            return self.from_code(node.body, module) and self.from_code(node.orelse, module)
        return False

    def violations(self) -> list[str]:
        found = []
        for module, tree in self.modules.items():
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in SQL_METHODS
                    and node.args
                ):
                    self.calls += 1
                    if not self.from_code(node.args[0], module):
                        found.append(f"{module}:{node.lineno}: {ast.unparse(node.args[0])[:120]}")
        return found


def scan_sources() -> SqlScan:
    modules = {}
    for package in SCANNED:
        for path in sorted((REPO / package).rglob("*.py")):
            modules[str(path.relative_to(REPO))] = ast.parse(path.read_text("utf-8"), str(path))
    return SqlScan(modules)


def test_every_sql_statement_is_built_from_code_and_binds_its_values() -> None:
    scan = scan_sources()
    assert scan.violations() == []
    assert scan.calls >= 40, "the scan found the execute calls"
    assert set(ALLOWED) - scan.used == set(), "allow-list entries no longer used: remove them"
    record("security", "SQL built from code, values bound", f"{scan.calls} execute calls checked")


def test_the_sql_check_catches_a_value_formatted_into_sql() -> None:
    bad = ast.parse(
        "def f(con, period, name):\n"
        "    con.execute(f\"SELECT * FROM marts.x WHERE period = '{period}'\")\n"
        "    con.execute('SELECT * FROM core.releases WHERE source = ' + name)\n"
        "    con.execute('SELECT %s' % period)\n"
        "    con.execute(QUERY.format(value=period))\n"
        "    con.execute(statement('x'), [period])\n"
        "QUERY = 'SELECT {value}'\n"
    )
    scan = SqlScan({"tasks/example.py": bad})
    assert [v.split(":")[1] for v in scan.violations()] == ["2", "3", "4", "5"]


# --- names from servers never become paths ------------------------------------------------------------


def test_a_name_from_outside_never_becomes_a_path(http_server, tmp_path: Path) -> None:
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "d41ma.csv").write_bytes(b"any bytes")
    served = http_server(folder)
    settings = Settings(source=served.url, warehouse=tmp_path / "wh" / "zeikan.duckdb")
    raw = download(served.url + "d41ma.csv", "../../../escaped.csv", settings)
    digest = raw.sha256
    assert raw.archive_path == settings.raw_archive / digest[:2] / digest
    assert archive(b"any bytes", settings.raw_archive) == (digest, raw.archive_path)
    created = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert created == {"served/d41ma.csv", f"wh/raw/{digest[:2]}/{digest}"}
    record("security", "a remote name never becomes a path", "the raw archive names files by sha256")


@pytest.mark.parametrize(
    "stage", ["../../../tmp/evil", "confirmed/../../x", "", "Confirmed", "preliminary\n"]
)
def test_report_folders_take_only_stages_from_code(stage: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest):
        report_folder(tmp_path, date(2026, 5, 1), date(2026, 7, 1), stage)
    assert not any(tmp_path.iterdir())


def test_report_folders_for_known_stages_stay_inside_the_publish_folder(tmp_path: Path) -> None:
    for stage in STAGES:
        folder = report_folder(tmp_path, date(2026, 5, 1), date(2026, 7, 1), stage)
        assert folder.resolve().is_relative_to(tmp_path.resolve())
        assert folder.relative_to(tmp_path).parts == ("2026-05", f"2026-07-01-{stage}")
    record("security", "report folders from code only", "unknown stages refused, known ones stay inside")


def test_a_real_run_writes_only_names_from_code(secret_runs: dict[str, SecretRun]) -> None:
    run = secret_runs["loads"].run
    raw = [str(p.relative_to(run.raw)) for p in visible_files(run.raw)]
    assert raw and all(re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{64}", name) for name in raw)
    stages = "|".join(STAGES)
    charts = "report\\.md|balance_24m\\.png|contributions_(exports|imports)\\.png"
    published = [str(p.relative_to(run.publish)) for p in visible_files(run.publish)]
    pattern = re.compile(rf"[0-9]{{4}}-[0-9]{{2}}/[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}-({stages})/({charts})")
    assert published and all(pattern.fullmatch(name) for name in published), published
    record("security", "a real run writes only names from code", "sha256 raw names, report names from code")

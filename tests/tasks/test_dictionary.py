"""The data dictionary: every mart table and column with its meaning, read from the catalog itself."""

from __future__ import annotations

import shutil
from datetime import date
from html.parser import HTMLParser

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from flows.monthly_release import monthly_release
from tasks.dictionary import (
    DICTIONARY_KEY,
    HTML_FILE,
    MARKDOWN_FILE,
    read_dictionary,
    render_html,
    render_markdown,
)
from tests.conftest import copy_source, run_cli
from zeikan.settings import Settings
from zeikan.warehouse import DuckDBFileWarehouse
from zeikan.warehouse.serving import PROVENANCE_TABLE, docs_folder, serving_file, serving_reader

pytestmark = pytest.mark.real_data

AS_OF = date(2026, 9, 20)
VOID_ELEMENTS = {"meta", "br", "hr", "img", "link", "input"}


@pytest.fixture(scope="module")
def loaded(prefect_api, mof_data, tmp_path_factory):
    """A warehouse after one real release through Prefect: (pipeline file, serving folder)."""
    source = copy_source(mof_data, tmp_path_factory.mktemp("source"))
    warehouse = tmp_path_factory.mktemp("wh") / "zeikan.duckdb"
    monthly_release(period="2026-05", source=str(source), warehouse=str(warehouse), as_of=AS_OF)
    return warehouse, Settings().with_overrides(warehouse=warehouse).serving_folder


@pytest.fixture(scope="module")
def dictionary(loaded):
    _, folder = loaded
    with serving_reader(serving_file(folder)) as con:
        return read_dictionary(con)


def catalog_columns(con) -> dict[tuple[str, str], tuple[str, str]]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'marts'"
    ).fetchall()
    return {(table, column): (data_type, comment) for table, column, data_type, comment in rows}


def test_every_mart_column_is_listed_with_its_type_and_a_comment(loaded, dictionary):
    warehouse, folder = loaded
    listed = {(t.name, c.name): (c.data_type, c.comment) for t in dictionary.tables for c in t.columns}
    with serving_reader(serving_file(folder)) as con:
        assert listed == catalog_columns(con)
    with DuckDBFileWarehouse(warehouse).reader() as con:
        pipeline = catalog_columns(con)
    assert pipeline.items() <= listed.items()  # every column of the pipeline's marts, same meaning
    assert {t for t, _ in listed} - {t for t, _ in pipeline} == {PROVENANCE_TABLE}
    assert all(comment.strip() for _, comment in listed.values())
    assert all(t.comment.strip() for t in dictionary.tables)
    assert dictionary.undocumented() == []


def test_row_counts_and_the_latest_vintage_are_the_warehouses(loaded, dictionary):
    warehouse, _ = loaded
    with DuckDBFileWarehouse(warehouse).reader() as con:
        counts = {
            t.name: con.execute(f"SELECT count(*) FROM marts.{t.name}").fetchone()[0]
            for t in dictionary.tables
            if t.name != PROVENANCE_TABLE
        }
        (latest,) = con.execute("SELECT max(vintage) FROM core.releases").fetchone()
    assert {t.name: t.rows for t in dictionary.tables if t.name != PROVENANCE_TABLE} == counts
    assert counts["trade_balance_monthly"] > 500 and counts["trade_by_category_monthly"] > 50_000
    assert dictionary.latest_vintage == latest == AS_OF
    markdown = render_markdown(dictionary)
    assert f"Latest vintage {AS_OF}" in markdown
    assert f"| `marts.trade_by_category_monthly` | {counts['trade_by_category_monthly']:,} |" in markdown


class Page(HTMLParser):
    """Checks that every element closes in order, and collects the cells of each table row."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.problems: list[str] = []
        self.rows: list[list[str]] = []
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self.rows[-1].append("")
        if tag not in VOID_ELEMENTS:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1] in ("td", "th", "code") and "tr" in self.open:
            self.rows[-1][-1] += data


def test_the_html_page_is_well_formed_and_holds_every_column(dictionary):
    page = Page()
    page.feed(render_html(dictionary))
    page.close()
    assert page.doctype and page.problems == [] and page.open == []
    cells = {tuple(row) for row in page.rows}
    for table in dictionary.tables:
        for column in table.columns:
            nullable = "yes" if column.nullable else "no"
            assert (column.name, column.data_type, nullable, column.comment) in cells


def test_markdown_tables_keep_one_row_per_column(dictionary):
    markdown = render_markdown(dictionary)
    rows = [line for line in markdown.splitlines() if line.startswith("| `")]
    assert len(rows) == len(dictionary.tables) + sum(len(t.columns) for t in dictionary.tables)
    assert all(line.count(" | ") in (2, 3) for line in rows)  # a | inside a comment is escaped


def test_each_run_publishes_the_dictionary_beside_the_copy_and_as_an_artifact(loaded, dictionary):
    _, folder = loaded
    docs = docs_folder(folder)
    assert (docs / MARKDOWN_FILE).read_text("utf-8") == render_markdown(dictionary)
    assert (docs / HTML_FILE).read_text("utf-8") == render_html(dictionary)
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[DICTIONARY_KEY]))
        )
    assert found, "no data-dictionary artifact"
    newest = max(found, key=lambda a: a.created)
    assert newest.type == "markdown"
    assert newest.data == render_markdown(dictionary)


def test_zeikan_docs_writes_both_files(prefect_api, loaded, dictionary, tmp_path):
    warehouse, _ = loaded
    done = run_cli(
        ["docs", "--warehouse", str(warehouse), "--out", str(tmp_path / "out")], prefect_api, tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / MARKDOWN_FILE).read_text("utf-8") == render_markdown(dictionary)
    assert (tmp_path / "out" / HTML_FILE).read_text("utf-8") == render_html(dictionary)
    assert f"latest vintage {AS_OF}" in done.stderr


def test_zeikan_docs_documents_the_warehouse_itself_before_a_serving_copy_exists(
    prefect_api, loaded, tmp_path
):
    warehouse, _ = loaded
    bare = tmp_path / "bare" / "zeikan.duckdb"
    bare.parent.mkdir()
    shutil.copy(warehouse, bare)
    done = run_cli(["docs", "--warehouse", str(bare)], prefect_api, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "no serving copy" in done.stderr
    written = docs_folder(Settings().with_overrides(warehouse=bare).serving_folder) / MARKDOWN_FILE
    text = written.read_text("utf-8")
    assert f"Latest vintage {AS_OF}" in text and "`marts.trade_balance_monthly`" in text
    assert PROVENANCE_TABLE not in text

    missing = run_cli(["docs", "--warehouse", str(tmp_path / "none.duckdb")], prefect_api, tmp_path)
    assert missing.returncode == 1 and "no warehouse" in missing.stderr

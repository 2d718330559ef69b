"""The data dictionary: what every mart table and column means, generated from the warehouse's own catalog.

Every table and column carries a `COMMENT` (the migrations in `zeikan/warehouse/sql/` write them beside
the DDL), so the dictionary is read from `duckdb_tables()` and `duckdb_columns()` rather than written by
hand, and cannot drift from the tables. It adds each column's type and nullability, each table's row
count, and which release the data is as of. It is rendered as Markdown (the Prefect artifact
`data-dictionary`, and `data_dictionary.md`) and as a standalone HTML page (`data_dictionary.html`),
built from the same structure with every catalog text escaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from zeikan.markdown import markdown_cell, markdown_table
from zeikan.warehouse.serving import PROVENANCE_TABLE, SCHEMA, identifier, replacing, serving_reader

DICTIONARY_KEY = "data-dictionary"
MARKDOWN_FILE = "data_dictionary.md"
HTML_FILE = "data_dictionary.html"
TITLE = "zeikan data dictionary"

TABLES_SQL = """
SELECT table_name, comment FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = ?
ORDER BY table_name
"""
COLUMNS_SQL = """
SELECT table_name, column_name, data_type, is_nullable, comment FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = ?
ORDER BY table_name, column_index
"""
HAS_TABLE_SQL = """
SELECT count(*) > 0 FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = ? AND table_name = ?
"""
# The serving copy says which release it holds; the pipeline's own warehouse says it in core.releases.
SERVING_AS_OF_SQL = f"SELECT release_id, latest_vintage, published_at FROM {SCHEMA}.{PROVENANCE_TABLE}"
PIPELINE_AS_OF_SQL = "SELECT max(release_id), max(vintage), NULL FROM core.releases"


@dataclass(frozen=True)
class ColumnEntry:
    name: str
    data_type: str
    nullable: bool
    comment: str


@dataclass(frozen=True)
class TableEntry:
    name: str
    comment: str
    rows: int
    columns: list[ColumnEntry]

    @property
    def qualified(self) -> str:
        return f"{SCHEMA}.{self.name}"


@dataclass(frozen=True)
class DataDictionary:
    """The marts as the catalog describes them, and which release they hold."""

    database: str
    tables: list[TableEntry]
    release_id: int | None
    latest_vintage: date | None
    published_at: datetime | None

    def undocumented(self) -> list[str]:
        """Tables and columns without a comment (the contract wants none)."""
        missing = [t.qualified for t in self.tables if not t.comment]
        missing += [f"{t.qualified}.{c.name}" for t in self.tables for c in t.columns if not c.comment]
        return missing


def read_dictionary(con: duckdb.DuckDBPyConnection) -> DataDictionary:
    """The dictionary of the `marts` schema in `con`'s current catalog (a serving copy or the pipeline's)."""
    columns: dict[str, list[ColumnEntry]] = {}
    for table, column, data_type, nullable, comment in con.execute(COLUMNS_SQL, [SCHEMA]).fetchall():
        columns.setdefault(table, []).append(ColumnEntry(column, data_type, bool(nullable), comment or ""))
    tables = []
    for table, comment in con.execute(TABLES_SQL, [SCHEMA]).fetchall():
        (rows,) = con.execute(f"SELECT count(*) FROM {SCHEMA}.{identifier(table)}").fetchone()
        tables.append(TableEntry(table, comment or "", int(rows), columns.get(table, [])))
    (is_serving_copy,) = con.execute(HAS_TABLE_SQL, [SCHEMA, PROVENANCE_TABLE]).fetchone()
    row = con.execute(SERVING_AS_OF_SQL if is_serving_copy else PIPELINE_AS_OF_SQL).fetchone()
    release_id, latest_vintage, published_at = row if row is not None else (None, None, None)
    (database,) = con.execute("SELECT current_database()").fetchone()
    return DataDictionary(database, tables, release_id, latest_vintage, published_at)


def as_of_sentence(dictionary: DataDictionary) -> str:
    if dictionary.latest_vintage is None:
        return "The warehouse holds no release yet."
    sentence = f"Latest vintage {dictionary.latest_vintage} (load {dictionary.release_id})"
    if dictionary.published_at is not None:
        sentence += f"; this copy was published {dictionary.published_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return sentence + "."


INTRO = (
    "Every table BI tools read, in the `marts` schema, with each column's type and meaning. Generated from "
    "the warehouse's own catalog (`COMMENT ON`), so it always matches the tables. Money is `BIGINT` yen, "
    "periods are the first day of the month, percentages are unrounded `DOUBLE`."
)


def render_markdown(dictionary: DataDictionary) -> str:
    """The dictionary as one Markdown page: an overview table, then one section per table."""
    lines = [f"# {TITLE}", "", INTRO, "", as_of_sentence(dictionary), ""]
    lines += markdown_table(
        ("table", "rows", "what"),
        ((f"`{t.qualified}`", f"{t.rows:,}", markdown_cell(t.comment)) for t in dictionary.tables),
        right={"rows"},
    )
    for table in dictionary.tables:
        lines += ["", f"## `{table.qualified}`", "", markdown_cell(table.comment), ""]
        lines += [f"{table.rows:,} rows.", ""]
        lines += markdown_table(
            ("column", "type", "nullable", "meaning"),
            (
                (f"`{c.name}`", c.data_type, "yes" if c.nullable else "no", markdown_cell(c.comment))
                for c in table.columns
            ),
        )
    return "\n".join(lines) + "\n"


CODE_SPAN = re.compile(r"`([^`]+)`")  # only in INTRO, our own text
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;line-height:1.4}"
    "table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;"
    "text-align:left;vertical-align:top}td.num{text-align:right}code{font-size:.95em}"
)


def render_html(dictionary: DataDictionary) -> str:
    """The dictionary as a standalone HTML page (no scripts, no external files)."""
    e = html.escape

    def row(cells: list[str], tag: str = "td") -> str:
        return "<tr>" + "".join(f"<{tag}>{cell}</{tag}>" for cell in cells) + "</tr>"

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        f'<head><meta charset="utf-8"><title>{e(TITLE)}</title><style>{STYLE}</style></head>',
        "<body>",
        f"<h1>{e(TITLE)}</h1>",
        "<p>" + CODE_SPAN.sub(r"<code>\1</code>", e(INTRO)) + "</p>",
        f"<p>{e(as_of_sentence(dictionary))}</p>",
        "<table>",
        row(["table", "rows", "what"], "th"),
    ]
    for t in dictionary.tables:
        link = f'<a href="#{e(t.qualified)}"><code>{e(t.qualified)}</code></a>'
        parts.append(f'<tr><td>{link}</td><td class="num">{t.rows:,}</td><td>{e(t.comment)}</td></tr>')
    parts.append("</table>")
    for t in dictionary.tables:
        parts += [
            f'<h2 id="{e(t.qualified)}"><code>{e(t.qualified)}</code></h2>',
            f"<p>{e(t.comment)}</p>",
            f"<p>{t.rows:,} rows.</p>",
            "<table>",
            row(["column", "type", "nullable", "meaning"], "th"),
        ]
        parts += [
            row([f"<code>{e(c.name)}</code>", e(c.data_type), "yes" if c.nullable else "no", e(c.comment)])
            for c in t.columns
        ]
        parts.append("</table>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def write_dictionary(dictionary: DataDictionary, out_dir: Path) -> list[Path]:
    """Write `data_dictionary.md` and `.html` into `out_dir`, each by rename (never half-written)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in ((MARKDOWN_FILE, render_markdown(dictionary)), (HTML_FILE, render_html(dictionary))):
        with replacing(out_dir / name) as temp:
            temp.write_text(text, encoding="utf-8")
        written.append(out_dir / name)
    return written


@task(name="publish-data-dictionary", cache_policy=NO_CACHE, persist_result=False)
def publish_data_dictionary(serving_path: Path, out_dir: Path | None = None) -> DataDictionary:
    """Returns the dictionary of the serving copy at `serving_path`, published as the `data-dictionary`
    artifact and, with `out_dir`, written there as Markdown and HTML."""
    with serving_reader(serving_path) as con:
        dictionary = read_dictionary(con)
    if out_dir is not None:
        write_dictionary(dictionary, out_dir)
    create_markdown_artifact(
        markdown=render_markdown(dictionary),
        key=DICTIONARY_KEY,
        description=f"zeikan data dictionary: marts as of vintage {dictionary.latest_vintage}",
    )
    return dictionary

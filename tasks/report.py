"""Publish: the release report, one Markdown page and three charts for one release of a month.

The page opens with the release's headline and drivers, then the last 13 months of the balance, the
revisions among them, and the charts: the balance over 24 months, and the principal commodities that
moved exports and imports most. It is written to `<publish_dir>/YYYY-MM/<vintage>-<stage>/` and published
as Prefect artifacts: the page with the charts embedded (the Prefect UI has no file server to fetch them
from) and a link to each chart file.

Figures are the warehouse's latest values (`marts`); only the headline is the one written for the
release. Charts are drawn on matplotlib `Figure` objects with an Agg canvas, never through pyplot, so no
global figure state builds up in a long-running worker and nothing ever opens a window.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import BinaryIO

import duckdb
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from prefect import task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from tasks.headlines import STAGES, headline, readable_name
from zeikan.errors import InvalidRequest
from zeikan.markdown import markdown_table
from zeikan.periods import add_months, format_period

REPORT_KEY = "release-report"
REPORT_FILE = "report.md"
BALANCE_CHART = "balance_24m"
EXPORTS_CHART = "contributions_exports"
IMPORTS_CHART = "contributions_imports"
CHART_OF_DIRECTION = {"export": EXPORTS_CHART, "import": IMPORTS_CHART}
CHART_TITLES = {
    BALANCE_CHART: "Trade balance, last 24 months",
    EXPORTS_CHART: "Contributions to the change in exports",
    IMPORTS_CHART: "Contributions to the change in imports",
}
TABLE_MONTHS = 13
CHART_MONTHS = 24
TOP_CONTRIBUTORS = 10
EM_DASH = "—"
ONE_DECIMAL = Decimal("0.1")
YEN_PER_BILLION = Decimal(10**9)

POSITION_COLOURS = {"deficit": "#c0392b", "surplus": "#2166ac", "balanced": "#7f7f7f"}
RAISES_COLOUR, LOWERS_COLOUR = "#1b9e77", "#d95f02"
MEASURE_NAMES = {"exports_jpy": "exports", "imports_jpy": "imports", "balance_jpy": "balance"}
DIRECTION_NAMES = {"export": "exports", "import": "imports"}

MONTHS_SQL = """
SELECT period, exports_jpy, imports_jpy, balance_jpy, position, exports_yoy_pct, imports_yoy_pct,
       first_deficit_in_months, first_surplus_in_months
FROM marts.trade_balance_monthly
WHERE period BETWEEN $first AND $last
ORDER BY period
"""
# The release's own headline first; failing that the newest one written for the month.
HEADLINE_SQL = """
SELECT headline, drivers, vintage, stage
FROM marts.release_headlines
WHERE period = $period
ORDER BY (vintage = $vintage AND stage = $stage) DESC, vintage DESC, list_position($stages, stage) DESC
LIMIT 1
"""
HEADLINES_SQL = """
SELECT vintage, stage, headline
FROM marts.release_headlines
WHERE period = ?
ORDER BY vintage, stage
"""
REVISIONS_SQL = """
SELECT period, measure, first_value_jpy, first_vintage, latest_value_jpy, latest_vintage, revision_jpy
FROM marts.revisions
WHERE period BETWEEN $first AND $last
ORDER BY period, list_position(['exports_jpy', 'imports_jpy', 'balance_jpy'], measure)
"""
# The sub-items MOF prints in the press release, in its order (the order breaks ties in the chart).
CONTRIBUTIONS_SQL = """
SELECT m.direction, m.category_code, m.category_name_en, m.parent_code, m.yoy_contribution_pp
FROM marts.trade_by_category_monthly AS m
JOIN core.principal_commodities AS c USING (direction, category_code)
WHERE m.period = $period
  AND m.level >= 2
  AND c.in_press_release
  AND m.yoy_contribution_pp IS NOT NULL
ORDER BY m.direction, c.file_position
"""
CONTRIBUTION_COLUMNS = ("direction", "category_name_en", "yoy_contribution_pp")


@dataclass(frozen=True)
class ReleaseReport:
    """The report as written: its Markdown, every file (report.md last), and the charts by name."""

    markdown: str
    files: list[Path]
    charts: dict[str, Path]


def report_folder(publish_dir: Path, period: date, vintage: date, stage: str) -> Path:
    """`<publish_dir>/2026-05/2026-11-25-confirmed`: one folder per release of a month."""
    if stage not in STAGES:
        raise InvalidRequest(f"stage {stage!r} is not one of {', '.join(STAGES)}")
    return Path(publish_dir) / format_period(period) / f"{vintage:%Y-%m-%d}-{stage}"


def billions(yen: int) -> str:
    """Yen in ¥ billion, one decimal rounded half-up as the headlines round: `-1,165.8`."""
    amount = (Decimal(int(yen)) / YEN_PER_BILLION).quantize(ONE_DECIMAL, ROUND_HALF_UP)
    return f"{amount.copy_abs() if amount.is_zero() else amount:,}"  # never "-0.0"


def signed_billions(yen: int) -> str:
    """A change in ¥ billion with its sign: `+100.0`."""
    text = billions(yen)
    return text if text.startswith("-") else f"+{text}"


def percent(value: float | None) -> str:
    """A y/y rate with one decimal and its sign, or an em dash where there is none."""
    return EM_DASH if value is None or pd.isna(value) else f"{value:+.1f}"


def as_date(value: date | pd.Timestamp) -> date:
    """DuckDB hands DATE columns to pandas as Timestamps; the warehouse's periods are dates."""
    return value.date() if isinstance(value, pd.Timestamp) else value


def read_months(con: duckdb.DuckDBPyConnection, period: date, count: int) -> pd.DataFrame:
    """The `count` months of `marts.trade_balance_monthly` ending at `period` (fewer near 1979)."""
    months = con.execute(MONTHS_SQL, {"first": add_months(period, 1 - count), "last": period}).df()
    months["period"] = [as_date(p) for p in months["period"]]
    return months


def read_headline(
    con: duckdb.DuckDBPyConnection, period: date, vintage: date, stage: str, month: pd.Series
) -> tuple[str, str | None, date | None, str | None]:
    """(headline, drivers, its vintage, its stage); composed from the marts if none was written."""
    found = con.execute(
        HEADLINE_SQL, {"period": period, "vintage": vintage, "stage": stage, "stages": list(STAGES)}
    ).fetchone()
    if found:
        return found[0], found[1], found[2], found[3]
    sentence = headline(
        period, int(month["balance_jpy"]), month["first_deficit_in_months"], month["first_surplus_in_months"]
    )
    return sentence, None, None, None


def read_contributions(con: duckdb.DuckDBPyConnection, period: date) -> pd.DataFrame:
    """The press-release sub-items (level 2 and deeper) of both directions with their contribution."""
    return con.execute(CONTRIBUTIONS_SQL, {"period": period}).df()


def top_items(contributions: pd.DataFrame, direction: str) -> pd.DataFrame:
    """The direction's `TOP_CONTRIBUTORS` items by absolute contribution, largest first, with labels.

    An item whose parent is also shown says so, since the two bars overlap and must not be added up.
    """
    missing = [c for c in CONTRIBUTION_COLUMNS if c not in contributions.columns]
    if missing:
        raise InvalidRequest(f"contributions lack the column(s) {', '.join(missing)}")
    items = contributions[contributions["direction"] == direction].reset_index(drop=True)
    if "level" in items.columns:
        items = items[items["level"] >= 2]
    items = items[items["yoy_contribution_pp"].notna()]
    order = items["yoy_contribution_pp"].abs().sort_values(ascending=False, kind="stable").index
    top = items.loc[order].head(TOP_CONTRIBUTORS).reset_index(drop=True)
    codes = top["category_code"] if "category_code" in top.columns else pd.Series([None] * len(top))
    names = [
        readable_name(str(name)) if isinstance(name, str) and name.strip() else str(code)
        for name, code in zip(top["category_name_en"], codes, strict=True)
    ]
    labels = list(names)
    if {"category_code", "parent_code"} <= set(top.columns):
        shown = dict(zip(top["category_code"], names, strict=True))
        for i, parent in enumerate(top["parent_code"]):
            if parent in shown:
                labels[i] = f"{names[i]} (within {shown[parent]})"
    return pd.DataFrame({"label": labels, "yoy_contribution_pp": top["yoy_contribution_pp"].astype(float)})


def chart(title: str) -> tuple[Figure, Axes]:
    """A figure on an Agg canvas with one plot and `title` at its top left."""
    fig = Figure(figsize=(10, 5), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(title, x=0.01, ha="left", fontsize=12)
    return fig, fig.add_subplot()


def legend(fig: Figure, entries: list[tuple[str, str]]) -> None:
    """A one-line legend (colour, label) between the title and the plot, where it covers nothing."""
    fig.legend(
        handles=[Patch(facecolor=colour, label=label) for colour, label in entries],
        loc="outside upper right",
        ncols=len(entries),
        frameon=False,
    )


def balance_figure(months: pd.DataFrame) -> Figure:
    """Bars of the monthly balance in ¥ billion, deficits and surpluses in their own colours.

    Bars are one `ax.bar` call in month order, so `fig.axes[0].containers[0]` is the months in order.
    """
    periods = list(months["period"])
    span = f", {periods[0]:%b %Y} to {periods[-1]:%b %Y}" if periods else ""
    fig, ax = chart(f"Japan's trade balance{span}, ¥ billion")
    values = [float(Decimal(int(v)) / YEN_PER_BILLION) for v in months["balance_jpy"]]
    colours = [POSITION_COLOURS[p] for p in months["position"]]
    x = range(len(periods))
    ax.bar(x, values, color=colours, width=0.75, zorder=2)
    ax.axhline(0, color="black", linewidth=0.9, zorder=3)
    ax.set_xticks(
        list(x),
        [f"{p:%b}\n{p:%Y}" if i == 0 or p.month == 1 else f"{p:%b}" for i, p in enumerate(periods)],
        fontsize=8.5,
    )
    ax.set_xlim(-0.6, len(periods) - 0.1)  # room for the last bar's value
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylabel("¥ billion")
    ax.grid(axis="y", color="#dddddd", linewidth=0.8, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    if periods:
        last = values[-1]
        ax.annotate(
            f"{billions(int(months['balance_jpy'].iloc[-1]))}",
            (len(periods) - 1, last),
            xytext=(0, 4 if last >= 0 else -4),
            textcoords="offset points",
            ha="center",
            va="bottom" if last >= 0 else "top",
            fontsize=8.5,
            fontweight="bold",
        )
        ax.margins(y=0.12)
    shown = [p for p in POSITION_COLOURS if p != "balanced" or p in set(months["position"])]
    legend(fig, [(POSITION_COLOURS[p], p) for p in shown])
    return fig


def contributions_figure(
    items: pd.DataFrame, direction: str, total_yoy_pct: float | None, period: date
) -> Figure:
    """Horizontal bars of the top items' contributions (pp), largest at the top, signs in two colours."""
    name = DIRECTION_NAMES[direction]
    rate = "" if total_yoy_pct is None or pd.isna(total_yoy_pct) else f" {total_yoy_pct:+.1f}% y/y"
    fig, ax = chart(f"{name.capitalize()}{rate} in {period:%B %Y}: the top contributors")
    if items.empty:
        ax.text(0.5, 0.5, "No contributions for this month", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    values = list(items["yoy_contribution_pp"])
    y = list(range(len(values)))[::-1]  # the largest at the top
    colours = [RAISES_COLOUR if v >= 0 else LOWERS_COLOUR for v in values]
    ax.barh(y, values, color=colours, height=0.7, zorder=2)
    ax.set_yticks(y, list(items["label"]), fontsize=9)
    ax.set_ylim(len(values) - 0.5 - TOP_CONTRIBUTORS, len(values) - 0.5)  # fewer items: same bars, at the top
    ax.axvline(0, color="black", linewidth=0.9, zorder=3)
    for yi, v in zip(y, values, strict=True):
        ax.annotate(
            f"{v:+.1f}",
            (v, yi),
            xytext=(4 if v >= 0 else -4, 0),
            textcoords="offset points",
            ha="left" if v >= 0 else "right",
            va="center",
            fontsize=8.5,
        )
    low, high = min(0.0, *values), max(0.0, *values)
    width = (high - low) or 1.0
    # Room beyond the longest bars for their values; a side without bars keeps only a sliver.
    ax.set_xlim(low - width * (0.12 if low < 0 else 0.02), high + width * (0.12 if high > 0 else 0.02))
    ax.set_xlabel(f"contribution to the year-on-year change of {name}, percentage points")
    ax.grid(axis="x", color="#dddddd", linewidth=0.8, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    signs = [(RAISES_COLOUR, f"raised {name}", True), (LOWERS_COLOUR, f"lowered {name}", False)]
    legend(fig, [(colour, label) for colour, label, up in signs if any((v >= 0) == up for v in values)])
    return fig


@contextlib.contextmanager
def replacing(target: Path) -> Iterator[BinaryIO]:
    """An open file that becomes `target` in one rename when the block ends, or vanishes if it fails.

    The temporary name is hidden, unique and in the same folder (a rename within one file system is
    atomic), and is created with the process's umask, so the published file gets ordinary permissions.
    """
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex}.part")
    try:
        with temporary.open("xb") as file:
            yield file
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG; without the version stamp, the same figure always gives the same bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def save_figure(fig: Figure, target: Path) -> Path:
    with replacing(target) as file:
        file.write(png_bytes(fig))
    return target


def months_table(months: pd.DataFrame) -> list[str]:
    columns = ("month", "exports (¥ bn)", "imports (¥ bn)", "balance (¥ bn)", "position")
    columns += ("exports y/y %", "imports y/y %")
    return markdown_table(
        columns,
        (
            (
                format_period(m.period),
                billions(m.exports_jpy),
                billions(m.imports_jpy),
                billions(m.balance_jpy),
                m.position,
                percent(m.exports_yoy_pct),
                percent(m.imports_yoy_pct),
            )
            for m in months.itertuples(index=False)
        ),
        right=set(columns) - {"month", "position"},
    )


def revisions_table(revisions: pd.DataFrame) -> list[str]:
    if revisions.empty:
        return ["No revisions in these months."]
    columns = ("month", "measure", "first print (¥ bn)", "first vintage", "latest (¥ bn)")
    columns += ("latest vintage", "revision (¥ bn)")
    return markdown_table(
        columns,
        (
            (
                format_period(as_date(r.period)),
                MEASURE_NAMES.get(r.measure, r.measure),
                billions(r.first_value_jpy),
                as_date(r.first_vintage),
                billions(r.latest_value_jpy),
                as_date(r.latest_vintage),
                signed_billions(r.revision_jpy),
            )
            for r in revisions.itertuples(index=False)
        ),
        right={"first print (¥ bn)", "latest (¥ bn)", "revision (¥ bn)"},
    )


def headlines_table(headlines: pd.DataFrame) -> list[str]:
    """First print to latest: what was said about the month at each vintage."""
    return markdown_table(
        ("vintage", "stage", "headline"),
        ((as_date(r.vintage), r.stage, r.headline) for r in headlines.itertuples()),
    )


def render_report(
    con: duckdb.DuckDBPyConnection,
    period: date,
    vintage: date,
    stage: str,
    out_dir: Path,
    contributions: pd.DataFrame | None = None,
) -> ReleaseReport:
    """Write report.md and its three charts to `out_dir` for the release (`period`, `vintage`, `stage`).

    `contributions` (direction, category_name_en, yoy_contribution_pp, optionally category_code and
    parent_code) replaces the marts' figures, for a press release that prints MOF's own contributions.
    The charts are written before report.md and every file appears by rename, so a reader who finds
    report.md finds it whole and its charts in place.
    """
    months = read_months(con, period, CHART_MONTHS)
    if months.empty or months["period"].iloc[-1] != period:
        raise InvalidRequest(f"{format_period(period)} is not in marts.trade_balance_monthly")
    month = months.iloc[-1]
    table_months = months.tail(TABLE_MONTHS)
    first = table_months["period"].iloc[0]
    revisions = con.execute(REVISIONS_SQL, {"first": first, "last": period}).df()
    sentence, drivers, headline_vintage, headline_stage = read_headline(con, period, vintage, stage, month)
    if contributions is None:
        contributions = read_contributions(con, period)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = {BALANCE_CHART: balance_figure(months)}
    for direction, chart in CHART_OF_DIRECTION.items():
        total = month[f"{DIRECTION_NAMES[direction]}_yoy_pct"]
        figures[chart] = contributions_figure(top_items(contributions, direction), direction, total, period)
    charts = {name: save_figure(fig, out_dir / f"{name}.png") for name, fig in figures.items()}

    lines = [f"# {sentence}", ""]
    if drivers:
        lines += [str(drivers), ""]
    lines.append(f"Vintage {vintage}, stage `{stage}`.")
    if headline_vintage is not None and (headline_vintage, headline_stage) != (vintage, stage):
        lines[-1] += f" Headline as written for vintage {headline_vintage}, stage `{headline_stage}`."
    elif headline_vintage is None:
        lines[-1] += " Headline composed from the latest figures (none was written for this month)."
    lines += ["", "## Every headline of the month", ""]
    lines += headlines_table(con.execute(HEADLINES_SQL, [period]).df())
    lines += ["", f"## The last {len(table_months)} months", ""]
    lines += months_table(table_months)
    lines += ["", "Latest known values; ¥ bn = billion yen, y/y = change on the same month a year earlier."]
    lines += ["", "## Revisions", ""]
    lines += revisions_table(revisions)
    lines += ["", "## Charts", ""]
    for name, path in charts.items():
        lines += [f"![{CHART_TITLES[name]}]({path.name})", ""]
    markdown = "\n".join(lines)

    report_path = out_dir / REPORT_FILE
    with replacing(report_path) as file:
        file.write(markdown.encode("utf-8"))
    return ReleaseReport(markdown, [*charts.values(), report_path], charts)


def embedded_markdown(report: ReleaseReport) -> str:
    """The report with each chart as a base64 PNG data URI instead of a relative link."""
    markdown = report.markdown
    for path in report.charts.values():
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        markdown = markdown.replace(f"]({path.name})", f"](data:image/png;base64,{encoded})")
    return markdown


def chart_key(name: str) -> str:
    """`contributions_exports` → `release-report-contributions-exports` (Prefect keys take no `_`)."""
    return f"{REPORT_KEY}-{name.replace('_', '-')}"


@task(name="publish-report", cache_policy=NO_CACHE, persist_result=False)
def publish_report(
    con: duckdb.DuckDBPyConnection,
    period: date,
    vintage: date,
    stage: str,
    publish_dir: Path,
    contributions: pd.DataFrame | None = None,
) -> ReleaseReport:
    """Returns the report written to `report_folder(...)`, after publishing it and its charts as artifacts."""
    out_dir = report_folder(publish_dir, period, vintage, stage)
    report = render_report(con, period, vintage, stage, out_dir, contributions)
    release = f"{format_period(period)}, vintage {vintage}, stage {stage}"
    create_markdown_artifact(
        markdown=embedded_markdown(report), key=REPORT_KEY, description=f"zeikan release report, {release}"
    )
    for name, path in report.charts.items():
        create_link_artifact(
            link=path.resolve().as_uri(),
            link_text=path.name,
            key=chart_key(name),
            description=f"{CHART_TITLES[name]}, {release}",
        )
    return report

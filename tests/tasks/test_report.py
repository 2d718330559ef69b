"""The release report on a warehouse built from MOF's real d-files: Markdown, charts, Prefect artifacts.

The warehouse is loaded once per module with the plain functions underneath the tasks (parse, validate,
store, marts, headlines, in the order flows/steps.py composes them), without Prefect. Charts are checked
two ways: the figure a chart is drawn from is inspected (bar colours, labels), and the PNG on disk must
be byte for byte the rendering of that figure.
"""

from __future__ import annotations

import base64
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.image import imread
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from tasks.headlines import HeadlineRequest, readable_name, save_headlines
from tasks.parse import parse_release
from tasks.report import (
    BALANCE_CHART,
    EXPORTS_CHART,
    IMPORTS_CHART,
    POSITION_COLOURS,
    REPORT_KEY,
    ReleaseReport,
    balance_figure,
    chart_key,
    contributions_figure,
    png_bytes,
    publish_report,
    read_contributions,
    read_months,
    render_report,
    report_folder,
    top_items,
)
from tasks.store import add_vintage
from tasks.transform import rebuild_marts
from tasks.validate import check_release
from tests.conftest import raw_file
from tests.independent import revise, value_field
from zeikan.errors import InvalidRequest
from zeikan.periods import format_period, months_between
from zeikan.release import DFILES
from zeikan.warehouse import DuckDBFileWarehouse

pytestmark = pytest.mark.real_data

AS_OF = date(2026, 11, 25)
MAY = date(2026, 5, 1)
FEB = date(2026, 2, 1)
FIRST, SECOND = date(2026, 9, 20), date(2026, 10, 20)
RAISE_THOUSAND_YEN = 100_000_000  # ¥100 bn on February 2026 imports
CHARTS = (BALANCE_CHART, EXPORTS_CHART, IMPORTS_CHART)
TABLE_ROW = re.compile(r"^\| (\d{4}-\d{2}) \|")


def load(warehouse: Path, folder: Path, as_of: date, months: list[date]) -> None:
    """One release from `folder`'s d-files into `warehouse`, through the functions under the tasks."""
    files = [raw_file(name, (folder / name).read_bytes()) for name in DFILES]
    release = check_release(parse_release.fn(files), as_of)
    with DuckDBFileWarehouse(warehouse).transaction() as txn:
        stored = add_vintage(txn.con, release, as_of, months[-1], str(folder))
        rebuild_marts(txn.con)
        save_headlines(txn.con, [HeadlineRequest(months, stored.vintage, stored.release_id)])


@pytest.fixture(scope="module")
def warehouse(mof_data: Path, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "zeikan.duckdb"
    load(path, mof_data, AS_OF, [MAY])
    return path


@pytest.fixture(scope="module")
def revised(mof_data: Path, tmp_path_factory) -> Path:
    """The real release (vintage FIRST), then one that raises February 2026 imports by ¥100 bn (SECOND)."""
    folder = tmp_path_factory.mktemp("revised")
    d41 = revise((mof_data / "d41ma.csv").read_bytes(), "2026/02", 2, RAISE_THOUSAND_YEN)
    d61 = (mof_data / "d61ma.csv").read_bytes()
    for code in ("0～9", "3"):  # the total and mineral fuels, so the files stay consistent
        d61 = revise(d61, "2026/02", value_field(d61, code), RAISE_THOUSAND_YEN)
    (folder / "d41ma.csv").write_bytes(d41)
    (folder / "d51ma.csv").write_bytes((mof_data / "d51ma.csv").read_bytes())
    (folder / "d61ma.csv").write_bytes(d61)
    path = tmp_path_factory.mktemp("wh") / "zeikan.duckdb"
    load(path, mof_data, FIRST, [MAY])
    load(path, folder, SECOND, [MAY])
    return path


def render(warehouse: Path, out_dir: Path, **kwargs) -> ReleaseReport:
    options = {"period": MAY, "vintage": AS_OF, "stage": "confirmed", **kwargs}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return render_report(con, out_dir=out_dir, **options)


@pytest.fixture(scope="module")
def report(warehouse: Path, tmp_path_factory) -> ReleaseReport:
    return render(warehouse, report_folder(tmp_path_factory.mktemp("publish"), MAY, AS_OF, "confirmed"))


def rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def bn(yen: int) -> str:
    """¥ billion with one decimal, rounded half-up, thousands separated: what the table must show."""
    return f"{(Decimal(yen) / Decimal(10**9)).quantize(Decimal('0.1'), ROUND_HALF_UP):,}"


def table_rows(markdown: str) -> dict[str, list[str]]:
    """The 13-month table: month → its cells."""
    section = markdown.split("## Revisions")[0]
    return {
        m.group(1): [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if (m := TABLE_ROW.match(line))
    }


def test_the_report_opens_with_the_releases_headline_and_drivers(report, warehouse):
    headline, drivers = rows(
        warehouse,
        "SELECT headline, drivers FROM marts.release_headlines WHERE period = ? AND vintage = ?",
        [MAY, AS_OF],
    )[0]
    text = (report.files[-1]).read_text("utf-8")
    assert report.files[-1].name == "report.md" and text == report.markdown
    lines = text.splitlines()
    assert lines[0] == f"# {headline}"
    assert "deficit" in headline and "first deficit in 4 months" in headline
    assert lines[2] == drivers
    assert "Vintage 2026-11-25, stage `confirmed`." in text


def test_the_table_covers_the_13_months_to_may_with_the_marts_figures(report, warehouse):
    table = table_rows(report.markdown)
    assert list(table) == [format_period(p) for p in months_between(date(2025, 5, 1), MAY)]
    marts = rows(
        warehouse,
        "SELECT strftime(period, '%Y-%m'), exports_jpy, imports_jpy, balance_jpy, position, "
        "exports_yoy_pct, imports_yoy_pct FROM marts.trade_balance_monthly "
        "WHERE period BETWEEN '2025-05-01' AND '2026-05-01' ORDER BY period",
    )
    assert len(marts) == 13
    for month, exports, imports, balance, position, exports_yoy, imports_yoy in marts:
        cells = table[month]
        assert cells == [
            month,
            bn(exports),
            bn(imports),
            bn(balance),
            position,
            f"{exports_yoy:+.1f}",
            f"{imports_yoy:+.1f}",
        ], month
    assert table["2026-05"][3] == "-395.1" and table["2026-05"][4] == "deficit"
    assert table["2026-01"][3] == "-1,165.8"  # thousands separator


def test_a_single_vintage_has_no_revisions_to_list(report):
    assert "## Revisions\n\nNo revisions in these months." in report.markdown


def test_the_charts_are_linked_relative_to_the_report(report):
    for name in CHARTS:
        assert f"]({name}.png)" in report.markdown
    assert [p.name for p in report.files] == [f"{name}.png" for name in CHARTS] + ["report.md"]
    assert {name: p.name for name, p in report.charts.items()} == {n: f"{n}.png" for n in CHARTS}


@pytest.mark.parametrize("name", CHARTS)
def test_each_chart_is_a_readable_png_of_a_sensible_size(report, name):
    pixels = imread(report.charts[name])
    height, width, channels = pixels.shape
    assert 400 <= height <= 1200 and 800 <= width <= 2000 and channels in (3, 4)
    assert pixels[..., :3].std() > 0.05  # not a blank canvas


def colour_present(pixels: np.ndarray, colour: str) -> bool:
    return bool((np.abs(pixels[..., :3] - np.array(to_rgba(colour)[:3])) < 0.02).all(axis=-1).any())


def test_deficit_months_are_drawn_in_another_colour_than_surplus_months(report, warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        months = read_months(con, MAY, 24)
    fig = balance_figure(months)
    assert report.charts[BALANCE_CHART].read_bytes() == png_bytes(fig)  # the file is this figure
    assert months["period"].iloc[0] == date(2024, 6, 1) and len(months) == 24
    bars = fig.axes[0].containers[0]
    colours = {}
    for bar, position, balance in zip(bars, months["position"], months["balance_jpy"], strict=True):
        colours.setdefault(position, set()).add(bar.get_facecolor())
        assert bar.get_height() == pytest.approx(balance / 1e9)
    assert set(colours) == {"deficit", "surplus"}
    assert len(colours["deficit"]) == 1 and len(colours["surplus"]) == 1
    assert colours["deficit"] != colours["surplus"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["deficit", "surplus"]
    pixels = imread(report.charts[BALANCE_CHART])
    assert colour_present(pixels, POSITION_COLOURS["deficit"])
    assert colour_present(pixels, POSITION_COLOURS["surplus"])


def labels_top_down(fig) -> list[str]:
    """A bar chart's item labels as read, from the top."""
    ticks = fig.axes[0].get_yticklabels()
    return [t.get_text() for t in sorted(ticks, key=lambda t: -t.get_position()[1])]


@pytest.mark.parametrize(
    ("direction", "name", "column"),
    [("export", EXPORTS_CHART, "exports_yoy_pct"), ("import", IMPORTS_CHART, "imports_yoy_pct")],
)
def test_contribution_charts_show_the_top_ten_press_items(report, warehouse, direction, name, column):
    expected = rows(
        warehouse,
        "SELECT m.category_name_en, m.yoy_contribution_pp FROM marts.trade_by_category_monthly AS m "
        "JOIN core.principal_commodities AS c USING (direction, category_code) "
        "WHERE m.period = ? AND m.direction = ? AND m.level >= 2 AND c.in_press_release "
        "ORDER BY abs(m.yoy_contribution_pp) DESC LIMIT 10",
        [MAY, direction],
    )
    (total,) = rows(warehouse, f"SELECT {column} FROM marts.trade_balance_monthly WHERE period = ?", [MAY])[0]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        items = top_items(read_contributions(con, MAY), direction)
    fig = contributions_figure(items, direction, total, MAY)
    assert report.charts[name].read_bytes() == png_bytes(fig)

    ax = fig.axes[0]
    labels = labels_top_down(fig)
    assert len(labels) == 10
    assert [label.split(" (within ")[0] for label in labels] == [readable_name(n) for n, _ in expected]
    assert [bar.get_width() for bar in sorted(ax.patches, key=lambda b: -b.get_y())] == pytest.approx(
        [pp for _, pp in expected]
    )
    assert f"{total:+.1f}% y/y in May 2026" in fig.get_suptitle()
    if direction == "import":
        assert labels[0] == "petroleum"  # May 2026's largest import contribution, and negative
        signs = {bar.get_width() > 0: bar.get_facecolor() for bar in ax.patches}
        assert set(signs) == {True, False} and signs[True] != signs[False]
    else:
        assert labels[0] == "semiconductors etc"
        assert "IC (within semiconductors etc)" in labels  # a sub-item beside its parent says so


def test_given_contributions_replace_the_marts(report, warehouse, tmp_path):
    given = pd.DataFrame(
        {
            "direction": ["export", "export", "import", "import", "import"],
            "category_name_en": ["MOTOR VEHICLES", "(CAR)", "LNG", "CRUDE OIL", "GRAND TOTAL"],
            "yoy_contribution_pp": [1.5, 1.2, -0.8, 2.4, 9.9],
            "category_code": ["70503", "7050301", "30305", "30301", "0～9"],
            "parent_code": ["705", "70503", "303", "3", None],
            "level": [2, 3, 2, 2, 0],
        }
    )
    own = render(warehouse, tmp_path, contributions=given)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        month = read_months(con, MAY, 1).iloc[-1]
    exports = contributions_figure(top_items(given, "export"), "export", month["exports_yoy_pct"], MAY)
    imports = contributions_figure(top_items(given, "import"), "import", month["imports_yoy_pct"], MAY)
    assert own.charts[EXPORTS_CHART].read_bytes() == png_bytes(exports)
    assert own.charts[IMPORTS_CHART].read_bytes() == png_bytes(imports)
    assert own.charts[IMPORTS_CHART].read_bytes() != report.charts[IMPORTS_CHART].read_bytes()
    assert labels_top_down(exports) == ["motor vehicles", "car (within motor vehicles)"]
    assert labels_top_down(imports) == ["crude oil", "LNG"]  # the total (level 0) is not an item
    assert own.charts[BALANCE_CHART].read_bytes() == report.charts[BALANCE_CHART].read_bytes()
    with pytest.raises(InvalidRequest, match="yoy_contribution_pp"):
        render(warehouse, tmp_path, contributions=given.drop(columns="yoy_contribution_pp"))


def test_revisions_list_first_print_and_latest_value(revised, tmp_path):
    text = render(revised, tmp_path, vintage=SECOND).markdown
    section = text.split("## Revisions")[1].split("## Charts")[0]
    lines = [line for line in section.splitlines() if line.startswith("| 2026-02 |")]
    (imports_first,), (balance_first,) = (
        rows(revised, f"SELECT {m} FROM core.trade_totals WHERE period = ? AND vintage = ?", [FEB, FIRST])[0]
        for m in ("imports_jpy", "exports_jpy - imports_jpy")
    )
    raise_yen = RAISE_THOUSAND_YEN * 1000
    assert lines == [
        f"| 2026-02 | imports | {bn(imports_first)} | {FIRST} | {bn(imports_first + raise_yen)} | {SECOND} "
        "| +100.0 |",
        f"| 2026-02 | balance | {bn(balance_first)} | {FIRST} | {bn(balance_first - raise_yen)} | {SECOND} "
        "| -100.0 |",
    ]
    assert table_rows(text)["2026-02"][4] == "deficit"  # the table shows the latest value


def test_the_headline_is_the_one_written_for_the_vintage_asked_for(revised, tmp_path):
    first = render(revised, tmp_path / "first", vintage=FIRST).markdown.splitlines()[0]
    second = render(revised, tmp_path / "second", vintage=SECOND).markdown.splitlines()[0]
    assert first.endswith("its first deficit in 4 months.")
    assert second.endswith("its first deficit in 3 months.")  # February became a deficit
    unknown = render(revised, tmp_path / "later", vintage=date(2026, 12, 18)).markdown
    assert unknown.splitlines()[0] == second  # none written for that vintage: the newest one
    assert f"Headline as written for vintage {SECOND}, stage `confirmed`." in unknown


def test_rendering_again_replaces_the_files_and_leaves_no_temporary_files(report, warehouse):
    folder = report.files[-1].parent
    again = render(warehouse, folder)
    assert again.markdown == report.markdown
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in report.files)


def test_the_report_folder_is_month_then_vintage_and_stage(tmp_path):
    assert report_folder(tmp_path, MAY, date(2026, 6, 18), "preliminary") == (
        tmp_path / "2026-05" / "2026-06-18-preliminary"
    )
    with pytest.raises(InvalidRequest, match="stage"):
        report_folder(tmp_path, MAY, AS_OF, "../../etc")


def test_a_month_missing_from_the_warehouse_is_refused(warehouse, tmp_path):
    with pytest.raises(InvalidRequest, match="2027-01"):
        render(warehouse, tmp_path / "out", period=date(2027, 1, 1))
    assert not (tmp_path / "out").exists()


@flow(name="report-test", persist_result=False)
def report_flow(warehouse: str, publish_dir: str) -> ReleaseReport:
    with duckdb.connect(warehouse, read_only=True) as con:
        return publish_report(con, MAY, AS_OF, "confirmed", Path(publish_dir))


def newest_artifact(key: str):
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return max(found, key=lambda a: a.created) if found else None


def test_publishing_creates_the_report_artifact_with_embedded_charts_and_chart_links(
    prefect_api, warehouse, tmp_path
):
    published = report_flow(str(warehouse), str(tmp_path))
    assert published.files[-1] == tmp_path / "2026-05" / "2026-11-25-confirmed" / "report.md"

    page = newest_artifact(REPORT_KEY)
    assert page is not None and page.type == "markdown"
    assert page.data.startswith(published.markdown.splitlines()[0])
    assert "| 2026-05 |" in page.data and "-395.1" in page.data
    embedded = re.findall(r"\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", page.data)
    assert [base64.b64decode(e) for e in embedded] == [published.charts[n].read_bytes() for n in CHARTS]
    assert "](balance_24m.png)" not in page.data

    for name in CHARTS:
        link = newest_artifact(chart_key(name))
        uri = published.charts[name].resolve().as_uri()
        assert uri.startswith("file:///")
        assert link is not None and link.data == f"[{name}.png]({uri})", (
            name
        )  # Prefect stores links as markdown
        assert re.fullmatch(r"[a-z0-9-]+", chart_key(name))

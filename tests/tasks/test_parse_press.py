"""The press-release parser on MOF's real English XML, checked against independent reads of the same files.

Expectations come from `press_pg1_totals.csv` (read with the csv module), from the XML read with
xml.etree here, from the reference names read with the csv module, and from CONTRACT §1 (n = 1, 2, 4, 5;
`△` negative; million yen). Refusals are made by editing the real bytes in place.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from defusedxml.common import DefusedXmlException

from tasks.parse_press import parse_press
from tests.conftest import REPO, raw_file
from tests.printed import (
    PAGE_OF_DIRECTION,
    RELEASES,
    item_span,
    printed_amount,
    printed_count,
    printed_rate,
    root_of,
)
from zeikan.errors import Problem, SourceFormatError
from zeikan.release import PressRelease

pytestmark = pytest.mark.real_data

MILLION = 1_000_000
# CONTRACT §1: the digit before `e.xml` says which release of the month it is.
STAGE_OF_DIGIT = {"1": "first_ten_days", "2": "first_twenty_days", "4": "preliminary", "5": "detailed"}
REFERENCE = REPO / "zeikan" / "reference" / "principal_commodities.csv"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>'


# --- independent readings -------------------------------------------------------------------------


def csv_amount(cell: str) -> int:
    """A million-yen figure of press_pg1_totals.csv (`-378673`) → yen."""
    return int(cell) * MILLION


def csv_rate(cell: str) -> float | None:
    return None if cell == "-" else float(cell)


def world_page(root: ET.Element, page: str) -> ET.Element:
    (found,) = [p for p in root.iter("shuyochiikikunihin") if p.get("name") == page]
    return found


@dataclass(frozen=True)
class Item:
    """One row of a world commodity page as printed, converted by hand (not by the parser)."""

    name: str
    level_printed: int
    unit: str | None
    quantity: float | None
    value_jpy: int | None
    share_pct: float | None
    yoy_pct: float | None
    yoy_contribution_pp: float | None


def printed_items(content: bytes, page: str) -> list[Item]:
    return [
        Item(
            name=(item.findtext("shuyoshohin") or "").strip(),
            level_printed=int((item.findtext("shuyoshohinbunrui") or "").strip()),
            unit=(item.findtext("tani") or "").strip() or None,
            quantity=printed_count(item.findtext("suryo")),
            value_jpy=printed_amount(item.findtext("kagaku")),
            share_pct=printed_rate(item.findtext("koseihi")),
            yoy_pct=printed_rate(item.findtext("kagakunobiritsu")),
            yoy_contribution_pp=printed_rate(item.findtext("zogenkiyodo")),
        )
        for item in world_page(root_of(content), page).iter("shuyochiikikunihininfo")
    ]


def reference_codes() -> dict[tuple[str, str], str]:
    """(direction, English name) → code, from the reference file read with the csv module."""
    with REFERENCE.open(encoding="utf-8", newline="") as handle:
        return {(r["direction"], r["name_en"]): r["category_code"] for r in csv.DictReader(handle)}


def pg1_totals(mof_data: Path, name: str) -> dict[str, str]:
    """The row of press_pg1_totals.csv for `name` (its source_file is `press_<digits>en.xml`)."""
    with (mof_data / "press_pg1_totals.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["source_file"] == f"press_{name[:7]}en.xml"]
    assert len(rows) == 1, name
    return rows[0]


def as_python(value: object) -> object:
    """pandas' missing markers → None, so rows compare as plain tuples."""
    return None if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)) else value


# --- byte edits of the real files ------------------------------------------------------------------


def replace_once(content: bytes, old: str, new: str) -> bytes:
    """`content` with the single occurrence of `old` replaced; fails when `old` is absent or repeated."""
    assert content.count(old.encode()) == 1, f"{old!r} occurs {content.count(old.encode())} times"
    return content.replace(old.encode(), new.encode())


def edit_item(content: bytes, page: str, name: str, tag: str, new: str) -> bytes:
    """Set cell `tag` of item `name` on `page` to `new`, leaving every other byte as MOF served it."""
    text = content.decode("utf-8")
    found = item_span(text, page, name)
    edited, hits = re.subn(
        rf"<{tag}>[^<]*</{tag}>|<{tag} />", lambda _: f"<{tag}>{new}</{tag}>", found.group(), count=1
    )
    assert hits == 1, f"no {tag} in {name}"
    return (text[: found.start()] + edited + text[found.end() :]).encode("utf-8")


# --- fixtures and helpers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def releases(mof_data: Path) -> dict[str, bytes]:
    return {name: (mof_data / "press" / name).read_bytes() for name in RELEASES}


@pytest.fixture(scope="module")
def parsed(releases: dict[str, bytes]) -> dict[str, PressRelease]:
    return {name: parse_press(raw_file(name, content)) for name, content in releases.items()}


def refused(name: str, content: bytes) -> SourceFormatError:
    """The SourceFormatError parsing `content` as `name` raises; every problem names the file."""
    with pytest.raises(SourceFormatError) as caught:
        parse_press(raw_file(name, content))
    assert caught.value.problems
    assert all(p.file == name for p in caught.value.problems)
    assert name in str(caught.value)
    return caught.value


def only(error: SourceFormatError) -> Problem:
    assert len(error.problems) == 1, error.problems
    return error.problems[0]


# --- page 1 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RELEASES)
def test_stage_period_and_release_date_match_the_name_and_the_pg1_table(
    mof_data: Path, parsed: dict[str, PressRelease], name: str
) -> None:
    expected = pg1_totals(mof_data, name)
    press = parsed[name]
    assert press.stage == STAGE_OF_DIGIT[name[6]]
    assert press.is_monthly
    assert press.period == datetime.strptime(expected["month"], "%Y-%m").date()
    assert press.release_date == datetime.strptime(expected["release_date"], "%B %d, %Y").date()
    assert press.file.name == name
    assert press.totals["period"].tolist() == [pd.Timestamp(press.period)]


def test_the_may_preliminary_release_in_words(parsed: dict[str, PressRelease]) -> None:
    press = parsed["2026054e.xml"]
    assert (press.stage, press.period, press.release_date) == (
        "preliminary",
        date(2026, 5, 1),
        date(2026, 6, 17),
    )
    assert parsed["2026045e.xml"].stage == "detailed"


@pytest.mark.parametrize("name", RELEASES)
def test_totals_are_the_pg1_table_in_yen_with_printed_rates(
    mof_data: Path, parsed: dict[str, PressRelease], name: str
) -> None:
    expected = pg1_totals(mof_data, name)
    totals = parsed[name].totals
    assert len(totals) == 1
    row = totals.iloc[0]
    for ours, theirs in (("exports", "export"), ("imports", "import"), ("balance", "balance")):
        assert row[f"{ours}_jpy"] == csv_amount(expected[f"{theirs}_mn_yen"]), ours
        assert row[f"{ours}_year_ago_jpy"] == csv_amount(expected[f"{theirs}_prev_year_mn_yen"]), ours
        assert as_python(row[f"{ours}_yoy_pct"]) == csv_rate(expected[f"{theirs}_yoy_pct"]), ours


def test_the_printed_negative_balance_and_rates_of_may(parsed: dict[str, PressRelease]) -> None:
    row = parsed["2026054e.xml"].totals.iloc[0]
    assert row["balance_jpy"] == -378_673_000_000  # printed △378,673
    assert row["balance_year_ago_jpy"] == -662_469_000_000
    assert (row["exports_yoy_pct"], row["imports_yoy_pct"], row["balance_yoy_pct"]) == (17.0, 12.5, -42.8)


def test_a_dash_rate_is_missing_not_zero(parsed: dict[str, PressRelease]) -> None:
    """April's balance turned from deficit to surplus: MOF prints `-` for its rate."""
    row = parsed["2026044e.xml"].totals.iloc[0]
    assert row["balance_yoy_pct"] is pd.NA
    assert row["balance_jpy"] == 301_905_000_000
    assert row["balance_year_ago_jpy"] == -149_522_000_000


def test_money_is_integer_yen(parsed: dict[str, PressRelease]) -> None:
    press = parsed["2026054e.xml"]
    for column in [c for c in press.totals.columns if c.endswith("_jpy")]:
        assert str(press.totals[column].dtype) == "Int64", column
    assert str(press.commodities["value_jpy"].dtype) == "Int64"


# --- the world commodity pages ----------------------------------------------------------------------


@pytest.mark.parametrize("name", RELEASES)
@pytest.mark.parametrize("direction", ["export", "import"])
def test_every_item_of_the_world_page_in_page_order_with_its_reference_code(
    releases: dict[str, bytes], parsed: dict[str, PressRelease], name: str, direction: str
) -> None:
    items = printed_items(releases[name], PAGE_OF_DIRECTION[direction])
    codes = reference_codes()
    frame = parsed[name].commodities
    rows = frame[frame["direction"] == direction]
    columns = [
        "position",
        "category_code",
        "name_en",
        "level_printed",
        "quantity_unit",
        "quantity",
        "value_jpy",
        "share_pct",
        "yoy_pct",
        "yoy_contribution_pp",
    ]
    got = [tuple(as_python(v) for v in row) for row in rows[columns].itertuples(index=False)]
    want = [
        (
            position,
            codes[(direction, item.name)],
            item.name,
            item.level_printed,
            item.unit,
            item.quantity,
            item.value_jpy,
            item.share_pct,
            item.yoy_pct,
            item.yoy_contribution_pp,
        )
        for position, item in enumerate(items, start=1)
    ]
    assert len(items) > 40
    assert got == want


def test_pages_come_in_order_exports_then_imports(parsed: dict[str, PressRelease]) -> None:
    directions = parsed["2026044e.xml"].commodities["direction"].tolist()
    assert directions == sorted(directions, key=["export", "import"].index)
    assert set(directions) == {"export", "import"}


def row_of(press: PressRelease, direction: str, name: str) -> pd.Series:
    frame = press.commodities
    hits = frame[(frame["direction"] == direction) & (frame["name_en"] == name)]
    assert len(hits) == 1, (direction, name)
    return hits.iloc[0]


def test_semiconductors_have_different_codes_for_exports_and_imports(parsed: dict[str, PressRelease]) -> None:
    april = parsed["2026044e.xml"]
    exports = row_of(april, "export", "SEMICONDUCTORS ETC")
    assert exports["category_code"] == "70323"
    assert exports["yoy_pct"] == 41.6  # as printed, not recomputed
    assert exports["value_jpy"] == 776_094 * MILLION
    assert row_of(april, "import", "SEMICONDUCTORS ETC")["category_code"] == "70311"
    for direction in ("export", "import"):
        total = row_of(april, direction, "Grand Total")
        assert total["category_code"] == "0～9"
        assert total["position"] == 1


def test_quantity_is_as_printed_in_its_unit(
    releases: dict[str, bytes], parsed: dict[str, PressRelease]
) -> None:
    page = world_page(root_of(releases["2026044e.xml"]), "pg3")
    (medical,) = [
        i
        for i in page.iter("shuyochiikikunihininfo")
        if i.findtext("shuyoshohin").strip() == "MEDICAL PRODUCTS"
    ]
    unit = medical.findtext("tani").strip()
    quantity = float(medical.findtext("suryo").replace(",", ""))
    assert unit == "KG"
    row = row_of(parsed["2026044e.xml"], "export", "MEDICAL PRODUCTS")
    assert (row["quantity_unit"], row["quantity"]) == (unit, quantity)


@pytest.mark.parametrize("name", RELEASES)
def test_items_without_a_printed_quantity_have_none(
    releases: dict[str, bytes], parsed: dict[str, PressRelease], name: str
) -> None:
    frame = parsed[name].commodities
    for direction, page in PAGE_OF_DIRECTION.items():
        blank = [i.name for i in printed_items(releases[name], page) if i.quantity is None]
        assert "Grand Total" in blank
        rows = frame[(frame["direction"] == direction) & frame["name_en"].isin(blank)]
        assert len(rows) == len(blank)
        assert rows["quantity"].isna().all()
        assert rows["quantity_unit"].isna().all()


# --- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "2026054.xml",
        "2026053e.xml",
        "2026054j.xml",
        "2026054e.XML",
        "2026054e.xml.bak",
        "press_2026054en.xml",
        "202605-4e.xml",
        "26054e.xml",
        "２０２６０５４e.xml",
    ],
)
def test_a_file_name_not_of_the_form_yyyymmne_xml_is_refused(releases: dict[str, bytes], name: str) -> None:
    problem = only(refused(name, releases["2026054e.xml"]))
    assert "YYYYMMne.xml" in problem.rule


@pytest.mark.parametrize("name", ["2026134e.xml", "2026004e.xml"])
def test_a_file_name_with_an_impossible_month_is_refused(releases: dict[str, bytes], name: str) -> None:
    problem = only(refused(name, releases["2026054e.xml"]))
    assert problem.file == name


def test_a_name_whose_month_disagrees_with_the_release_is_refused(releases: dict[str, bytes]) -> None:
    problem = only(refused("2026064e.xml", releases["2026054e.xml"]))
    assert (problem.row, problem.column) == ("pg1", "taishoymtonen")
    assert "May 2026" in problem.rule
    assert problem.value == "2026-05"


@pytest.mark.parametrize("keep", [0.5, 0.999])
def test_truncated_xml_is_refused(releases: dict[str, bytes], keep: float) -> None:
    content = releases["2026054e.xml"]
    problem = only(refused("2026054e.xml", content[: int(len(content) * keep)]))
    assert "XML" in problem.rule


def test_xml_that_is_not_a_press_release_is_refused(releases: dict[str, bytes]) -> None:
    content = (
        releases["2026054e.xml"].replace(b"<hodoxml>", b"<tradexml>").replace(b"</hodoxml>", b"</tradexml>")
    )
    assert content != releases["2026054e.xml"]
    problem = only(refused("2026054e.xml", content))
    assert problem.value == "tradexml"
    assert "press release" in problem.rule


def test_another_xml_document_is_refused(releases: dict[str, bytes]) -> None:
    problem = only(refused("2026054e.xml", XML_DECLARATION + b"<html><body><p>Not found</p></body></html>"))
    assert problem.value == "html"


def test_an_unknown_commodity_name_is_refused_naming_page_item_and_name(releases: dict[str, bytes]) -> None:
    content = edit_item(releases["2026044e.xml"], "pg3", "MEDICAL PRODUCTS", "shuyoshohin", " MEDICINES")
    names = [i.name for i in printed_items(content, "pg3")]
    problem = only(refused("2026044e.xml", content))
    assert problem.row == "pg3"
    assert problem.column is not None
    assert f"item {names.index('MEDICINES') + 1}" in problem.column
    assert "MEDICINES" in problem.column
    assert problem.value == "MEDICINES"
    assert "export" in problem.rule


def test_an_export_name_on_the_import_page_is_refused(releases: dict[str, bytes]) -> None:
    """PLASTIC MATERIALS is an export item only: on pg4 it has no import code."""
    content = edit_item(releases["2026044e.xml"], "pg4", "WOOD", "shuyoshohin", " PLASTIC MATERIALS")
    problem = only(refused("2026044e.xml", content))
    assert problem.row == "pg4"
    assert "import" in problem.rule
    assert problem.value == "PLASTIC MATERIALS"


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(
    "printed",
    [
        pytest.param(lambda s: s.replace(",", "."), id="dots"),
        pytest.param(lambda s: s.translate(FULLWIDTH), id="fullwidth"),
        pytest.param(lambda s: s.replace(",", ""), id="no-separators"),
        pytest.param(lambda s: "-" + s, id="ascii-minus"),
    ],
)
def test_a_malformed_page_one_amount_is_refused_naming_the_cell(
    releases: dict[str, bytes], printed: Callable[[str], str]
) -> None:
    content = releases["2026054e.xml"]
    bad = printed("9,511,555")
    edited = replace_once(
        content, "<export><sogakutonen>9,511,555</sogakutonen>", f"<export><sogakutonen>{bad}</sogakutonen>"
    )
    problem = only(refused("2026054e.xml", edited))
    assert (problem.row, problem.column, problem.value) == ("pg1", "export/sogakutonen", bad)


@pytest.mark.parametrize("bad", ["139.117", "１３９,１１７", "139，117"])
def test_a_malformed_item_amount_is_refused_naming_page_item_and_field(
    releases: dict[str, bytes], bad: str
) -> None:
    content = edit_item(releases["2026044e.xml"], "pg3", "MEDICAL PRODUCTS", "kagaku", bad)
    problem = only(refused("2026044e.xml", content))
    assert problem.row == "pg3"
    assert "MEDICAL PRODUCTS" in problem.column
    assert "kagaku" in problem.column
    assert problem.value == bad


@pytest.mark.parametrize("bad", ["△6,063,666", "-6,063,666"])
def test_a_negative_quantity_is_refused(releases: dict[str, bytes], bad: str) -> None:
    content = edit_item(releases["2026044e.xml"], "pg3", "MEDICAL PRODUCTS", "suryo", bad)
    problem = only(refused("2026044e.xml", content))
    assert problem.row == "pg3"
    assert "MEDICAL PRODUCTS" in problem.column
    assert "suryo" in problem.column
    assert problem.value == bad


@pytest.mark.parametrize("bad", ["June 31, 2026", "2026-06-17", "TBA", ""])
def test_a_release_date_that_is_not_a_date_is_refused(releases: dict[str, bytes], bad: str) -> None:
    content = replace_once(
        releases["2026054e.xml"], "<kohyoymd>June 17, 2026</kohyoymd>", f"<kohyoymd>{bad}</kohyoymd>"
    )
    problem = only(refused("2026054e.xml", content))
    assert problem.row == "pg1"
    assert "kohyoymd" in str(problem)
    assert problem.value == bad


def with_dtd(content: bytes, dtd: str) -> bytes:
    """`content` with an internal DTD subset after the XML declaration."""
    assert content.startswith(XML_DECLARATION)
    return XML_DECLARATION + dtd.encode() + content[len(XML_DECLARATION) :]


def test_a_billion_laughs_payload_is_refused_without_expanding(releases: dict[str, bytes]) -> None:
    """Ten levels of ten: 10^9 copies of `lol` if expanded. defusedxml refuses the declaration itself."""
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{k} "{f"&lol{k - 1};" * 10}">' for k in range(1, 10)]
    content = with_dtd(releases["2026054e.xml"], f"<!DOCTYPE hodoxml [{''.join(levels)}]>")
    content = replace_once(content, "<kohyoymd>June 17, 2026</kohyoymd>", "<kohyoymd>&lol9;</kohyoymd>")
    error = refused("2026054e.xml", content)
    only(error)
    assert isinstance(error.__cause__, DefusedXmlException)


def test_even_a_harmless_internal_entity_is_not_expanded(releases: dict[str, bytes]) -> None:
    """A plain XML parser would read this file fine (the entity stands for the real date)."""
    content = with_dtd(releases["2026054e.xml"], '<!DOCTYPE hodoxml [<!ENTITY day "June 17, 2026">]>')
    content = replace_once(content, "<kohyoymd>June 17, 2026</kohyoymd>", "<kohyoymd>&day;</kohyoymd>")
    assert root_of(content).findtext("sogakutsuki/kohyoymd") == "June 17, 2026"
    error = refused("2026054e.xml", content)
    only(error)
    assert isinstance(error.__cause__, DefusedXmlException)


def test_a_non_numeric_printed_level_is_refused(releases: dict[str, bytes]) -> None:
    content = edit_item(releases["2026044e.xml"], "pg3", "MEDICAL PRODUCTS", "shuyoshohinbunrui", "x")
    problem = only(refused("2026044e.xml", content))
    assert problem.row == "pg3"
    assert "MEDICAL PRODUCTS" in str(problem.column)


# --- the semi-monthly digits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stage"), [("2026061e.xml", "first_ten_days"), ("2026062e.xml", "first_twenty_days")]
)
def test_semi_monthly_digits_give_their_stage(releases: dict[str, bytes], name: str, stage: str) -> None:
    # Synthetic layout test: no real semi-monthly release is available here, so a real monthly release is
    # saved under a semi-monthly name with its month changed to agree. Only the name and month differ.
    content = replace_once(
        releases["2026054e.xml"],
        "<taishoymtonen>May 2026</taishoymtonen>",
        "<taishoymtonen>June 2026</taishoymtonen>",
    )
    press = parse_press(raw_file(name, content))
    assert press.stage == stage
    assert press.period == date(2026, 6, 1)
    assert not press.is_monthly
    assert press.release_date == date(2026, 6, 17)

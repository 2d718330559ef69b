"""The parser on MOF's real d-files, checked against plain string reads of the same bytes."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tasks.parse import parse_commodities, parse_world
from tests.conftest import raw_file
from tests.independent import value_field
from zeikan.errors import Problem, SourceFormatError
from zeikan.release import CommodityTrade, RawFile, WorldTrade

CRLF = b"\r\n"
PARSERS: dict[str, Callable[[RawFile], WorldTrade | CommodityTrade]] = {
    "d41ma.csv": parse_world,
    "d51ma.csv": parse_commodities,
    "d61ma.csv": parse_commodities,
}
FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def parse(name: str, content: bytes) -> WorldTrade | CommodityTrade:
    return PARSERS[name](raw_file(name, content))


def source_row(content: bytes, month: str) -> tuple[int, list[str]]:
    """(1-based line number, cells split on commas) of the row for `month` (`YYYY/MM`), by string ops."""
    for number, line in enumerate(content.decode("cp932").split("\r\n"), start=1):
        if line.startswith(f"{month},"):
            return number, line.split(",")
    raise AssertionError(f"{month} not in file")


def header_row(content: bytes, label: str) -> tuple[int, list[str]]:
    """(1-based line number, cells) of the first row whose first cell is `label`."""
    for number, row in enumerate(csv.reader(io.StringIO(content.decode("cp932"), newline="")), start=1):
        if row and row[0] == label:
            return number, row
    raise AssertionError(f"no {label} row")


def month_rows(content: bytes) -> list[list[str]]:
    return [
        row
        for row in csv.reader(io.StringIO(content.decode("cp932")))
        if row and re.fullmatch(r"\d{4}/\d\d", row[0])
    ]


def as_date(month: str) -> date:
    year, mm = month.split("/")
    return date(int(year), int(mm), 1)


def refused(name: str, content: bytes) -> list[Problem]:
    """The problems of the SourceFormatError that parsing `content` as `name` raises; each names the file."""
    with pytest.raises(SourceFormatError) as caught:
        parse(name, content)
    problems = caught.value.problems
    assert problems
    assert all(p.file == name for p in problems)
    assert name in str(caught.value)
    return problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


@pytest.fixture(scope="module")
def files(mof_data: Path) -> dict[str, bytes]:
    return {name: (mof_data / name).read_bytes() for name in PARSERS}


@pytest.fixture(scope="module")
def world(files: dict[str, bytes]) -> WorldTrade:
    return parse_world(raw_file("d41ma.csv", files["d41ma.csv"]))


@pytest.fixture(scope="module")
def exports(files: dict[str, bytes]) -> CommodityTrade:
    return parse_commodities(raw_file("d51ma.csv", files["d51ma.csv"]))


@pytest.fixture(scope="module")
def imports(files: dict[str, bytes]) -> CommodityTrade:
    return parse_commodities(raw_file("d61ma.csv", files["d61ma.csv"]))


# --- d41ma: world totals -------------------------------------------------------------------------------


@pytest.mark.real_data
def test_world_periods_run_every_month_from_1979_01_to_2026_08(world: WorldTrade) -> None:
    expected = [date(1979 + i // 12, i % 12 + 1, 1) for i in range((2026 - 1979) * 12 + 8)]
    assert [p.date() for p in world.frame["period"]] == expected
    assert world.latest_period == date(2026, 8, 1)


@pytest.mark.real_data
def test_zero_zero_months_are_unpublished_not_zero_trade(world: WorldTrade, files: dict[str, bytes]) -> None:
    zero_zero = [
        as_date(row[0]) for row in month_rows(files["d41ma.csv"]) if row[1].strip() == row[2].strip() == "0"
    ]
    assert zero_zero == [date(2026, month, 1) for month in (9, 10, 11, 12)]
    assert world.unpublished == zero_zero
    periods = {p.date() for p in world.frame["period"]}
    assert periods.isdisjoint(zero_zero)
    assert (world.frame["exports_jpy"] > 0).all()
    assert (world.frame["imports_jpy"] > 0).all()


@pytest.mark.parametrize("month", ["1979/01", "1990/12", "2008/10", "2026/05", "2026/08"])
@pytest.mark.real_data
def test_world_values_are_exact_yen_thousand_yen_times_1000(
    world: WorldTrade, files: dict[str, bytes], month: str
) -> None:
    _, cells = source_row(files["d41ma.csv"], month)
    row = world.frame[world.frame["period"] == pd.Timestamp(as_date(month))]
    assert len(row) == 1
    assert int(row["exports_jpy"].iloc[0]) == int(cells[1].strip()) * 1000
    assert int(row["imports_jpy"].iloc[0]) == int(cells[2].strip()) * 1000
    assert str(world.frame["exports_jpy"].dtype) == "Int64"


@pytest.mark.parametrize("month", ["1979/01", "2000/06", "2026/08"])
@pytest.mark.real_data
def test_world_line_is_the_source_line_of_the_month(
    world: WorldTrade, files: dict[str, bytes], month: str
) -> None:
    number, _ = source_row(files["d41ma.csv"], month)
    row = world.frame[world.frame["period"] == pd.Timestamp(as_date(month))]
    assert row["line"].tolist() == [number]


@pytest.mark.real_data
def test_every_world_line_holds_its_month(world: WorldTrade, files: dict[str, bytes]) -> None:
    lines = files["d41ma.csv"].decode("cp932").split("\r\n")
    for period, line in zip(world.frame["period"], world.frame["line"], strict=True):
        assert lines[line - 1].startswith(f"{period:%Y/%m},")


# --- header rows are found by label; line ends and a BOM do not matter -----------------------------------


def assert_same_but_lines_shifted(name: str, original: bytes, changed: bytes, shift: int) -> None:
    before, after = parse(name, original), parse(name, changed)
    pd.testing.assert_frame_equal(after.frame.drop(columns="line"), before.frame.drop(columns="line"))
    assert (after.frame["line"] - before.frame["line"]).tolist() == [shift] * len(before.frame)
    if isinstance(before, WorldTrade):
        assert after.unpublished == before.unpublished
    else:
        pd.testing.assert_frame_equal(after.catalog, before.catalog)


@pytest.mark.parametrize("name", list(PARSERS))
@pytest.mark.real_data
def test_extra_title_line_on_top_only_shifts_line_numbers(files: dict[str, bytes], name: str) -> None:
    content = files[name]
    width = content.split(CRLF, 1)[0].count(b",")  # padded with commas like MOF's own title rows
    title = "財務省 貿易統計 (Trade Statistics of Japan)".encode("cp932") + b"," * width
    assert_same_but_lines_shifted(name, content, title + CRLF + content, 1)


@pytest.mark.parametrize("name", list(PARSERS))
@pytest.mark.real_data
def test_blank_line_before_the_header_only_shifts_line_numbers(files: dict[str, bytes], name: str) -> None:
    content = files[name]
    first_header = b"Years/Months," if name == "d41ma.csv" else "報道発表品目名,".encode("cp932")
    assert content.count(CRLF + first_header) == 1
    changed = content.replace(CRLF + first_header, CRLF + CRLF + first_header)
    assert_same_but_lines_shifted(name, content, changed, 1)


@pytest.mark.real_data
def test_title_line_without_trailing_commas_only_shifts_line_numbers(files: dict[str, bytes]) -> None:
    content = files["d41ma.csv"]
    assert_same_but_lines_shifted("d41ma.csv", content, b"Trade Statistics of Japan" + CRLF + content, 1)


@pytest.mark.parametrize("name", list(PARSERS))
@pytest.mark.real_data
def test_lf_line_ends_parse_like_crlf(files: dict[str, bytes], name: str) -> None:
    crlf = files[name]
    lf = crlf.replace(CRLF, b"\n")
    assert CRLF not in lf
    pd.testing.assert_frame_equal(parse(name, lf).frame, parse(name, crlf).frame)


@pytest.mark.parametrize("name", list(PARSERS))
@pytest.mark.real_data
def test_utf8_bom_before_cp932_text_parses_the_same(files: dict[str, bytes], name: str) -> None:
    content = files[name]
    pd.testing.assert_frame_equal(parse(name, b"\xef\xbb\xbf" + content).frame, parse(name, content).frame)


# --- d51ma / d61ma: principal commodities ----------------------------------------------------------------


def printed_codes(content: bytes) -> list[str]:
    _, row = header_row(content, "概況品コード")
    return [cell.replace("'", "") for cell in row[1:] if cell]


def catalog_row(trade: CommodityTrade, code: str) -> pd.Series:
    rows = trade.catalog[trade.catalog["category_code"] == code]
    assert len(rows) == 1, code
    return rows.iloc[0]


@pytest.mark.parametrize(("name", "items"), [("d51ma.csv", 59), ("d61ma.csv", 58)])
@pytest.mark.real_data
def test_catalog_holds_every_printed_code_in_file_order(
    files: dict[str, bytes], name: str, items: int
) -> None:
    trade = parse(name, files[name])
    codes = printed_codes(files[name])
    assert len(codes) == items
    assert trade.catalog["category_code"].tolist() == codes


def placed(trade: CommodityTrade, code: str) -> tuple[int, str | None]:
    """(level, parent code) of `code` in the catalog."""
    row = catalog_row(trade, code)
    return int(row["level"]), None if pd.isna(row["parent_code"]) else row["parent_code"]


@pytest.mark.real_data
def test_export_catalog_levels_and_parents(exports: CommodityTrade) -> None:
    assert placed(exports, "0～9") == (0, None)
    assert placed(exports, "0+1") == (1, "0～9")
    assert placed(exports, "70309+70311") == (2, "703")
    assert placed(exports, "7032305") == (3, "70323")


@pytest.mark.real_data
def test_import_fish_lies_in_food_in_foodstuff(imports: CommodityTrade) -> None:
    assert placed(imports, "007") == (3, "0")
    assert placed(imports, "0") == (2, "0+1")
    assert placed(imports, "0+1") == (1, "0～9")


@pytest.mark.parametrize("name", ["d51ma.csv", "d61ma.csv"])
@pytest.mark.real_data
def test_level_one_is_exactly_the_nine_numbered_press_groups(files: dict[str, bytes], name: str) -> None:
    _, press = header_row(files[name], "報道発表品目名")
    _, codes = header_row(files[name], "概況品コード")
    numbered = [codes[i].replace("'", "") for i, label in enumerate(press) if re.match("[１-９]．", label)]
    assert len(numbered) == 9
    catalog = parse(name, files[name]).catalog
    assert catalog.loc[catalog["level"] == 1, "category_code"].tolist() == numbered
    assert (catalog["level"] == 0).sum() == 1


@pytest.mark.parametrize("name", ["d51ma.csv", "d61ma.csv"])
@pytest.mark.real_data
def test_every_code_has_an_english_name(files: dict[str, bytes], name: str) -> None:
    names = parse(name, files[name]).catalog["category_name_en"]
    assert names.map(lambda n: isinstance(n, str) and n.strip() != "").all()


@pytest.mark.real_data
def test_quantity_is_the_field_left_of_the_value_under_the_code(
    exports: CommodityTrade, files: dict[str, bytes]
) -> None:
    content = files["d51ma.csv"]
    value_at = value_field(content, "507")
    _, codes = header_row(content, "概況品コード")
    assert codes[value_at - 1] == "'507'"  # the code sits over the quantity column
    number, cells = source_row(content, "2026/05")
    row = exports.frame[(exports.frame["period"] == "2026-05-01") & (exports.frame["category_code"] == "507")]
    assert len(row) == 1
    assert row["quantity"].iloc[0] == float(cells[value_at - 1].strip())
    assert row["value_jpy"].iloc[0] == int(cells[value_at].strip()) * 1000
    assert row["line"].iloc[0] == number
    assert row["column"].iloc[0] == value_at + 1


@pytest.mark.real_data
def test_quantity_unit_is_read_above_the_quantity_column(
    exports: CommodityTrade, files: dict[str, bytes]
) -> None:
    content = files["d51ma.csv"]
    _, units = header_row(content, "Years/Months")
    assert units[value_field(content, "507") - 1] == "(単位：KG)"
    assert catalog_row(exports, "507")["quantity_unit"] == "KG"


@pytest.mark.parametrize("code", ["0+1", "70309+70311", "7032305", "8+9"])
@pytest.mark.parametrize("month", ["1988/01", "2026/05", "2026/08"])
@pytest.mark.real_data
def test_export_values_are_the_value_field_times_1000(
    exports: CommodityTrade, files: dict[str, bytes], code: str, month: str
) -> None:
    _, cells = source_row(files["d51ma.csv"], month)
    frame = exports.frame
    row = frame[(frame["period"] == pd.Timestamp(as_date(month))) & (frame["category_code"] == code)]
    assert row["value_jpy"].tolist() == [int(cells[value_field(files["d51ma.csv"], code)].strip()) * 1000]


@pytest.mark.parametrize("month", ["1988/01", "2026/08"])
@pytest.mark.real_data
def test_total_value_sits_under_its_own_code_in_field_2(
    exports: CommodityTrade, files: dict[str, bytes], month: str
) -> None:
    _, cells = source_row(files["d51ma.csv"], month)
    frame = exports.frame
    row = frame[(frame["period"] == pd.Timestamp(as_date(month))) & (frame["category_code"] == "0～9")]
    assert row["value_jpy"].tolist() == [int(cells[1].strip()) * 1000]
    assert row["quantity"].isna().all()


@pytest.mark.parametrize("name", ["d51ma.csv", "d61ma.csv"])
@pytest.mark.real_data
def test_months_with_a_dash_in_every_cell_are_absent(files: dict[str, bytes], name: str) -> None:
    rows = month_rows(files[name])
    all_dash = {as_date(row[0]) for row in rows if all(cell.strip() == "-" for cell in row[1:])}
    assert all_dash == {date(2026, month, 1) for month in (9, 10, 11, 12)}
    periods = {p.date() for p in parse(name, files[name]).frame["period"]}
    assert periods == {as_date(row[0]) for row in rows} - all_dash


# --- what the parser refuses ------------------------------------------------------------------------------


def first_undecodable_line(content: bytes) -> int:
    for number, line in enumerate(content.split(CRLF), start=1):
        try:
            line.decode("cp932")
        except UnicodeDecodeError:
            return number
    raise AssertionError("every line decodes")


@pytest.mark.parametrize("name", list(PARSERS))
@pytest.mark.real_data
def test_utf8_reencoded_file_is_refused_as_not_cp932(files: dict[str, bytes], name: str) -> None:
    utf8 = files[name].decode("cp932").encode("utf-8")
    problem = only(refused(name, utf8))
    assert "cp932" in problem.rule
    assert problem.row == f"line {first_undecodable_line(utf8)}"


@pytest.mark.parametrize("name", list(PARSERS))
def test_html_page_is_refused_by_its_title(name: str) -> None:
    html = (
        b"<!DOCTYPE html>\r\n<html><head><title>404 Not Found</title></head>\r\n<body>gone</body></html>\r\n"
    )
    problem = only(refused(name, html))
    assert problem.row == "title"
    assert "WORLD" in problem.rule


@pytest.mark.parametrize("body", [b"", b"\r\n", b"   \r\n\r\n"])
def test_empty_body_is_refused(body: bytes) -> None:
    assert "empty" in only(refused("d41ma.csv", body)).rule


@pytest.mark.real_data
def test_missing_years_months_header_row_is_refused(files: dict[str, bytes]) -> None:
    content = files["d41ma.csv"]
    assert content.count(b"Years/Months") == 1
    problem = only(refused("d41ma.csv", content.replace(b"Years/Months", b"Year/Month")))
    assert "Years/Months" in problem.rule
    assert "not found" in problem.rule


@pytest.mark.real_data
def test_missing_years_months_header_row_in_d51ma_is_refused(files: dict[str, bytes]) -> None:
    content = files["d51ma.csv"]
    assert content.count(b"Years/Months") == 1
    assert "Years/Months" in only(refused("d51ma.csv", content.replace(b"Years/Months", b"Year/Month"))).rule


def world_with_cell(files: dict[str, bytes], month: str, field: int, new: str) -> tuple[bytes, int, str]:
    """d41ma with `month`'s field replaced by `new`, the row's line, and the column as number and header."""
    content = files["d41ma.csv"]
    number, cells = source_row(content, month)
    old_line = ",".join(cells).encode("cp932")
    new_line = ",".join([*cells[:field], new, *cells[field + 1 :]]).encode("cp932")
    assert content.count(CRLF + old_line + CRLF) == 1
    _, header = header_row(content, "Years/Months")
    changed = content.replace(CRLF + old_line + CRLF, CRLF + new_line + CRLF)
    return changed, number, f"{field + 1} {header[field]}"


@pytest.mark.real_data
def test_non_numeric_cell_is_refused_naming_month_line_and_column(files: dict[str, bytes]) -> None:
    content, number, column = world_with_cell(files, "2026/05", 1, "n/a ")
    problem = only(refused("d41ma.csv", content))
    assert (problem.row, problem.column, problem.value) == (f"2026/05 (line {number})", column, "n/a")
    assert "not a number" in problem.rule


@pytest.mark.real_data
def test_fullwidth_digits_are_refused(files: dict[str, bytes]) -> None:
    _, cells = source_row(files["d41ma.csv"], "1979/02")
    fullwidth = cells[2].strip().translate(FULLWIDTH_DIGITS)
    content, number, column = world_with_cell(files, "1979/02", 2, fullwidth + " ")
    problem = only(refused("d41ma.csv", content))
    assert (problem.row, problem.column, problem.value) == (f"1979/02 (line {number})", column, fullwidth)
    assert "not a number" in problem.rule


@pytest.mark.real_data
def test_thousands_separators_in_a_quoted_cell_are_refused(files: dict[str, bytes]) -> None:
    _, cells = source_row(files["d41ma.csv"], "2008/10")
    digits = cells[1].strip()
    grouped = f"{int(digits):,}"
    content, number, column = world_with_cell(files, "2008/10", 1, f'"{grouped}" ')
    problem = only(refused("d41ma.csv", content))
    assert (problem.row, problem.column) == (f"2008/10 (line {number})", column)
    assert problem.value is not None and problem.value.strip('" ') == grouped
    assert "not a number" in problem.rule


@pytest.mark.real_data
def test_extra_field_in_a_data_row_is_refused_naming_its_line(files: dict[str, bytes]) -> None:
    content = files["d41ma.csv"]
    number, cells = source_row(content, "2026/05")
    line = ",".join(cells).encode()
    problem = only(refused("d41ma.csv", content.replace(CRLF + line + CRLF, CRLF + line + b",0" + CRLF, 1)))
    assert problem.row is not None and f"line {number}" in problem.row
    assert "more fields" in problem.rule


@pytest.mark.real_data
def test_extra_field_in_d51ma_is_refused_naming_its_line(files: dict[str, bytes]) -> None:
    content = files["d51ma.csv"]
    number, _ = source_row(content, "2026/05")
    problem = only(refused("d51ma.csv", content.replace(CRLF + b"2026/05,", CRLF + b"2026/05,0 ,", 1)))
    assert problem.row is not None and f"line {number}" in problem.row
    assert "more fields" in problem.rule


@pytest.mark.real_data
def test_renamed_commodity_code_is_refused_naming_its_column(files: dict[str, bytes]) -> None:
    content = files["d51ma.csv"]
    assert content.count(b"'70323'") == 1
    changed = content.replace(b"'70323'", b"'70399'")
    code_line, codes = header_row(changed, "概況品コード")
    problems = refused("d51ma.csv", changed)
    unknown = [p for p in problems if p.value == "'70399'"]
    assert len(unknown) == 1
    assert unknown[0].column == str(codes.index("'70399'") + 1)
    assert unknown[0].row is not None and f"line {code_line}" in unknown[0].row
    assert "unknown" in unknown[0].rule
    assert any(p.value == "70323" and "missing" in p.rule for p in problems)


def without_item(content: bytes, code: str) -> bytes:
    """The file with `code`'s two fields (quantity under the code, value to its right) cut from every line."""
    lines = content.split(CRLF)
    _, codes = header_row(content, "概況品コード")
    at = codes.index(f"'{code}'")
    trimmed = []
    for line in lines:
        cells = line.split(b",")
        if len(cells) > at + 1:
            del cells[at : at + 2]
        trimmed.append(b",".join(cells))
    return CRLF.join(trimmed)


@pytest.mark.real_data
def test_item_removed_with_its_columns_is_refused_as_missing(files: dict[str, bytes]) -> None:
    changed = without_item(files["d51ma.csv"], "507")
    assert len(printed_codes(changed)) == 58
    problem = only(refused("d51ma.csv", changed))
    assert problem.value == "507"
    assert "missing" in problem.rule


@pytest.mark.real_data
def test_blanked_code_cell_is_refused_as_codes_and_values_disagreeing(files: dict[str, bytes]) -> None:
    content = files["d61ma.csv"]
    assert content.count(b",'507',") == 1
    code_line, _ = header_row(content, "概況品コード")
    items = len(printed_codes(content))
    problem = only(refused("d61ma.csv", content.replace(b",'507',", b",,")))
    assert problem.row == f"line {code_line}"
    assert f"{items - 1} commodity codes" in problem.rule
    assert f"{items} value" in problem.rule


@pytest.mark.parametrize("name", list(PARSERS))
@pytest.mark.real_data
def test_other_area_file_like_d42ma_is_refused_by_its_title(files: dict[str, bytes], name: str) -> None:
    content = files[name]
    title_lines = content.split(CRLF)[:2]
    assert sum(line.count(b"WORLD") for line in title_lines) == 1
    problem = only(refused(name, content.replace(b"WORLD", b"ASIA", 1)))
    assert problem.row == "title"
    assert "WORLD" in problem.rule

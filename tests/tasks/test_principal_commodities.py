"""Principal-commodity codes: cleaning, containment, the hierarchy, and the English reference names."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tasks.principal_commodities import clean_code, code_parts, contains, hierarchy
from tests.conftest import REPO

REFERENCE = REPO / "zeikan" / "reference" / "principal_commodities.csv"


@pytest.mark.parametrize(
    ("printed", "clean"),
    [("'70323'", "70323"), ("'0'+'1'", "0+1"), ("'70309'+'70311'", "70309+70311"), ("'0'～'9'", "0～9")],
)
def test_clean_code_drops_the_quotes_only(printed: str, clean: str) -> None:
    assert clean_code(printed) == clean


def test_code_parts_split_a_sum() -> None:
    assert code_parts("0+1") == ("0", "1")
    assert code_parts("70309+70311") == ("70309", "70311")
    assert code_parts("507") == ("507",)


def test_the_total_covers_all_ten_sections() -> None:
    assert sorted(code_parts("0～9")) == [str(d) for d in range(10)]


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        ("0", "007"),
        ("0+1", "0"),
        ("0+1", "007"),
        ("0～9", "8+9"),
        ("0～9", "7032305"),
        ("70323", "7032305"),
        ("70309+70311", "70311"),
        ("70309+70311", "7030903"),
    ],
)
def test_an_item_lies_in_a_code_whose_parts_prefix_all_of_its_own(outer: str, inner: str) -> None:
    assert contains(outer, inner)


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        ("007", "0"),
        ("0", "1"),
        ("0", "0+1"),
        ("70309", "70309+70311"),
        ("70101", "7010505"),
        ("0+1", "0～9"),
        ("8+9", "7"),
    ],
)
def test_an_item_does_not_lie_in_a_code_that_misses_one_of_its_parts(outer: str, inner: str) -> None:
    assert not contains(outer, inner)


def test_fish_lies_in_food_which_lies_in_foodstuff() -> None:
    levels = hierarchy(["0～9", "0+1", "0", "1", "007", "8+9", "8"])
    assert levels["0～9"] == (0, None)
    assert levels["0+1"] == (1, "0～9")
    assert levels["0"] == (2, "0+1")
    assert levels["1"] == (2, "0+1")
    assert levels["007"] == (3, "0")
    assert levels["8"] == (2, "8+9")


def test_the_parent_is_the_narrowest_container_whatever_the_order() -> None:
    levels = hierarchy(["007", "0～9", "0", "0+1"])
    assert levels["007"] == (3, "0")
    assert levels["0"] == (2, "0+1")


def test_shared_leading_digits_without_a_prefix_are_siblings() -> None:
    levels = hierarchy(["0～9", "701", "70101", "7010505"])
    assert levels["70101"] == (2, "701")
    assert levels["7010505"] == (2, "701")


def test_a_sum_of_two_items_holds_both_and_their_sub_items() -> None:
    levels = hierarchy(["0～9", "703", "70309+70311", "70309", "7030903", "70311"])
    assert levels["70309+70311"] == (2, "703")
    assert levels["70309"] == (3, "70309+70311")
    assert levels["70311"] == (3, "70309+70311")
    assert levels["7030903"] == (4, "70309")


def test_codes_with_no_container_are_roots() -> None:
    assert hierarchy(["0", "1"]) == {"0": (0, None), "1": (0, None)}


def press_names(xml: Path, page: str) -> list[str]:
    """The item names of one principal-commodity page of MOF's English press release, in order."""
    root = ET.parse(xml).getroot()  # noqa: S314 - a trusted file shipped with the project's test data
    pages = [p for p in root.iter("shuyochiikikunihin") if p.get("name") == page]
    assert len(pages) == 1
    return [(item.findtext("shuyoshohin") or "").strip() for item in pages[0].iter("shuyochiikikunihininfo")]


def codes_in_press_release(d_file: Path) -> list[str]:
    """Codes whose press-release name (報道発表品目名) is filled in the d-file's header, in column order."""
    rows = list(csv.reader(io.StringIO(d_file.read_bytes().decode("cp932"))))
    press = next(row for row in rows if row and row[0] == "報道発表品目名")
    codes = next(row for row in rows if row and row[0] == "概況品コード")
    return [codes[i].replace("'", "") for i in range(1, len(codes)) if codes[i] and press[i]]


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("direction", "d_file", "page"), [("export", "d51ma.csv", "pg3"), ("import", "d61ma.csv", "pg4")]
)
def test_reference_names_agree_in_order_with_the_press_release(
    mof_data: Path, direction: str, d_file: str, page: str
) -> None:
    with REFERENCE.open(encoding="utf-8", newline="") as handle:
        reference = {(r["direction"], r["category_code"]): r["name_en"] for r in csv.DictReader(handle)}
    codes = codes_in_press_release(mof_data / d_file)
    names = press_names(mof_data / "press" / "2026054e.xml", page)
    assert codes[0] == "0～9"
    assert len(names) == len(codes)
    assert [reference.get((direction, code)) for code in codes] == names


@pytest.mark.parametrize(("direction", "items"), [("export", 59), ("import", 58)])
def test_reference_lists_every_item_once_per_direction(direction: str, items: int) -> None:
    with REFERENCE.open(encoding="utf-8", newline="") as handle:
        codes = [r["category_code"] for r in csv.DictReader(handle) if r["direction"] == direction]
    assert len(codes) == items
    assert len(set(codes)) == items

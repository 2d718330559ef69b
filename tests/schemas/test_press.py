"""PressTotals and PressCommodities: real releases pass; edits of the real XML break the rule they should.

The edits are made to MOF's bytes and run through the parser and `check_press`, so a failure is reported
the way an operator sees it (file, page item, column, rule). Amounts to edit are read from the XML with
xml.etree here, never from the parser's output.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest

from schemas.press import PressTotals
from tasks.parse_press import parse_press
from tasks.validate_press import check_press
from tests.conftest import raw_file
from tests.printed import PAGE_OF_DIRECTION, RELEASES, item_span, root_of
from zeikan.errors import Problem, ValidationFailed
from zeikan.release import PressRelease

pytestmark = pytest.mark.real_data

MILLION = 1_000_000
TOLERANCE_MN_YEN = 9  # the brief: the nine groups may miss the Grand Total by at most 9 million yen
BALANCE_RULE = "the balance must equal exports minus imports"
GROUPS_RULE = "nine press groups"
GRAND_TOTAL_RULE = "Grand Total must equal page 1"
ONCE_RULE = "appear once"


# --- reading and editing the real XML ---------------------------------------------------------------


def million_yen(text: str | None) -> int:
    """A printed amount (`△378,673`) as an integer number of million yen."""
    cell = (text or "").strip()
    sign = -1 if cell.startswith("△") else 1
    return sign * int(cell.removeprefix("△").replace(",", ""))


def printed(million: int) -> str:
    """The reverse: -378673 → `△378,673`."""
    return f"△{-million:,}" if million < 0 else f"{million:,}"


def page_one(content: bytes, tag: str) -> int:
    """Page 1's figure for `export`, `import` or `sashihiki` (the balance), million yen."""
    return million_yen(root_of(content).findtext(f"sogakutsuki/{tag}/sogakutonen"))


def set_page_one(content: bytes, tag: str, million: int) -> bytes:
    old = f"<{tag}><sogakutonen>{printed(page_one(content, tag))}</sogakutonen>".encode()
    assert content.count(old) == 1, old
    return content.replace(old, f"<{tag}><sogakutonen>{printed(million)}</sogakutonen>".encode())


def page_items(content: bytes, page: str) -> list[ET.Element]:
    (found,) = [p for p in root_of(content).iter("shuyochiikikunihin") if p.get("name") == page]
    return list(found.iter("shuyochiikikunihininfo"))


def item_value(content: bytes, page: str, name: str) -> int:
    (item,) = [i for i in page_items(content, page) if (i.findtext("shuyoshohin") or "").strip() == name]
    return million_yen(item.findtext("kagaku"))


def groups_gap(content: bytes, page: str) -> int:
    """Grand Total − the sum of the nine groups (printed level 1), million yen, as printed."""
    items = page_items(content, page)
    level = {"0": [], "1": []}
    for item in items:
        printed_level = (item.findtext("shuyoshohinbunrui") or "").strip()
        if printed_level in level:
            level[printed_level].append(million_yen(item.findtext("kagaku")))
    assert len(level["0"]) == 1
    assert len(level["1"]) == 9
    return level["0"][0] - sum(level["1"])


def set_item_value(content: bytes, page: str, name: str, million: int) -> bytes:
    """Item `name`'s printed value (kagaku) on `page` set to `million`; every other byte as served."""
    text = content.decode("utf-8")
    found = item_span(text, page, name)
    edited, hits = re.subn(
        r"<kagaku>[^<]*</kagaku>", lambda _: f"<kagaku>{printed(million)}</kagaku>", found.group(), count=1
    )
    assert hits == 1
    return (text[: found.start()] + edited + text[found.end() :]).encode("utf-8")


def duplicate_item(content: bytes, page: str, name: str) -> bytes:
    """The item's element printed twice in a row, as a repeated line in MOF's table would be."""
    text = content.decode("utf-8")
    found = item_span(text, page, name)
    return (text[: found.end()] + found.group() + text[found.end() :]).encode("utf-8")


def drop_item(content: bytes, page: str, name: str) -> bytes:
    text = content.decode("utf-8")
    found = item_span(text, page, name)
    return (text[: found.start()] + text[found.end() :]).encode("utf-8")


# --- fixtures and helpers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def releases(mof_data: Path) -> dict[str, bytes]:
    return {name: (mof_data / "press" / name).read_bytes() for name in RELEASES}


def checked(name: str, content: bytes) -> PressRelease:
    press = parse_press(raw_file(name, content))
    assert check_press(press) is press
    return press


def refused(name: str, content: bytes) -> ValidationFailed:
    press = parse_press(raw_file(name, content))
    with pytest.raises(ValidationFailed) as caught:
        check_press(press)
    assert caught.value.problems
    assert all(p.file == name for p in caught.value.problems)
    return caught.value


def about(error: ValidationFailed, fragment: str) -> list[Problem]:
    """The problems whose rule contains `fragment`; each also appears in the error's message."""
    hits = [p for p in error.problems if fragment in p.rule]
    for problem in hits:
        assert str(problem) in str(error)
    return hits


def only_rule(error: ValidationFailed, fragment: str) -> list[Problem]:
    """The problems of `error`, after checking that every one of them is about `fragment`."""
    hits = about(error, fragment)
    assert hits, error.problems
    assert hits == error.problems, error.problems
    return hits


# --- real releases ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RELEASES)
def test_check_press_accepts_the_real_releases(releases: dict[str, bytes], name: str) -> None:
    checked(name, releases[name])


# --- PressTotals ------------------------------------------------------------------------------------


def pg1_table(mof_data: Path) -> list[dict[str, str]]:
    with (mof_data / "press_pg1_totals.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def totals_frame(row: dict[str, str]) -> pd.DataFrame:
    """A PressTotals frame built by hand from one row of press_pg1_totals.csv."""

    def rate(cell: str) -> float | None:
        return None if cell == "-" else float(cell)

    data: dict[str, object] = {"period": pd.to_datetime([row["month"] + "-01"])}
    for ours, theirs in (("exports", "export"), ("imports", "import"), ("balance", "balance")):
        data[f"{ours}_jpy"] = pd.array([int(row[f"{theirs}_mn_yen"]) * MILLION], dtype="Int64")
        data[f"{ours}_year_ago_jpy"] = pd.array(
            [int(row[f"{theirs}_prev_year_mn_yen"]) * MILLION], dtype="Int64"
        )
        data[f"{ours}_yoy_pct"] = pd.array([rate(row[f"{theirs}_yoy_pct"])], dtype="Float64")
    return pd.DataFrame(data)


def totals_failures(frame: pd.DataFrame) -> pd.DataFrame:
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        PressTotals.validate(frame, lazy=True)
    return caught.value.failure_cases


def test_press_totals_accepts_page_one_of_all_five_releases(mof_data: Path) -> None:
    rows = pg1_table(mof_data)
    assert len(rows) == 5
    for row in rows:
        frame = totals_frame(row)
        pd.testing.assert_frame_equal(PressTotals.validate(frame), frame)


@pytest.mark.parametrize("off_by", [1, -1, 1_000_000])
def test_press_totals_refuses_a_balance_that_is_not_exports_minus_imports(
    mof_data: Path, off_by: int
) -> None:
    frame = totals_frame(pg1_table(mof_data)[3])
    frame["balance_jpy"] = frame["balance_jpy"] + off_by * MILLION
    cases = totals_failures(frame)
    assert set(cases["check"]) == {BALANCE_RULE}


@pytest.mark.parametrize("column", ["exports_jpy", "imports_jpy"])
def test_press_totals_refuses_negative_trade(mof_data: Path, column: str) -> None:
    frame = totals_frame(pg1_table(mof_data)[3])
    frame[column] = -frame[column]
    frame["balance_jpy"] = frame["exports_jpy"] - frame["imports_jpy"]  # keep the balance rule satisfied
    cases = totals_failures(frame)
    assert set(cases["check"]) == {"greater_than_or_equal_to(0)"}
    assert set(cases["column"]) == {column}


def test_a_printed_balance_that_does_not_add_up_is_reported_on_page_one(releases: dict[str, bytes]) -> None:
    content = releases["2026054e.xml"]
    edited = set_page_one(content, "sashihiki", page_one(content, "sashihiki") - 1)  # △378,674
    (problem,) = only_rule(refused("2026054e.xml", edited), BALANCE_RULE)
    assert (problem.row, problem.column) == ("pg1", "balance_jpy")


def test_negative_exports_on_page_one_are_reported(releases: dict[str, bytes]) -> None:
    content = releases["2026054e.xml"]
    exports, imports = page_one(content, "export"), page_one(content, "import")
    edited = set_page_one(content, "export", -exports)
    edited = set_page_one(edited, "sashihiki", -exports - imports)
    error = refused("2026054e.xml", edited)
    negative = [p for p in error.problems if p.row == "pg1" and p.column == "exports_jpy"]
    assert len(negative) == 1
    assert "negative" in negative[0].rule
    assert not about(error, BALANCE_RULE)


# --- PressCommodities via check_press ---------------------------------------------------------------


@pytest.mark.parametrize("name", RELEASES)
@pytest.mark.parametrize("direction", ["export", "import"])
@pytest.mark.parametrize("gap", [TOLERANCE_MN_YEN, -TOLERANCE_MN_YEN])
def test_groups_within_the_rounding_tolerance_pass(
    releases: dict[str, bytes], name: str, direction: str, gap: int
) -> None:
    page = PAGE_OF_DIRECTION[direction]
    content = releases[name]
    shift = groups_gap(content, page) - gap  # raising a group by `shift` leaves the total `gap` above them
    assert shift != 0
    edited = set_item_value(content, page, "4 CHEMICALS", item_value(content, page, "4 CHEMICALS") + shift)
    assert groups_gap(edited, page) == gap
    checked(name, edited)


@pytest.mark.parametrize("name", RELEASES)
@pytest.mark.parametrize("direction", ["export", "import"])
@pytest.mark.parametrize("gap", [TOLERANCE_MN_YEN + 1, -TOLERANCE_MN_YEN - 1, 100_000])
def test_groups_that_miss_the_grand_total_fail(
    releases: dict[str, bytes], name: str, direction: str, gap: int
) -> None:
    page = PAGE_OF_DIRECTION[direction]
    content = releases[name]
    shift = groups_gap(content, page) - gap
    edited = set_item_value(content, page, "4 CHEMICALS", item_value(content, page, "4 CHEMICALS") + shift)
    assert groups_gap(edited, page) == gap
    (problem,) = only_rule(refused(name, edited), GROUPS_RULE)
    assert problem.row is not None
    assert direction in problem.row
    assert "Grand Total" in problem.row


@pytest.mark.parametrize(
    ("direction", "tag", "balance_sign"), [("export", "export", 1), ("import", "import", -1)]
)
def test_a_grand_total_that_differs_from_page_one_fails(
    releases: dict[str, bytes], direction: str, tag: str, balance_sign: int
) -> None:
    """Page 1's figure moved by a million yen, the balance with it: only the commodity page disagrees."""
    content = releases["2026054e.xml"]
    edited = set_page_one(content, tag, page_one(content, tag) + 1)
    edited = set_page_one(edited, "sashihiki", page_one(content, "sashihiki") + balance_sign)
    (problem,) = only_rule(refused("2026054e.xml", edited), GRAND_TOTAL_RULE)
    assert problem.row is not None
    assert direction in problem.row
    assert "Grand Total" in problem.row
    assert problem.column == "value_jpy"


def test_a_commodity_page_grand_total_edited_alone_fails(releases: dict[str, bytes]) -> None:
    content = releases["2026044e.xml"]
    total = item_value(content, "pg3", "Grand Total")
    edited = set_item_value(content, "pg3", "Grand Total", total - 1)
    assert abs(groups_gap(edited, "pg3")) <= TOLERANCE_MN_YEN  # the groups still agree; page 1 does not
    (problem,) = only_rule(refused("2026044e.xml", edited), GRAND_TOTAL_RULE)
    assert "export" in str(problem.row)


@pytest.mark.parametrize(("direction", "name"), [("export", "MEDICAL PRODUCTS"), ("import", "LNG")])
def test_a_duplicated_item_row_fails(releases: dict[str, bytes], direction: str, name: str) -> None:
    edited = duplicate_item(releases["2026054e.xml"], PAGE_OF_DIRECTION[direction], name)
    problems = only_rule(refused("2026054e.xml", edited), ONCE_RULE)
    assert len(problems) == 2  # both copies are named
    for problem in problems:
        assert direction in str(problem.row)
        assert name in str(problem.row)
    assert problems[0].row != problems[1].row  # at their two positions on the page


def test_a_page_without_its_grand_total_fails(releases: dict[str, bytes]) -> None:
    edited = drop_item(releases["2026044e.xml"], "pg3", "Grand Total")
    refused("2026044e.xml", edited)

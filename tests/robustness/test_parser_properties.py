"""Property-based tests of the parsers: arbitrary mutations of MOF's real files, read the way the flow does.

Each example mutates one real file (a cell replaced with digits or any cp932 text, a line deleted,
duplicated or swapped, random bytes inserted, the file cut short, a byte flipped; for the press release a
value replaced or an element deleted), then parses it and validates the release around it. The property:
either the project refuses it (`SourceFormatError`, `ValidationFailed`, `ReleaseNotPublished`) or every
number it accepted is the number printed in the mutated file at that row and column, read independently
(the csv module for the d-files, the standard library's ElementTree for the XML), and no printed month is
left out. Never any other exception, never a silently wrong or missing number.

Numbers are drawn up to 15 digits, what MOF could print (¥10^18 fits a BIGINT). Longer numbers and a
header row moved below month rows once broke the property; those findings are pinned at the end of this
module as tests of their own, so they stay fixed.

Hypothesis runs derandomized (the same examples every run) so that CI is stable.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.parse import parse_commodities, parse_world
from tasks.parse_press import WORLD_PAGE_TITLE, parse_press
from tasks.validate import check_release
from tasks.validate_press import check_press
from tests.conftest import raw_file
from tests.independent import value_field
from tests.printed import printed_amount, printed_count, printed_rate
from tests.robustness.record import record
from zeikan.errors import ReleaseNotPublished, SourceFormatError, ValidationFailed
from zeikan.release import EXPORTS_FILE, IMPORTS_FILE, WORLD_FILE, ParsedRelease, RawFile

pytestmark = pytest.mark.real_data

AS_OF = date(2026, 9, 20)
PRESS = "2026054e.xml"
REFUSALS = (SourceFormatError, ValidationFailed, ReleaseNotPublished)
CRLF = b"\r\n"
BOM = b"\xef\xbb\xbf"
MONTH = re.compile(r"[0-9]{4}/(0[1-9]|1[0-2])")
PRINTED_INTEGER = re.compile(r"-?[0-9]+")
PRINTED_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
EXAMPLES = {WORLD_FILE: 120, EXPORTS_FILE: 50, IMPORTS_FILE: 50, PRESS: 100}


def examples(name: str) -> settings:
    return settings(
        max_examples=EXAMPLES[name],
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- mutations ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    """One edit of a file's bytes; positions are taken modulo its size, so any edit applies anywhere."""

    kind: str
    at: int
    other: int = 0
    text: str = ""
    data: bytes = b""

    def apply(self, content: bytes) -> bytes:
        lines = content.split(CRLF)
        line, other_line = self.at % len(lines), self.other % len(lines)
        position = self.at % max(len(content), 1)
        if self.kind == "replace_cell":
            cells = lines[line].split(b",")
            cells[self.other % len(cells)] = self.text.encode("cp932")
            lines[line] = b",".join(cells)
        elif self.kind == "delete_line":
            del lines[line]
        elif self.kind == "duplicate_line":
            lines.insert(line, lines[line])
        elif self.kind == "swap_lines":
            lines[line], lines[other_line] = lines[other_line], lines[line]
        elif self.kind == "insert_bytes":
            return content[:position] + self.data + content[position:]
        elif self.kind == "truncate":
            return content[:position]
        elif self.kind == "flip_byte":
            return (
                content[:position]
                + bytes([content[position] ^ (self.other % 255 + 1)])
                + content[position + 1 :]
            )
        return CRLF.join(lines)


ANYWHERE = st.integers(0, 10**6)
CP932_TEXT = st.text(st.characters(codec="cp932", exclude_characters="\r\n¢£¬‖−〜"), max_size=10)
PLAUSIBLE_NUMBER = st.from_regex(r"[0-9]{1,15} ?", fullmatch=True)
CELL_TEXT = st.one_of(
    PLAUSIBLE_NUMBER,
    PLAUSIBLE_NUMBER,
    st.from_regex(r"-[0-9]{1,15} ?", fullmatch=True),
    st.from_regex(r"[0-9]{1,9}\.[0-9]{1,4} ?", fullmatch=True),
    st.sampled_from(
        ["-", "", " ", "0", "-0", "n/a", "１２３", '"1,234"', "1,234", "1e5", "NaN", "△5", "+5", "1_000"]
    ),
    CP932_TEXT,
)
D_FILE_MUTATION = st.one_of(
    st.builds(Mutation, st.just("replace_cell"), ANYWHERE, ANYWHERE, CELL_TEXT),
    st.builds(Mutation, st.just("replace_cell"), ANYWHERE, ANYWHERE, PLAUSIBLE_NUMBER),
    st.builds(Mutation, st.just("replace_cell"), ANYWHERE, ANYWHERE, PLAUSIBLE_NUMBER),
    st.builds(Mutation, st.just("delete_line"), ANYWHERE),
    st.builds(Mutation, st.just("duplicate_line"), ANYWHERE),
    st.builds(Mutation, st.just("swap_lines"), ANYWHERE, ANYWHERE),
    st.builds(Mutation, st.just("insert_bytes"), ANYWHERE, data=st.binary(min_size=1, max_size=8)),
    st.builds(Mutation, st.just("truncate"), ANYWHERE),
    st.builds(Mutation, st.just("flip_byte"), ANYWHERE, ANYWHERE),
)


# --- an independent reading of the d-files ---------------------------------------------------------------


def printed_rows(content: bytes) -> dict[int, list[str]]:
    """Every row as the csv module reads it, by the line it starts on, cells stripped."""
    text = content.removeprefix(BOM).decode("cp932")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = {}
    for row in reader:
        rows[reader.line_num] = [cell.strip() for cell in row]
    return rows


def printed_thousand_yen(cell: str) -> int | None:
    """A value cell as MOF prints it: digits in thousand yen (→ yen), or `-` for none."""
    if cell == "-":
        return None
    assert PRINTED_INTEGER.fullmatch(cell), cell
    return int(cell) * 1000


def printed_quantity(cell: str) -> float | None:
    if cell == "-":
        return None
    assert PRINTED_DECIMAL.fullmatch(cell), cell
    return float(cell)


def zero_zero(row: list[str]) -> bool:
    """d41ma lists months MOF has not published yet as `0,0`."""
    return all(PRINTED_INTEGER.fullmatch(cell) and int(cell) == 0 for cell in row[1:3])


def month_of(row: list[str]) -> str | None:
    return row[0] if row and MONTH.fullmatch(row[0]) else None


def value_fields(rows: dict[int, list[str]]) -> dict[str, int]:
    """Each commodity code's value field (0-based): the total's code sits over its value, every later code
    over its quantity with the value one to the right (CONTRACT §1)."""
    codes = next(row for row in rows.values() if row and row[0] == "概況品コード")
    return {
        cell.replace("'", ""): (field if field == 1 else field + 1)
        for field, cell in enumerate(codes)
        if field > 0 and cell
    }


def agree(found: object, printed: int | float | None) -> bool:
    return pd.isna(found) if printed is None else (not pd.isna(found) and found == printed)


def assert_world_as_printed(content: bytes, world: pd.DataFrame) -> None:
    rows = printed_rows(content)
    for row in world.itertuples():
        printed = rows[row.line]
        assert printed[0] == f"{row.period:%Y/%m}"
        assert row.exports_jpy == printed_thousand_yen(printed[1]), (row, printed)
        assert row.imports_jpy == printed_thousand_yen(printed[2]), (row, printed)
    published = {line for line, printed in rows.items() if month_of(printed) and not zero_zero(printed)}
    assert set(world["line"]) == published, "a published month was left out (or one appeared)"


def assert_commodities_as_printed(content: bytes, frame: pd.DataFrame) -> None:
    rows = printed_rows(content)
    fields = value_fields(rows)
    seen = set()
    for row in frame.itertuples():
        printed = rows[row.line]
        field = fields[row.category_code]
        assert printed[0] == f"{row.period:%Y/%m}"
        assert agree(row.value_jpy, printed_thousand_yen(printed[field])), (row, printed[field])
        quantity = printed_quantity(printed[field - 1]) if field > 1 else None
        assert agree(row.quantity, quantity), (row, printed[field - 1])
        seen.add((row.line, row.category_code))
    expected = set()
    for line, printed in rows.items():
        if month_of(printed) and any(cell != "-" for cell in printed[1:]):
            for code, field in fields.items():
                if field == 1 or printed[field : field + 1] != ["-"] or printed[field - 1] != "-":
                    expected.add((line, code))
    assert seen == expected, "a printed figure was left out (or one appeared)"


# --- the properties ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RealRelease:
    raw: dict[str, RawFile]
    parsed: ParsedRelease


@pytest.fixture(scope="module")
def real(mof_data: Path) -> RealRelease:
    raw = {
        name: raw_file(name, (mof_data / name).read_bytes())
        for name in (WORLD_FILE, EXPORTS_FILE, IMPORTS_FILE)
    }
    raw[PRESS] = raw_file(PRESS, (mof_data / "press" / PRESS).read_bytes())
    parsed = ParsedRelease(
        list(raw.values())[:3],
        parse_world(raw[WORLD_FILE]),
        parse_commodities(raw[EXPORTS_FILE]),
        parse_commodities(raw[IMPORTS_FILE]),
    )
    return RealRelease(raw, parsed)


def accepted_release(real: RealRelease, name: str, content: bytes) -> ParsedRelease:
    """The release with `name` replaced by `content`, parsed and validated as the flow does (or raises)."""
    mutated = raw_file(name, content)
    release = real.parsed
    if name == WORLD_FILE:
        release = ParsedRelease(release.files, parse_world(mutated), release.exports, release.imports)
    elif name == EXPORTS_FILE:
        release = ParsedRelease(release.files, release.world, parse_commodities(mutated), release.imports)
    else:
        release = ParsedRelease(release.files, release.world, release.exports, parse_commodities(mutated))
    return check_release(release, AS_OF)


def run_property(name: str, strategy: st.SearchStrategy, check: Callable[[object], str]) -> Counter[str]:
    """Run `check` over `strategy`'s examples; returns how many were accepted and refused."""
    outcomes: Counter[str] = Counter()

    @examples(name)
    @given(strategy)
    def property_holds(example: object) -> None:
        outcomes[check(example)] += 1

    title = f"{name}: mutations parse exactly as printed or are refused"
    try:
        property_holds()
    except BaseException as failure:
        first_line = (str(failure) or type(failure).__name__).splitlines()[0]
        record("property", title, f"FAILED: {first_line}"[:300], examples=sum(outcomes.values()))
        raise
    total = sum(outcomes.values())
    record(
        "property",
        title,
        f"{total} examples held ({outcomes['accepted']} accepted as printed, {outcomes['refused']} refused)",
        examples=total,
        accepted=outcomes["accepted"],
        refused=outcomes["refused"],
    )
    return outcomes


def d_file_outcome(real: RealRelease, name: str, content: bytes) -> str:
    """`refused`, or `accepted` once every accepted figure is checked against the printed file."""
    try:
        release = accepted_release(real, name, content)
    except REFUSALS:
        return "refused"
    if name == WORLD_FILE:
        assert_world_as_printed(content, release.world.frame)
    else:
        trade = release.exports if name == EXPORTS_FILE else release.imports
        assert_commodities_as_printed(content, trade.frame)
    return "accepted"


@pytest.mark.parametrize("name", [WORLD_FILE, EXPORTS_FILE, IMPORTS_FILE])
def test_mutated_d_file_is_read_exactly_as_printed_or_refused(name: str, real: RealRelease) -> None:
    original = real.raw[name].content

    def check(mutations: list[Mutation]) -> str:
        content = original
        for mutation in mutations:
            content = mutation.apply(content)
        return d_file_outcome(real, name, content)

    outcomes = run_property(name, st.lists(D_FILE_MUTATION, min_size=1, max_size=2), check)
    assert outcomes["accepted"] and outcomes["refused"]


# --- the press release ----------------------------------------------------------------------------------

VALUE_TAGS = (
    "sogakutonen",
    "sogakuzennen",
    "nobiritsu",
    "kagaku",
    "suryo",
    "koseihi",
    "kagakunobiritsu",
    "zogenkiyodo",
    "shuyoshohinbunrui",
    "taishoymtonen",
    "kohyoymd",
)
AMOUNT_TEXT = st.one_of(
    st.from_regex(r"△?[0-9]{1,3}(,[0-9]{3}){0,4}", fullmatch=True),
    st.from_regex(r"-?[0-9]{1,3}\.[0-9]", fullmatch=True),
    st.sampled_from(["-", "", " ", "0", "△0", "1,23", "12,345,67", "１２３", "1.2.3", "NaN", "9"]),
    st.text(max_size=12),
)


def parsed_spans(content: bytes) -> list[tuple[int, int]]:
    """Byte ranges of page 1 and the two world commodity pages: the parts of the XML the parser reads."""
    spans = []
    for start_tag, end_tag in (
        (b"<sogakutsuki", b"</sogakutsuki>"),
        (b'<shuyochiikikunihin name="pg3">', b"</shuyochiikikunihin>"),
        (b'<shuyochiikikunihin name="pg4">', b"</shuyochiikikunihin>"),
    ):
        start = content.index(start_tag)
        spans.append((start, content.index(end_tag, start) + len(end_tag)))
    return spans


def elements(content: bytes, tags: tuple[str, ...]) -> list[tuple[int, int, int, int]]:
    """(start, text start, text end, end) of every `<tag>text</tag>` among `tags` in the parsed pages."""
    pattern = re.compile(rb"<(" + b"|".join(t.encode() for t in tags) + rb")>(.*?)</\1>", re.DOTALL)
    found = []
    for first, last in parsed_spans(content):
        for match in pattern.finditer(content, first, last):
            found.append((match.start(), match.start(2), match.end(2), match.end()))
    return found


@dataclass(frozen=True)
class PressMutation:
    """Replace the text of the `at`-th value element (escaped, or raw when `raw`), or delete an element."""

    kind: str
    at: int
    text: str = ""
    raw: bool = False

    def apply(self, content: bytes) -> bytes:
        if self.kind == "replace_value":
            places = elements(content, VALUE_TAGS)
            _, start, end, _ = places[self.at % len(places)]
            text = self.text if self.raw else escape(self.text)
            return content[:start] + text.encode("utf-8") + content[end:]
        places = elements(content, (*VALUE_TAGS, "shuyochiikikunihininfo", "shuyoshohin", "title"))
        start, _, _, end = places[self.at % len(places)]
        return content[:start] + content[end:]


PRESS_MUTATION = st.one_of(
    st.builds(PressMutation, st.just("replace_value"), ANYWHERE, AMOUNT_TEXT, st.booleans()),
    st.builds(PressMutation, st.just("replace_value"), ANYWHERE, AMOUNT_TEXT, st.just(False)),
    st.builds(PressMutation, st.just("delete_element"), ANYWHERE),
)


def assert_press_as_printed(content: bytes, totals: pd.DataFrame, commodities: pd.DataFrame) -> None:
    root = ElementTree.fromstring(content)  # noqa: S314 (our own bytes, mutated by this test)
    page_one = totals.iloc[0]
    for tag, name in (("export", "exports"), ("import", "imports"), ("sashihiki", "balance")):
        printed = root.find(f"sogakutsuki/{tag}")
        assert printed is not None
        assert agree(page_one[f"{name}_jpy"], printed_amount(printed.findtext("sogakutonen")))
        assert agree(page_one[f"{name}_year_ago_jpy"], printed_amount(printed.findtext("sogakuzennen")))
        assert agree(page_one[f"{name}_yoy_pct"], printed_rate(printed.findtext("nobiritsu")))
    pages = {page.findtext("title", "").strip(): page for page in root.iter("shuyochiikikunihin")}
    for direction, title in WORLD_PAGE_TITLE.items():
        items = list(pages[title].iter("shuyochiikikunihininfo"))
        rows = commodities[commodities["direction"] == direction]
        assert list(rows["position"]) == list(range(1, len(items) + 1))
        for row, item in zip(rows.itertuples(), items, strict=True):
            assert row.name_en == (item.findtext("shuyoshohin") or "").strip()
            assert row.level_printed == int((item.findtext("shuyoshohinbunrui") or "").strip())
            assert agree(row.value_jpy, printed_amount(item.findtext("kagaku")))
            assert agree(row.quantity, printed_count(item.findtext("suryo")))
            assert agree(row.share_pct, printed_rate(item.findtext("koseihi")))
            assert agree(row.yoy_pct, printed_rate(item.findtext("kagakunobiritsu")))
            assert agree(row.yoy_contribution_pp, printed_rate(item.findtext("zogenkiyodo")))


def press_outcome(content: bytes) -> str:
    """`refused`, or `accepted` once every accepted figure is checked against the printed XML."""
    try:
        press = check_press(parse_press(raw_file(PRESS, content)))
    except REFUSALS:
        return "refused"
    assert_press_as_printed(content, press.totals, press.commodities)
    return "accepted"


def test_mutated_press_release_is_read_exactly_as_printed_or_refused(real: RealRelease) -> None:
    original = real.raw[PRESS].content

    def check(mutations: list[PressMutation]) -> str:
        content = original
        for mutation in mutations:
            content = mutation.apply(content)
        return press_outcome(content)

    outcomes = run_property(PRESS, st.lists(PRESS_MUTATION, min_size=1, max_size=2), check)
    assert outcomes["accepted"] and outcomes["refused"]


# --- findings, pinned: each breaks the property today (bugs reported, outside these tests) ---------------


def with_value(content: bytes, month: str, code: str, text: str) -> bytes:
    """d51ma/d61ma with `code`'s value cell in `month`'s row replaced by `text`."""
    field = value_field(content, code)
    lines = content.split(CRLF)
    number = next(i for i, line in enumerate(lines) if line.startswith(month.encode() + b","))
    cells = lines[number].split(b",")
    cells[field] = text.encode("cp932")
    lines[number] = b",".join(cells)
    return CRLF.join(lines)


def header_below_month_rows(content: bytes) -> bytes:
    """The `Years/Months` header row swapped with the month row 300 lines further down."""
    lines = content.split(CRLF)
    header = next(i for i, line in enumerate(lines) if line.startswith(b"Years/Months,"))
    lines[header], lines[header + 300] = lines[header + 300], lines[header]
    return CRLF.join(lines)


PINNED_D_FILES = [
    pytest.param(
        IMPORTS_FILE,
        lambda content: with_value(content, "2026/05", "70311", "20000000000000000 "),
        id="17-digit value wraps around int64",
    ),
    pytest.param(
        IMPORTS_FILE,
        lambda content: with_value(content, "2026/05", "70311", "99999999999999999999 "),
        id="20-digit value crashes the parser",
    ),
    pytest.param(
        WORLD_FILE,
        lambda content: content.replace(b"2026/05,9499093475 ,", b"2026/05,99999999999999999999 ,"),
        id="20-digit d41ma value crashes the parser",
    ),
    pytest.param(
        EXPORTS_FILE,
        header_below_month_rows,
        id="month rows above the header row are dropped",
    ),
]


@pytest.mark.parametrize(("name", "mutate"), PINNED_D_FILES)
def test_pinned_d_file_finding(
    name: str, mutate: Callable[[bytes], bytes], real: RealRelease, request
) -> None:
    pinned(request.node.callspec.id, lambda: d_file_outcome(real, name, mutate(real.raw[name].content)))


def test_pinned_press_amount_beyond_int64_is_refused(real: RealRelease) -> None:
    content = real.raw[PRESS].content.replace(
        b"<kagaku>142,809</kagaku>", b"<kagaku>9,999,999,999,999</kagaku>", 1
    )
    pinned("13-digit press amount crashes the parser", lambda: press_outcome(content))


def pinned(name: str, outcome: Callable[[], str]) -> None:
    """Run a pinned finding, recording what it does today (a known bug breaks the property)."""
    try:
        result = outcome()
    except Exception as exc:
        record("property", f"pinned finding: {name}", f"KNOWN BUG: {type(exc).__name__}", known_bug=True)
        raise
    record("property", f"pinned finding: {name}", f"held ({result})", known_bug=False)

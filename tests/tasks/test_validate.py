"""A parsed release is validated: real files pass; each corruption names file, row, column and rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tasks.parse import parse_release
from tasks.validate import check_release, months_to_publish
from tests.conftest import raw_file
from tests.independent import revise, value_field
from zeikan.errors import InvalidRequest, Problem, ReleaseNotPublished, ValidationFailed
from zeikan.release import DFILES, ParsedRelease

pytestmark = pytest.mark.real_data

CRLF = b"\r\n"
AS_OF = date(2026, 11, 25)
TOTAL_FIELD = 1  # d51ma/d61ma: the total's code sits over its value, the field after the month (CONTRACT §1)


@pytest.fixture(scope="module")
def real(mof_data: Path) -> dict[str, bytes]:
    return {name: (mof_data / name).read_bytes() for name in DFILES}


def release_of(real: dict[str, bytes], **edited: bytes) -> ParsedRelease:
    """The release parsed from the real files, with `d41ma=...` etc. replacing a file's bytes."""
    contents = {**real, **{f"{stem}.csv": content for stem, content in edited.items()}}
    return parse_release.fn([raw_file(name, contents[name]) for name in DFILES])


def lines_of(content: bytes) -> list[bytes]:
    return content.split(CRLF)


def index_of(lines: list[bytes], month: str) -> int:
    """0-based index of `month`'s row; its line number is one more."""
    hits = [i for i, line in enumerate(lines) if line.startswith(month.encode() + b",")]
    assert len(hits) == 1, month
    return hits[0]


def cell(content: bytes, month: str, field: int) -> int:
    lines = lines_of(content)
    return int(lines[index_of(lines, month)].split(b",")[field].strip())


def refused(release: ParsedRelease, as_of: date = AS_OF) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        check_release(release, as_of)
    assert caught.value.problems
    return caught.value


def named(error: ValidationFailed, file: str, row: str, rule_fragment: str) -> list[Problem]:
    """The problems about `row` of `file` whose rule mentions `rule_fragment`; each also appears in str()."""
    hits = [p for p in error.problems if p.file == file and p.row == row and rule_fragment in p.rule]
    assert hits, [str(p) for p in error.problems]
    assert all(str(p) in str(error) for p in hits)
    return hits


def test_real_release_passes(real: dict[str, bytes]) -> None:
    release = release_of(real)
    assert check_release(release, AS_OF) is release


def test_negative_value_in_d51ma_is_named(real: dict[str, bytes]) -> None:
    content = real["d51ma.csv"]
    field = value_field(content, "507")
    lines = lines_of(content)
    at = index_of(lines, "2026/05")
    cells = lines[at].split(b",")
    cells[field] = b"-" + cells[field]
    lines[at] = b",".join(cells)
    error = refused(release_of(real, d51ma=CRLF.join(lines)))
    (problem,) = named(error, "d51ma.csv", f"2026/05 (line {at + 1})", "negative")
    assert problem.column is not None and problem.column.startswith(f"{field + 1} ")
    assert "'507'" in problem.column


def test_groups_not_summing_to_the_total_are_named(real: dict[str, bytes]) -> None:
    content = real["d51ma.csv"]
    changed = revise(content, "2026/05", value_field(content, "3"), 1_000_000)
    assert cell(changed, "2026/05", TOTAL_FIELD) == cell(
        real["d41ma.csv"], "2026/05", 1
    )  # total still = d41ma
    at = index_of(lines_of(content), "2026/05")
    error = refused(release_of(real, d51ma=changed))
    (problem,) = named(error, "d51ma.csv", f"2026/05 (line {at + 1})", "nine press groups")
    assert problem.column is not None and problem.column.startswith(f"{TOTAL_FIELD + 1} ")
    assert len(error.problems) == 1


def test_total_disagreeing_with_d41ma_is_named(real: dict[str, bytes]) -> None:
    content = real["d51ma.csv"]
    changed = revise(
        revise(content, "2026/05", TOTAL_FIELD, 1_000_000), "2026/05", value_field(content, "3"), 1_000_000
    )
    at = index_of(lines_of(content), "2026/05")
    error = refused(release_of(real, d51ma=changed))
    (problem,) = named(error, "d51ma.csv", f"2026/05 (line {at + 1})", "d41ma")
    assert problem.column is not None and problem.column.startswith(f"{TOTAL_FIELD + 1} ")
    assert len(error.problems) == 1  # the groups still sum to the (changed) total


def test_duplicated_month_row_in_d41ma_is_named(real: dict[str, bytes]) -> None:
    lines = lines_of(real["d41ma.csv"])
    at = index_of(lines, "2026/05")
    duplicated = CRLF.join([*lines[: at + 1], lines[at], *lines[at + 1 :]])
    error = refused(release_of(real, d41ma=duplicated))
    for line in (at + 1, at + 2):
        (problem,) = named(error, "d41ma.csv", f"2026/05 (line {line})", "once")
        assert problem.column is not None and "Years/Months" in problem.column


def test_missing_month_in_d41ma_is_named_at_the_row_after_the_gap(real: dict[str, bytes]) -> None:
    lines = lines_of(real["d41ma.csv"])
    at = index_of(lines, "2000/06")
    error = refused(release_of(real, d41ma=CRLF.join(lines[:at] + lines[at + 1 :])))
    (problem,) = named(error, "d41ma.csv", f"2000/07 (line {at + 1})", "contiguous")
    assert problem.column is not None and "Years/Months" in problem.column
    assert len(error.problems) == 1


def test_months_out_of_order_in_d41ma_are_named(real: dict[str, bytes]) -> None:
    lines = lines_of(real["d41ma.csv"])
    at = index_of(lines, "2000/05")
    lines[at], lines[at + 1] = lines[at + 1], lines[at]
    error = refused(release_of(real, d41ma=CRLF.join(lines)))
    for month, line in (("2000/06", at + 1), ("2000/05", at + 2), ("2000/07", at + 3)):
        (problem,) = named(error, "d41ma.csv", f"{month} (line {line})", "contiguous")
        assert problem.column is not None and "Years/Months" in problem.column
    assert len(error.problems) == 3


def test_month_not_over_on_the_as_of_date_is_named_in_every_file(real: dict[str, bytes]) -> None:
    error = refused(release_of(real), as_of=date(2026, 8, 15))
    for name in DFILES:
        line = index_of(lines_of(real[name]), "2026/08") + 1
        (problem,) = named(error, name, f"2026/08 (line {line})", "2026-08-15")
        assert problem.column is not None and "Years/Months" in problem.column
    assert len(error.problems) == len(DFILES)


def test_files_ending_at_different_months_are_not_published_yet(real: dict[str, bytes]) -> None:
    lines = lines_of(real["d51ma.csv"])
    at = index_of(lines, "2026/08")
    lines[at] = b"2026/08" + b",-" * lines[at].count(b",")
    with pytest.raises(ReleaseNotPublished, match="part-way"):
        check_release(release_of(real, d51ma=CRLF.join(lines)), AS_OF)


def test_months_out_of_order_in_d51ma_name_each_displaced_row(real: dict[str, bytes]) -> None:
    lines = lines_of(real["d51ma.csv"])
    at = index_of(lines, "2026/05")
    lines[at], lines[at + 1] = lines[at + 1], lines[at]
    error = refused(release_of(real, d51ma=CRLF.join(lines)))
    for month, line in (("2026/06", at + 1), ("2026/05", at + 2), ("2026/07", at + 3)):
        named(error, "d51ma.csv", f"{month} (line {line})", "contiguous")


def test_published_month_without_a_total_in_d51ma_is_refused(real: dict[str, bytes]) -> None:
    lines = lines_of(real["d51ma.csv"])
    at = index_of(lines, "2026/05")
    cells = lines[at].split(b",")
    cells[TOTAL_FIELD] = b"-"
    lines[at] = b",".join(cells)
    error = refused(release_of(real, d51ma=CRLF.join(lines)))
    named(error, "d51ma.csv", f"2026/05 (line {at + 1})", "")


# --- the months a run covers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release(real: dict[str, bytes]) -> ParsedRelease:
    return release_of(real)


def published_months(d41ma: bytes) -> list[date]:
    """d41ma's months that are not `0,0`, read with string ops."""
    months = []
    for line in lines_of(d41ma):
        cells = line.decode("cp932").split(",")
        if (
            len(cells) == 3
            and cells[0][:2] in ("19", "20")
            and (cells[1].strip(), cells[2].strip()) != ("0", "0")
        ):
            months.append(date(int(cells[0][:4]), int(cells[0][5:7]), 1))
    return months


def test_no_months_asked_gives_the_newest_published(release: ParsedRelease, real: dict[str, bytes]) -> None:
    newest = published_months(real["d41ma.csv"])[-1]
    assert newest == date(2026, 8, 1)
    assert months_to_publish(release, None, None) == [newest]


def test_start_after_end_is_an_invalid_request(release: ParsedRelease) -> None:
    with pytest.raises(InvalidRequest):
        months_to_publish(release, date(2026, 5, 1), date(2026, 4, 1))


def test_end_after_the_newest_month_is_not_published_yet(release: ParsedRelease) -> None:
    with pytest.raises(ReleaseNotPublished, match="2026-09"):
        months_to_publish(release, date(2026, 7, 1), date(2026, 9, 1))


def test_start_before_the_first_month_is_an_invalid_request(
    release: ParsedRelease, real: dict[str, bytes]
) -> None:
    first = published_months(real["d41ma.csv"])[0]
    assert first == date(1979, 1, 1)
    with pytest.raises(InvalidRequest, match="1978-12"):
        months_to_publish(release, date(1978, 12, 1), date(1979, 3, 1))
    assert months_to_publish(release, first, first) == [first]


def test_a_range_gives_every_month_in_it(release: ParsedRelease) -> None:
    assert months_to_publish(release, date(2025, 11, 1), date(2026, 2, 1)) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]

"""MOF's release calendar: the 08:50 JST boundary, the fallback rule, the calendar file, `zeikan calendar`.

Every test hands in its own clock (and, for the rule, its own calendar); none reads the real time.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import run_cli
from zeikan.calendar import (
    RELEASE_TIME,
    CalendarFormatError,
    ScheduledRelease,
    bundled_calendar,
    expected_period,
    parse_calendar,
    release_at,
    upcoming,
)
from zeikan.periods import TOKYO

HEADER = "period,stage,release_date"
# A calendar that lists none of the months the rule tests ask about.
ONLY_JANUARY = parse_calendar(f"{HEADER}\n2026-01,preliminary,2026-02-18\n")


def jst(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=TOKYO)


def at_0850(day: date) -> datetime:
    return datetime.combine(day, RELEASE_TIME, tzinfo=TOKYO)


def release_rows(lines: list[str]) -> list[str]:
    """The table rows of `zeikan calendar`'s output (the title and header hold no stage name)."""
    return [line for line in lines if " preliminary " in line or " detailed " in line]


def test_on_a_release_day_the_new_month_is_expected_from_0850_jst_not_a_minute_earlier() -> None:
    assert expected_period(jst(2026, 6, 17, 8, 49, 59)) == date(2026, 4, 1)
    assert expected_period(jst(2026, 6, 17, 8, 50)) == date(2026, 5, 1)
    assert expected_period(jst(2026, 6, 17, 23, 59)) == date(2026, 5, 1)


def test_the_same_instants_given_in_utc_give_the_same_months() -> None:
    # 08:50 JST is 23:50 UTC the day before.
    assert expected_period(datetime(2026, 6, 16, 23, 49, tzinfo=UTC)) == date(2026, 4, 1)
    assert expected_period(datetime(2026, 6, 16, 23, 50, tzinfo=UTC)) == date(2026, 5, 1)


def test_expected_period_walks_back_over_the_month_boundary() -> None:
    # Early in July nothing new is out: May (released 17 June) is still the newest.
    assert expected_period(jst(2026, 7, 1, 0, 0)) == date(2026, 5, 1)
    # 2026-01 (calendar: 18 Feb) is not yet out on 17 Feb; December 2025 is.
    assert expected_period(jst(2026, 2, 17, 12, 0)) == date(2025, 12, 1)
    assert expected_period(jst(2026, 2, 18, 8, 50)) == date(2026, 1, 1)


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        expected_period(datetime(2026, 6, 17, 8, 50))
    with pytest.raises(ValueError, match="timezone-aware"):
        upcoming(datetime(2026, 6, 17, 8, 50))


def test_calendar_entries_win_over_the_rule() -> None:
    # The rule would say Friday 19 June (the 20th is a Saturday); MOF published on Wednesday 17 June.
    assert release_at(date(2026, 5, 1), calendar=ONLY_JANUARY).release_at == jst(2026, 6, 19, 8, 50)
    assert release_at(date(2026, 5, 1)) == ScheduledRelease(
        date(2026, 5, 1), "preliminary", jst(2026, 6, 17, 8, 50), from_calendar=True
    )
    assert release_at(date(2026, 4, 1), "detailed").release_at == jst(2026, 5, 28, 8, 50)
    assert release_at(date(2026, 1, 1)).release_at == jst(2026, 2, 18, 8, 50)
    # The rule would say Friday 20 February.
    assert release_at(date(2026, 1, 1), calendar={}).release_at == jst(2026, 2, 20, 8, 50)


def test_release_times_are_0850_in_tokyo() -> None:
    moment = release_at(date(2026, 8, 1), calendar=ONLY_JANUARY).release_at
    assert moment.tzinfo == TOKYO and moment.timetz() == RELEASE_TIME.replace(tzinfo=TOKYO)
    assert moment.astimezone(UTC) == datetime(2026, 9, 17, 23, 50, tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "preliminary", "detailed"),
    [
        (date(2026, 7, 1), date(2026, 8, 20), date(2026, 8, 27)),  # the 20th is a Thursday: kept
        (date(2026, 5, 1), date(2026, 6, 19), date(2026, 6, 26)),  # Saturday 20 June → Friday 19th
        (date(2026, 8, 1), date(2026, 9, 18), date(2026, 9, 25)),  # Sunday 20 September → Friday 18th
        (date(2026, 11, 1), date(2026, 12, 18), date(2026, 12, 25)),  # Sunday 20 December → Friday 18th
        (date(2027, 1, 1), date(2027, 2, 19), date(2027, 2, 26)),  # Saturday 20 February 2027 → Friday
        (date(2026, 12, 1), date(2027, 1, 20), date(2027, 1, 27)),  # December's release is in January
    ],
)
def test_the_rule_for_months_the_calendar_does_not_list(
    period: date, preliminary: date, detailed: date
) -> None:
    first = release_at(period, calendar=ONLY_JANUARY)
    second = release_at(period, "detailed", calendar=ONLY_JANUARY)
    assert (first.release_at, first.from_calendar) == (at_0850(preliminary), False)
    assert (second.release_at, second.from_calendar) == (at_0850(detailed), False)
    assert first.release_at.weekday() < 5 and second.release_at.weekday() < 5


def test_a_period_is_its_month_whatever_the_day_given() -> None:
    assert release_at(date(2026, 5, 31)) == release_at(date(2026, 5, 1))


def test_an_unknown_stage_is_refused() -> None:
    with pytest.raises(ValueError, match="stage must be one of preliminary, detailed"):
        release_at(date(2026, 5, 1), "confirmed")


def test_upcoming_lists_both_stages_in_time_order_from_now() -> None:
    releases = upcoming(jst(2026, 6, 17, 8, 49), count=4)
    assert [(r.period, r.stage, r.release_at, r.from_calendar) for r in releases] == [
        (date(2026, 5, 1), "preliminary", jst(2026, 6, 17, 8, 50), True),
        (date(2026, 5, 1), "detailed", jst(2026, 6, 26, 8, 50), True),
        (date(2026, 6, 1), "preliminary", jst(2026, 7, 20, 8, 50), False),
        (date(2026, 6, 1), "detailed", jst(2026, 7, 27, 8, 50), False),
    ]


def test_upcoming_includes_a_release_at_exactly_now_and_drops_it_a_minute_later() -> None:
    assert upcoming(jst(2026, 6, 17, 8, 50), count=1)[0].release_at == jst(2026, 6, 17, 8, 50)
    assert upcoming(jst(2026, 6, 17, 8, 51), count=1)[0].release_at == jst(2026, 6, 26, 8, 50)


@pytest.mark.parametrize("count", [0, 1, 6, 25])
def test_upcoming_gives_count_releases_sorted_and_none_missed(count: int) -> None:
    now = jst(2026, 11, 25, 10, 0)
    releases = upcoming(now, count=count)
    times = [r.release_at for r in releases]
    assert len(releases) == count
    assert times == sorted(times) and all(t >= now for t in times)
    # Nothing between now and the last one listed is left out: compare with a brute-force list.
    if count:
        every = [
            release_at(date(year, month, 1), stage)
            for year in (2026, 2027, 2028, 2029)
            for month in range(1, 13)
            for stage in ("preliminary", "detailed")
        ]
        assert releases == sorted(
            (r for r in every if now <= r.release_at <= times[-1]), key=lambda r: r.release_at
        )


def test_upcoming_in_late_november_starts_with_octobers_detailed_release() -> None:
    releases = upcoming(jst(2026, 11, 25, 10, 0), count=3)
    assert [(r.period, r.stage) for r in releases] == [
        (date(2026, 10, 1), "detailed"),
        (date(2026, 11, 1), "preliminary"),
        (date(2026, 11, 1), "detailed"),
    ]


def test_comment_and_blank_lines_are_skipped() -> None:
    text = (
        f"# MOF schedule, from https://example.invalid\n\n{HEADER}\n"
        "# not yet announced\n2026-05,detailed,2026-06-26\n  # indented comment\n"
    )
    assert dict(parse_calendar(text)) == {(date(2026, 5, 1), "detailed"): date(2026, 6, 26)}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("2026-13,preliminary,2027-01-20", "row 2026-13 (line 3), column period: period is a month written"),
        ("2026-05,confirmed,2026-06-17", "row 2026-05 (line 3), column stage: stage is one of preliminary"),
        (
            "2026-05,preliminary,2026-06-31",
            "row 2026-05 (line 3), column release_date: release_date is a date",
        ),
        ("2026-05,preliminary,20260617", "row 2026-05 (line 3), column release_date: release_date is a date"),
        (
            "2026-05,preliminary,2026-05-17",
            "row 2026-05 (line 3), column release_date: release_date falls after",
        ),
        ("2026-05,preliminary", "row 2026-05 (line 3): a row has 3 cells"),
        (
            "2026-04,detailed,2026-05-28\n# moved?\n2026-04,detailed,2026-05-29",
            "row 2026-04 (line 5), column period: each period and stage is listed once",
        ),
    ],
)
def test_a_malformed_row_names_its_line(rows: str, message: str) -> None:
    with pytest.raises(CalendarFormatError) as caught:
        parse_calendar(f"# comment\n{HEADER}\n{rows}\n", "release_calendar.csv")
    assert f"release_calendar.csv, {message}" in str(caught.value)
    assert len(caught.value.problems) == 1


def test_a_wrong_header_is_refused() -> None:
    with pytest.raises(
        CalendarFormatError, match=r"header \(line 2\): the header must be period,stage,release_date"
    ):
        parse_calendar("# c\nmonth,stage,date\n2026-05,preliminary,2026-06-17\n")


def test_the_bundled_calendar_loads_and_is_read_once() -> None:
    assert bundled_calendar() is bundled_calendar()
    assert bundled_calendar()[(date(2026, 5, 1), "preliminary")] == date(2026, 6, 17)
    with pytest.raises(TypeError):
        bundled_calendar()[(date(2030, 1, 1), "preliminary")] = date(2030, 2, 20)  # type: ignore[index]


@pytest.mark.real_data
def test_the_bundled_calendar_agrees_with_the_release_dates_in_real_press_releases(mof_data: Path) -> None:
    with (mof_data / "press_pg1_totals.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    stage_of = {"4": "preliminary", "5": "detailed"}
    printed = {
        (date.fromisoformat(f"{row['month']}-01"), stage_of[row["source_file"][-7]]): datetime.strptime(
            row["release_date"], "%B %d, %Y"
        ).date()
        for row in rows
    }
    assert len(printed) == 5
    assert dict(bundled_calendar()) == printed
    # The rule alone would have been off by up to three days on these real releases.
    misses = {
        key: (release_at(key[0], key[1], calendar={}).release_at.date() - day) for key, day in printed.items()
    }
    assert max(abs(d) for d in misses.values()) <= timedelta(days=3)


def test_zeikan_calendar_command_lists_the_coming_releases(tmp_path: Path) -> None:
    # The command needs no Prefect: the API URL points at a closed port.
    result = run_cli(["calendar", "--now", "2026-06-17T08:49"], "http://127.0.0.1:9/api", tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    may = [line for line in lines if {"2026-05", "preliminary"} <= set(line.split())]
    assert len(may) == 1
    assert "Wed 2026-06-17 08:50 JST" in may[0] and "calendar file" in may[0]
    june = [line for line in lines if {"2026-06", "preliminary"} <= set(line.split())]
    assert len(june) == 1 and "Mon 2026-07-20 08:50 JST" in june[0] and "rule" in june[0]
    assert len(release_rows(lines)) == 6
    assert lines[-1] == "expected now: 2026-04"


def test_zeikan_calendar_takes_an_offset_and_a_count_and_refuses_a_bad_time(tmp_path: Path) -> None:
    api = "http://127.0.0.1:9/api"
    after = run_cli(["calendar", "--now", "2026-06-16T23:50:00+00:00", "--count", "2"], api, tmp_path)
    assert after.returncode == 0, after.stderr
    assert after.stdout.splitlines()[-1] == "expected now: 2026-05"
    rows = release_rows(after.stdout.splitlines())
    assert len(rows) == 2 and all("2026-05" in row.split() for row in rows)
    assert "preliminary" in rows[0] and "detailed" in rows[1]
    bad = run_cli(["calendar", "--now", "yesterday"], api, tmp_path)
    assert bad.returncode == 2
    assert "--now 'yesterday' is not an ISO date-time" in bad.stderr

"""What moves between the tasks of a release: raw files, parsed tables, the loaded vintage.

These are plain dataclasses so the tasks stay plain functions: a test builds them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from tasks.headlines import WrittenHeadlines
    from tasks.store import StoredVintage

WORLD_FILE = "d41ma.csv"
EXPORTS_FILE = "d51ma.csv"
IMPORTS_FILE = "d61ma.csv"
DFILES = (WORLD_FILE, EXPORTS_FILE, IMPORTS_FILE)
DIRECTION_OF_FILE = {EXPORTS_FILE: "export", IMPORTS_FILE: "import"}

# MOF's English press releases, `YYYYMMne.xml`: n says which release of the month it is.
PRESS_STAGE_OF_DIGIT = {"1": "first_ten_days", "2": "first_twenty_days", "4": "preliminary", "5": "detailed"}
MONTHLY_PRESS_STAGES = ("preliminary", "detailed")


def press_file_name(period: date, stage: str) -> str:
    """`2026054e.xml` for the preliminary release of May 2026."""
    digit = next(d for d, s in PRESS_STAGE_OF_DIGIT.items() if s == stage)
    return f"{period:%Y%m}{digit}e.xml"


@dataclass(frozen=True)
class RawFile:
    """One file exactly as received, and where its bytes are archived."""

    name: str
    url: str
    sha256: str
    size: int
    fetched_at: datetime
    archive_path: Path
    content: bytes = field(repr=False, compare=False)


@dataclass(frozen=True)
class WorldTrade:
    """d41ma: one row per published month (`period`, `exports_jpy`, `imports_jpy`, `line`)."""

    file: str
    frame: pd.DataFrame = field(repr=False)
    unpublished: list[date] = field(default_factory=list)

    @property
    def latest_period(self) -> date | None:
        return None if self.frame.empty else self.frame["period"].iloc[-1].date()


@dataclass(frozen=True)
class CommodityTrade:
    """d51ma or d61ma in long form: one row per published month and principal commodity.

    `frame` has `period, category_code, level, value_jpy, quantity, line, column`; `catalog` one row per
    commodity with its names, hierarchy and quantity unit, in the file's column order.
    """

    file: str
    direction: str
    frame: pd.DataFrame = field(repr=False)
    catalog: pd.DataFrame = field(repr=False)

    @property
    def latest_period(self) -> date | None:
        return None if self.frame.empty else self.frame["period"].max().date()


@dataclass(frozen=True)
class ParsedRelease:
    """The three d-files of one release, parsed (and, after `validate_release`, validated)."""

    files: list[RawFile]
    world: WorldTrade
    exports: CommodityTrade
    imports: CommodityTrade

    @property
    def latest_period(self) -> date | None:
        return self.world.latest_period

    @property
    def first_period(self) -> date | None:
        return None if self.world.frame.empty else self.world.frame["period"].iloc[0].date()


@dataclass(frozen=True)
class PressRelease:
    """One English press release, parsed: what MOF printed, in yen.

    `totals` has one row (period, exports_jpy, imports_jpy, balance_jpy, the year-earlier values and the
    rates as printed); `commodities` one row per principal commodity of the world tables (pg3 exports,
    pg4 imports) with MOF's printed value, share, y/y rate and contribution.
    """

    file: RawFile
    stage: str
    period: date
    release_date: date
    totals: pd.DataFrame = field(repr=False)
    commodities: pd.DataFrame = field(repr=False)

    @property
    def is_monthly(self) -> bool:
        """Preliminary and detailed releases cover the whole month; semi-monthly ones part of it."""
        return self.stage in MONTHLY_PRESS_STAGES


@dataclass(frozen=True)
class LoadOutcome:
    """What one run did to the warehouse, and the headlines it wrote."""

    releases: list[StoredVintage]
    periods: list[date]
    headlines: pd.DataFrame = field(repr=False)
    headlines_changed: int = 0
    dfiles_through: date | None = None
    month_outcomes: dict[date, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        releases: list[StoredVintage],
        written: WrittenHeadlines,
        periods: list[date],
        dfiles_through: date | None,
        month_outcomes: dict[date, str] | None = None,
    ) -> LoadOutcome:
        return cls(
            releases, periods, written.frame, written.rows_changed, dfiles_through, month_outcomes or {}
        )

    @property
    def awaiting_dfiles(self) -> bool:
        """The newest month came from a press release only: MOF's d-files do not have it yet."""
        return self.dfiles_through is None or self.dfiles_through < self.periods[-1]

    @property
    def rows_changed(self) -> int:
        return sum(r.rows_changed for r in self.releases)

    @property
    def new_releases(self) -> list[StoredVintage]:
        return [r for r in self.releases if r.new]

    @property
    def changed(self) -> bool:
        return bool(self.new_releases) or self.headlines_changed > 0

    @property
    def vintage(self) -> date:
        """The newest vintage this run loaded or found."""
        return max(r.vintage for r in self.releases)

    def headlines_of(self, period: date) -> pd.DataFrame:
        """The headlines written for `period`, oldest vintage first."""
        frame = self.headlines[self.headlines["period"] == period]
        return frame.sort_values(["vintage", "stage"], kind="stable")

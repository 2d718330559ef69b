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
class LoadOutcome:
    """What one run did to the warehouse, and the headlines it published."""

    release_id: int | None
    vintage: date
    rows_changed: int
    headlines_changed: int
    periods: list[date]
    headlines: pd.DataFrame = field(repr=False)

    @classmethod
    def of(cls, stored: StoredVintage, written: WrittenHeadlines, periods: list[date]) -> LoadOutcome:
        return cls(
            stored.release_id,
            stored.vintage,
            stored.rows_changed,
            written.rows_changed,
            periods,
            written.frame,
        )

    @property
    def changed(self) -> bool:
        return self.release_id is not None or self.headlines_changed > 0

    @property
    def latest(self) -> pd.Series | None:
        """The headline row of the newest month published."""
        return None if self.headlines.empty else self.headlines.sort_values("period").iloc[-1]

"""A revision as MOF makes one, built from the real d-files: February 2026's imports raised by ¥100 bn.

The raise is made consistently in d41ma (world imports) and d61ma (the total and the mineral-fuels
group), so the revised files pass validation; it turns February's small surplus into a deficit.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.conftest import copy_source
from tests.independent import revise, value_field

REVISED_MONTH = date(2026, 2, 1)
RAISE_THOUSAND_YEN = 100_000_000  # ¥100 bn


def revised_source(real: Path, folder: Path) -> Path:
    """`folder` holding the real d-files with February 2026's imports raised by ¥100 bn."""
    copy_source(real, folder)
    d41 = folder / "d41ma.csv"
    d41.write_bytes(revise(d41.read_bytes(), f"{REVISED_MONTH:%Y/%m}", 2, RAISE_THOUSAND_YEN))
    d61 = folder / "d61ma.csv"
    content = d61.read_bytes()
    for code in ("0～9", "3"):
        content = revise(content, f"{REVISED_MONTH:%Y/%m}", value_field(content, code), RAISE_THOUSAND_YEN)
    d61.write_bytes(content)
    return folder

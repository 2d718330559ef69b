"""Independent readings of the cells of MOF's press-release XML, as printed, for tests.

Plain string handling, sharing no code with `tasks.parse_press`, so agreement between the two is evidence.
"""

from __future__ import annotations

import re

MILLION = 1_000_000
DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def blank(text: str | None) -> str | None:
    """The cell stripped, or None where MOF prints nothing (`-` or an empty element)."""
    cell = (text or "").strip()
    return None if cell in ("", "-") else cell


def printed_amount(text: str | None) -> int | None:
    """Million yen as printed (`9,511,555`, `△378,673`) → yen; None for `-` or nothing."""
    cell = blank(text)
    if cell is None:
        return None
    digits = cell.removeprefix("△").replace(",", "")
    assert digits.isascii() and digits.isdigit(), cell
    return (-1 if cell.startswith("△") else 1) * int(digits) * MILLION


def printed_count(text: str | None) -> float | None:
    """A quantity as printed (`5,754,373`), or None."""
    cell = blank(text)
    if cell is None:
        return None
    digits = cell.replace(",", "")
    assert digits.isascii() and digits.isdigit(), cell
    return float(digits)


def printed_rate(text: str | None) -> float | None:
    """A rate, share or contribution as printed (`12.5`, `-3.2`), or None."""
    cell = blank(text)
    if cell is None:
        return None
    assert DECIMAL.fullmatch(cell), cell
    return float(cell)

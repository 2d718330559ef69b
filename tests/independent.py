"""An independent reading of MOF's d-files for tests: plain Python, csv module, integers.

It shares no code with the pipeline (no pandas, no parser, no SQL), so agreement between the two is
evidence, not an echo. Deliberately written as the obvious loop a reviewer can check by eye.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass
class Month:
    period: date
    exports_jpy: int
    imports_jpy: int
    balance_jpy: int = 0
    position: str = ""
    exports_yoy_pct: float | None = None
    imports_yoy_pct: float | None = None
    streak_months: int = 0
    months_since_last_deficit: int | None = None
    months_since_last_surplus: int | None = None
    first_deficit_in_months: int | None = None
    first_surplus_in_months: int | None = None


def months_apart(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def world_months(d41ma: Path) -> list[Month]:
    """Published months of d41ma with CONTRACT §2's metrics, computed the long way."""
    text = d41ma.read_bytes().decode("cp932")
    months = []
    for row in csv.reader(io.StringIO(text)):
        if row and re.fullmatch(r"\d{4}/\d{2}", row[0]):
            exports, imports = int(row[1].strip()), int(row[2].strip())
            if exports == 0 and imports == 0:
                continue  # listed but not published yet
            year, month = map(int, row[0].split("/"))
            months.append(Month(date(year, month, 1), exports * 1000, imports * 1000))
    by_period = {m.period: m for m in months}
    last_seen: dict[str, date] = {}
    previous: Month | None = None
    for m in months:
        m.balance_jpy = m.exports_jpy - m.imports_jpy
        m.position = "surplus" if m.balance_jpy > 0 else "deficit" if m.balance_jpy < 0 else "balanced"
        ago = by_period.get(date(m.period.year - 1, m.period.month, 1))
        if ago is not None:
            m.exports_yoy_pct = (m.exports_jpy / ago.exports_jpy - 1) * 100
            m.imports_yoy_pct = (m.imports_jpy / ago.imports_jpy - 1) * 100
        m.streak_months = previous.streak_months + 1 if previous and previous.position == m.position else 1
        if "deficit" in last_seen:
            m.months_since_last_deficit = months_apart(last_seen["deficit"], m.period)
        if "surplus" in last_seen:
            m.months_since_last_surplus = months_apart(last_seen["surplus"], m.period)
        breaks_run = previous is None or previous.position != m.position
        if m.position == "deficit" and breaks_run:
            m.first_deficit_in_months = m.months_since_last_deficit
        if m.position == "surplus" and breaks_run:
            m.first_surplus_in_months = m.months_since_last_surplus
        last_seen[m.position] = m.period
        previous = m
    return months


def value_field(content: bytes, code: str) -> int:
    """The field holding `code`'s value in d51ma/d61ma: the code sits over its quantity, value to the right.

    The total is the exception: its code sits over its value (CONTRACT §1).
    """
    text = content.decode("cp932")
    for row in csv.reader(io.StringIO(text)):
        if row and row[0] == "概況品コード":
            printed = "'" + code.replace("+", "'+'").replace("～", "'～'") + "'"  # 0+1 → '0'+'1'
            column = row.index(printed)
            return column if column == 1 else column + 1
    raise AssertionError("no code row")


def revise(content: bytes, month: str, field: int, delta_thousand_yen: int) -> bytes:
    """`content` with the cell (`month` row, `field`) increased by `delta`, keeping MOF's formatting."""
    newline = b"\r\n"
    lines = content.split(newline)
    for i, line in enumerate(lines):
        if line.startswith(month.encode() + b","):
            cells = line.split(b",")
            cells[field] = str(int(cells[field].strip()) + delta_thousand_yen).encode() + b" "
            lines[i] = b",".join(cells)
            return newline.join(lines)
    raise AssertionError(f"month {month} not found")

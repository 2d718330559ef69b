"""Independent readings of MOF's press-release XML, as printed, for tests: its pages, items and cells.

Plain string handling, sharing no code with `tasks.parse_press`, so agreement between the two is evidence.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

RELEASES = ("2026044e.xml", "2026045e.xml", "2026054e.xml")
PAGE_OF_DIRECTION = {"export": "pg3", "import": "pg4"}
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


def root_of(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - MOF's files from the project's test data, read as a check


def item_span(text: str, page: str, name: str) -> re.Match[str]:
    """The `<shuyochiikikunihininfo>` element of item `name` on world page `page`."""
    start = text.index(f'<shuyochiikikunihin name="{page}">')
    end = text.index("</shuyochiikikunihin>", start)
    item = re.compile(
        rf"<shuyochiikikunihininfo><shuyoshohin>\s*{re.escape(name)}</shuyoshohin>.*?</shuyochiikikunihininfo>"
    )
    found = item.search(text, start, end)
    assert found is not None, f"{name} not on {page}"
    return found

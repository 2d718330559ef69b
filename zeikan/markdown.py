"""Markdown tables, as zeikan publishes them: release reports, Prefect artifacts, the data dictionary."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence


def markdown_cell(text: str) -> str:
    """Text that stays inside one Markdown table cell (free text such as a column's comment)."""
    return " ".join(text.split()).replace("|", "\\|")


def markdown_row(cells: Iterable[object]) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def markdown_table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], right: Collection[str] = ()
) -> list[str]:
    """The lines of a table: the header, the alignment row (the columns named in `right` aligned right,
    as numbers are) and a line per row. Cells are written as given: pass free text through
    `markdown_cell`."""
    alignment = "|" + "|".join("---:" if column in right else "---" for column in columns) + "|"
    return [markdown_row(columns), alignment, *(markdown_row(row) for row in rows)]

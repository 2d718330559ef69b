"""Reading MOF's CSV layout: strict cp932, header rows found by their labels, cells as MOF prints them.

Everything here works on whole columns (pandas), never cell by cell in Python, and reports a broken cell
as a `Problem` with the file, the month as printed, the line and the column.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import NoReturn

import numpy as np
import pandas as pd

from zeikan.errors import Problem, SourceFormatError
from zeikan.release import RawFile

MONTH_CELL = r"[0-9]{4}/(0[1-9]|1[0-2])"
# Fifteen digits hold any MOF figure (¥10^15 thousand is a thousand times Japan's yearly trade) and keep
# thousand yen x 1000 inside int64; a longer number is not a figure but a damaged cell.
MAX_DIGITS = 15
INTEGER_CELL = rf"-?[0-9]{{1,{MAX_DIGITS}}}"
DECIMAL_CELL = rf"-?[0-9]{{1,{MAX_DIGITS}}}(\.[0-9]{{1,6}})?"
OVERLONG_CELL = rf"-?[0-9]{{{MAX_DIGITS + 1},}}(\.[0-9]+)?"
NOT_APPLICABLE = "-"
UTF8_BOM = b"\xef\xbb\xbf"
MAX_PROBLEMS = 50
LINE_BREAK = re.compile(r"\r\n|\r|\n")
QUOTED_CELL = r'"(?:[^"]|"")*"'


def decode_cp932(raw: RawFile) -> str:
    """The file's text, decoded strictly as cp932 (Shift_JIS) the way MOF serves it."""
    content = raw.content.removeprefix(UTF8_BOM)
    if not content.strip():
        raise SourceFormatError([Problem(raw.name, "file is empty")])
    if not content.endswith((b"\n", b"\r")):  # MOF ends every line, the last one too
        lines = content.count(b"\n") + 1
        last = content.rsplit(b"\n", 1)[-1].decode("cp932", errors="replace")
        month = re.match(MONTH_CELL, last)
        where = f"{month.group(0)} (line {lines})" if month else f"line {lines}"
        raise SourceFormatError(
            [Problem(raw.name, "file ends inside a row: it was cut off", row=where, value=last[-20:])]
        )
    try:
        return content.decode("cp932")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise SourceFormatError(
            [
                Problem(
                    raw.name,
                    "not valid cp932 (Shift_JIS) text",
                    row=f"line {line}",
                    value=content[exc.start : exc.start + 4].hex(" "),
                )
            ]
        ) from exc


@dataclass(frozen=True)
class Grid:
    """A file's cells as stripped strings (index: 1-based line number) and each line's field count."""

    cells: pd.DataFrame
    fields: pd.Series


def read_grid(raw: RawFile) -> Grid:
    """All cells as stripped strings, the frame as wide as the file's longest line.

    The width comes from the longest line, not the first, so a title row of any length parses; whether a
    month row has the header's number of fields is `month_rows`'s rule.
    """
    text = decode_cp932(raw)
    lines = LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    # Fields per line: commas outside quoted cells, plus one. The frame is as wide as the widest line.
    unquoted = pd.Series(lines, dtype="string").str.replace(QUOTED_CELL, "", regex=True)
    fields = (unquoted.str.count(",") + 1).astype("int64")
    fields.index = pd.RangeIndex(1, len(lines) + 1, name="line")
    widest = int(fields.max())
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            header=None,
            names=range(widest),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise SourceFormatError(
            [Problem(raw.name, "not comma-separated text", value=str(exc).strip())]
        ) from exc
    if len(cells) != len(lines):
        raise SourceFormatError([Problem(raw.name, "a quoted cell spans lines (MOF's files have none)")])
    cells.index = fields.index
    cells = cells.fillna("").apply(lambda column: column.str.strip())
    return Grid(cells, fields)


def require_title(grid: Grid, file: str, *fragments: str) -> None:
    """The title rows name the data set; a different MOF file (d42ma, an HTML page) fails here."""
    head = " ".join(grid.cells.head(3).to_numpy().ravel().tolist())
    missing = [f for f in fragments if f not in head]
    if missing:
        shown = " ".join(head.split())[:80]
        raise SourceFormatError(
            [
                Problem(
                    file,
                    f"title rows must contain {' and '.join(map(repr, missing))}",
                    row="title",
                    value=shown,
                )
            ]
        )


def find_row(grid: Grid, file: str, *labels: str) -> int:
    """Line number of the first row whose leading cells are exactly `labels` (a header row)."""
    cells = grid.cells
    if len(labels) > cells.shape[1]:
        raise SourceFormatError(
            [Problem(file, f"header row {','.join(labels)!r} not found (too few columns)")]
        )
    match = pd.Series(True, index=cells.index)
    for i, label in enumerate(labels):
        match &= cells[i] == label
    hits = cells.index[match]
    if not len(hits):
        raise SourceFormatError([Problem(file, f"header row {','.join(labels)!r} not found")])
    return int(hits[0])


def month_rows(grid: Grid, file: str, header_line: int) -> pd.DataFrame:
    """The data rows below the header: `YYYY/MM` in the first cell; blank rows are skipped.

    Anything else below the header (a footnote, a stray row, a fullwidth month) is a format error, and so
    is a month row with more or fewer fields than the header row (a shifted or truncated row).
    """
    above = grid.cells.loc[: header_line - 1]
    misplaced = above[0][above[0].str.fullmatch(MONTH_CELL)]
    if len(misplaced):
        refuse_rows(file, "month row above the header row (Years/Months)", misplaced)
    body = grid.cells.loc[header_line + 1 :]
    is_month = body[0].str.fullmatch(MONTH_CELL)
    is_blank = (body == "").all(axis=1)
    stray = body[0][~is_month & ~is_blank]
    if len(stray):
        refuse_rows(file, "row below the header is neither a month (YYYY/MM) nor blank", stray)
    months = body[is_month]
    if months.empty:
        raise SourceFormatError(
            [Problem(file, "no monthly rows below the header", row=f"line {header_line}")]
        )
    expected = int(grid.fields.at[header_line])
    ragged = months.index[grid.fields.loc[months.index] != expected]
    if len(ragged):
        raise SourceFormatError(
            [
                Problem(
                    file, _field_count_rule(int(grid.fields.at[line]), expected), row=row_label(months, line)
                )
                for line in ragged[:MAX_PROBLEMS]
            ]
        )
    return months[list(range(expected))]


def refuse_rows(file: str, rule: str, first_cells: pd.Series) -> NoReturn:
    """Refuse the rows whose first cells (indexed by line) break `rule`, naming up to MAX_PROBLEMS."""
    raise SourceFormatError(
        [
            Problem(file, rule, row=f"line {line}", column="1", value=cell)
            for line, cell in first_cells.iloc[:MAX_PROBLEMS].items()
        ]
    )


def periods_of(months: pd.DataFrame) -> pd.Series:
    """First-of-month timestamps for `YYYY/MM` cells, indexed by line."""
    return pd.to_datetime(months[0], format="%Y/%m")


def row_label(months: pd.DataFrame, line: int) -> str:
    """`2026/05 (line 571)`: how a problem names its row."""
    return f"{months.at[line, 0]} (line {line})"


def parse_numbers(
    cells: pd.DataFrame, months: pd.DataFrame, file: str, column_names: dict[int, str], *, integers: bool
) -> pd.DataFrame:
    """Numbers from MOF cells: digits (optionally signed) or `-` for "does not apply" (NA).

    Empty cells, thousands separators, fullwidth digits and any other text are format errors naming the
    cell. Signs are kept: whether a negative is allowed is a validation rule, not a parsing one.
    """
    pattern = INTEGER_CELL if integers else DECIMAL_CELL
    matrix = cells.to_numpy(dtype=object)
    flat = pd.Series(matrix.ravel(), dtype="string")
    numeric = flat.str.fullmatch(pattern).to_numpy(dtype=bool)
    overlong = flat.str.fullmatch(OVERLONG_CELL).to_numpy(dtype=bool)
    dash = (flat == NOT_APPLICABLE).to_numpy(dtype=bool)
    bad = np.flatnonzero(~(numeric | dash))
    if len(bad):
        n_cols = matrix.shape[1]
        problems = []
        for position in bad[:MAX_PROBLEMS]:
            line = int(cells.index[position // n_cols])
            col = int(cells.columns[position % n_cols])
            rule = (
                "empty cell"
                if flat.iloc[position] == ""
                else f"number longer than {MAX_DIGITS} digits"
                if overlong[position]
                else "not a number (digits, or '-' for none)"
            )
            problems.append(
                Problem(
                    file,
                    rule,
                    row=row_label(months, line),
                    column=column_names.get(col, str(col + 1)),
                    value=str(flat.iloc[position]),
                )
            )
        raise SourceFormatError(problems + _more(len(bad), file))
    values = pd.to_numeric(flat.where(numeric), errors="raise")
    dtype = "Int64" if integers else "Float64"
    return pd.DataFrame(
        values.astype(dtype).to_numpy().reshape(matrix.shape), index=cells.index, columns=cells.columns
    ).astype(dtype)


def _more(count: int, file: str) -> list[Problem]:
    return (
        [Problem(file, f"... {count - MAX_PROBLEMS} more cells like these")] if count > MAX_PROBLEMS else []
    )


def _field_count_rule(found: int, expected: int) -> str:
    relation = "more" if found > expected else "fewer"
    return (
        f"row has {found} fields: {relation} fields than the header row's {expected} (a shifted or cut row)"
    )

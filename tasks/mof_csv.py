"""Reading MOF's CSV layout: strict cp932, header rows found by their labels, cells as MOF prints them.

Everything here works on whole columns (pandas), never cell by cell in Python, and reports a broken cell
as a `Problem` with the file, the month as printed, the line and the column.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from zeikan.errors import Problem, SourceFormatError
from zeikan.release import RawFile

MONTH_CELL = r"[0-9]{4}/(0[1-9]|1[0-2])"
INTEGER_CELL = r"-?[0-9]+"
DECIMAL_CELL = r"-?[0-9]+(\.[0-9]+)?"
NOT_APPLICABLE = "-"
UTF8_BOM = b"\xef\xbb\xbf"
MAX_PROBLEMS = 50


def decode_cp932(raw: RawFile) -> str:
    """The file's text, decoded strictly as cp932 (Shift_JIS) the way MOF serves it."""
    content = raw.content.removeprefix(UTF8_BOM)
    if not content.strip():
        raise SourceFormatError([Problem(raw.name, "file is empty")])
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


def read_grid(raw: RawFile) -> pd.DataFrame:
    """All cells as stripped strings; the index is the 1-based line number in the file."""
    text = decode_cp932(raw)
    try:
        grid = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        found = re.search(r"line (\d+), saw (\d+)", str(exc))
        where = f"line {found.group(1)}" if found else None
        raise SourceFormatError(
            [Problem(raw.name, "row has more fields than the header rows", row=where, value=str(exc).strip())]
        ) from exc
    grid = grid.fillna("")
    grid = grid.apply(lambda column: column.str.strip())
    grid.index = pd.RangeIndex(1, len(grid) + 1, name="line")
    grid.columns = pd.RangeIndex(0, grid.shape[1])
    return grid


def require_title(grid: pd.DataFrame, file: str, *fragments: str) -> None:
    """The title rows name the data set; a different MOF file (d42ma, an HTML page) fails here."""
    head = " ".join(grid.head(3).to_numpy().ravel().tolist())
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


def find_row(grid: pd.DataFrame, file: str, *labels: str) -> int:
    """Line number of the first row whose leading cells are exactly `labels` (a header row)."""
    if len(labels) > grid.shape[1]:
        raise SourceFormatError(
            [Problem(file, f"header row {','.join(labels)!r} not found (too few columns)")]
        )
    match = pd.Series(True, index=grid.index)
    for i, label in enumerate(labels):
        match &= grid[i] == label
    hits = grid.index[match]
    if not len(hits):
        raise SourceFormatError([Problem(file, f"header row {','.join(labels)!r} not found")])
    return int(hits[0])


def month_rows(grid: pd.DataFrame, file: str, header_line: int) -> pd.DataFrame:
    """The data rows below the header: `YYYY/MM` in the first cell; blank rows are skipped.

    Anything else below the header (a footnote, a stray row, a fullwidth month) is a format error.
    """
    body = grid.loc[header_line + 1 :]
    is_month = body[0].str.fullmatch(MONTH_CELL)
    is_blank = (body == "").all(axis=1)
    stray = body.index[~is_month & ~is_blank]
    if len(stray):
        raise SourceFormatError(
            [
                Problem(
                    file,
                    "row below the header is neither a month (YYYY/MM) nor blank",
                    row=f"line {line}",
                    column="1",
                    value=body.at[line, 0],
                )
                for line in stray[:MAX_PROBLEMS]
            ]
        )
    months = body[is_month]
    if months.empty:
        raise SourceFormatError(
            [Problem(file, "no monthly rows below the header", row=f"line {header_line}")]
        )
    return months


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
    dash = (flat == NOT_APPLICABLE).to_numpy(dtype=bool)
    bad = np.flatnonzero(~(numeric | dash))
    if len(bad):
        n_cols = matrix.shape[1]
        problems = []
        for position in bad[:MAX_PROBLEMS]:
            line = int(cells.index[position // n_cols])
            col = int(cells.columns[position % n_cols])
            rule = "empty cell" if flat.iloc[position] == "" else "not a number (digits, or '-' for none)"
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

"""Parse: MOF's d-files into tidy frames, finding every header row by its label.

d41ma gives world exports and imports per month; d51ma/d61ma give exports/imports per principal
commodity. Values arrive in thousand yen and leave as exact yen (×1000, int64). Months MOF lists but has
not published (`0,0` in d41ma, `-` in every cell of d51ma/d61ma) are "not published", never zero trade.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.mof_csv import Grid, find_row, month_rows, parse_numbers, periods_of, read_grid, require_title
from tasks.principal_commodities import clean_code, english_names, hierarchy, is_printed_code
from zeikan.errors import Problem, SourceFormatError
from zeikan.release import (
    DIRECTION_OF_FILE,
    EXPORTS_FILE,
    IMPORTS_FILE,
    WORLD_FILE,
    CommodityTrade,
    ParsedRelease,
    RawFile,
    WorldTrade,
)

YEN_PER_THOUSAND = 1000
TITLE_OF_DIRECTION = {"export": ("（輸出）", "(Export)"), "import": ("（輸入）", "(Import)")}
VALUE_LABEL, QUANTITY_LABEL = "金額", "数量"
NINE_PRESS_GROUPS = 9
WORLD_COLUMNS = ("Years/Months", "Exp-Total", "Imp-Total")


def parse_world(raw: RawFile) -> WorldTrade:
    """d41ma → one row per published month: period, exports_jpy, imports_jpy, line."""
    grid = read_grid(raw)
    require_title(grid, raw.name, "《世界》", "【月別】", "WORLD", "a thousand yen")
    header = find_row(grid, raw.name, "Years/Months", "Exp-Total", "Imp-Total")
    if grid.fields.at[header] != len(WORLD_COLUMNS):
        raise SourceFormatError(
            [
                Problem(
                    raw.name,
                    f"header row has {grid.fields.at[header]} fields; d41ma has {len(WORLD_COLUMNS)} "
                    "(Years/Months, Exp-Total, Imp-Total)",
                    row=f"line {header}",
                )
            ]
        )
    months = month_rows(grid, raw.name, header)
    values = parse_numbers(
        months[[1, 2]], months, raw.name, {1: "2 Exp-Total", 2: "3 Imp-Total"}, integers=True
    )
    unpublished = (values[1] == 0) & (values[2] == 0)
    published = ~unpublished.fillna(False).astype(bool)
    frame = pd.DataFrame(
        {
            "period": periods_of(months)[published],
            "exports_jpy": values.loc[published, 1] * YEN_PER_THOUSAND,
            "imports_jpy": values.loc[published, 2] * YEN_PER_THOUSAND,
            "line": months.index[published.to_numpy()],
        }
    ).reset_index(drop=True)
    return WorldTrade(
        file=raw.name,
        frame=frame,
        unpublished=[p.date() for p in periods_of(months)[~published]],
    )


def commodity_catalog(grid: Grid, raw: RawFile, direction: str) -> pd.DataFrame:
    """One row per principal commodity, pairing the n-th code with the n-th value (金額) column.

    MOF prints the total's code above its value and every later code one column left of its value, so
    columns are paired by order, not position (CONTRACT §1). Names sit in the code's own column.
    """
    code_line = find_row(grid, raw.name, "概況品コード")
    press_line = find_row(grid, raw.name, "報道発表品目名")
    name_line = find_row(grid, raw.name, "概況品名")
    header_line = find_row(grid, raw.name, "Years/Months")
    cells = grid.cells
    labelled = cells.loc[code_line:header_line].eq(VALUE_LABEL).any(axis=1)
    if not labelled.any():
        raise SourceFormatError(
            [Problem(raw.name, f"no header row labels the value ({VALUE_LABEL}) columns")]
        )
    kinds = cells.loc[labelled.idxmax()]
    units = cells.loc[header_line]
    code_cells = cells.loc[code_line, 1:]
    code_columns = [int(c) for c in code_cells.index[code_cells != ""]]
    value_columns = [int(c) for c in kinds.index[kinds == VALUE_LABEL]]
    if len(code_columns) != len(value_columns) or not code_columns:
        raise SourceFormatError(
            [
                Problem(
                    raw.name,
                    f"{len(code_columns)} commodity codes but {len(value_columns)} "
                    f"value ({VALUE_LABEL}) columns",
                    row=f"line {code_line}",
                )
            ]
        )
    known = english_names()
    problems, items = [], []
    for code_col, value_col in zip(code_columns, value_columns, strict=True):
        printed = cells.at[code_line, code_col]
        code = clean_code(printed)
        where = {"row": f"概況品コード (line {code_line})", "column": str(code_col + 1), "value": printed}
        if not is_printed_code(printed):
            problems.append(
                Problem(raw.name, "not a principal-commodity code like '70323' or '0'+'1'", **where)
            )
            continue
        if (direction, code) not in known:
            problems.append(
                Problem(
                    raw.name,
                    f"unknown {direction} principal-commodity code (not in zeikan/reference)",
                    **where,
                )
            )
        # An item's quantity (数量) is the column left of its value, under its code; the total has none.
        has_quantity = value_col - 1 > 0 and kinds.at[value_col - 1] == QUANTITY_LABEL
        unit = units.at[value_col - 1].strip("()").removeprefix("単位").lstrip("：") if has_quantity else ""
        items.append(
            {
                "category_code": code,
                "category_name_ja": cells.at[press_line, code_col] or cells.at[name_line, code_col],
                "category_name_en": known.get((direction, code)),
                "in_press_release": cells.at[press_line, code_col] != "",
                "value_column": value_col,
                "quantity_column": value_col - 1 if has_quantity else None,
                "quantity_unit": unit or None,
            }
        )
    codes = [item["category_code"] for item in items]
    duplicated = sorted({c for c in codes if codes.count(c) > 1})
    problems += [
        Problem(raw.name, "principal-commodity code appears twice", row=f"line {code_line}", value=c)
        for c in duplicated
    ]
    expected = {code for (d, code) in known if d == direction}
    problems += [
        Problem(
            raw.name,
            f"{direction} principal-commodity code missing from the header",
            row=f"line {code_line}",
            value=code,
        )
        for code in sorted(expected - set(codes))
    ]
    if problems:
        raise SourceFormatError(problems)
    levels = hierarchy(codes)
    catalog = pd.DataFrame(items)
    catalog["level"] = [levels[c][0] for c in codes]
    catalog["parent_code"] = [levels[c][1] for c in codes]
    groups = int((catalog["level"] == 1).sum())
    if groups != NINE_PRESS_GROUPS or int((catalog["level"] == 0).sum()) != 1:
        raise SourceFormatError(
            [
                Problem(
                    raw.name,
                    f"expected one total and nine press groups, found {groups} groups",
                    row=f"line {code_line}",
                )
            ]
        )
    return catalog


def parse_commodities(raw: RawFile) -> CommodityTrade:
    """d51ma/d61ma → long form: one row per published month and commodity, values in yen."""
    direction = DIRECTION_OF_FILE[raw.name]
    grid = read_grid(raw)
    require_title(grid, raw.name, "《世界》", "【月別】", "WORLD", *TITLE_OF_DIRECTION[direction])
    catalog = commodity_catalog(grid, raw, direction)
    months = month_rows(grid, raw.name, find_row(grid, raw.name, "Years/Months"))
    data_columns = list(range(1, months.shape[1]))
    unpublished = (months[data_columns] == "-").all(axis=1)
    published = months[~unpublished]
    names = _column_names(catalog)
    value_cols = catalog["value_column"].tolist()
    qty_catalog = catalog.dropna(subset=["quantity_column"])
    qty_cols = qty_catalog["quantity_column"].astype(int).tolist()
    values = parse_numbers(published[value_cols], published, raw.name, names, integers=True)
    quantities = parse_numbers(published[qty_cols], published, raw.name, names, integers=False)
    quantity_matrix = np.full(values.shape, np.nan)
    positions = catalog.index[catalog["quantity_column"].notna()]
    quantity_matrix[:, positions] = quantities.to_numpy(dtype="float64", na_value=np.nan)

    n_months, n_items = values.shape
    frame = pd.DataFrame(
        {
            "period": np.repeat(periods_of(published).to_numpy(), n_items),
            "category_code": np.tile(catalog["category_code"].to_numpy(dtype=object), n_months),
            "level": np.tile(catalog["level"].to_numpy(), n_months),
            "value_jpy": pd.array(values.to_numpy().ravel(), dtype="Int64") * YEN_PER_THOUSAND,
            "quantity": pd.array(quantity_matrix.ravel(), dtype="Float64"),
            "line": np.repeat(published.index.to_numpy(), n_items),
            "column": np.tile(np.array(value_cols) + 1, n_months),
        }
    )
    frame["category_code"] = frame["category_code"].astype("string")
    # Items MOF marks `-` in a month are absent that month; the total is always kept, so that a missing
    # total is a validation failure rather than a silently shorter month.
    present = frame["value_jpy"].notna() | frame["quantity"].notna() | (frame["level"] == 0)
    frame = frame[present].reset_index(drop=True)
    return CommodityTrade(file=raw.name, direction=direction, frame=frame, catalog=catalog)


def _column_names(catalog: pd.DataFrame) -> dict[int, str]:
    """How problems name a d51/d61 column: its field number and the commodity it belongs to."""
    names = {}
    for row in catalog.itertuples():
        names[row.value_column] = f"{row.value_column + 1} ('{row.category_code}' value)"
        if pd.notna(row.quantity_column):
            names[int(row.quantity_column)] = (
                f"{int(row.quantity_column) + 1} ('{row.category_code}' quantity)"
            )
    return names


@task(name="parse-release", cache_policy=NO_CACHE, persist_result=False)
def parse_release(files: list[RawFile]) -> ParsedRelease:
    """Returns the three d-files parsed into world and per-commodity tables."""
    by_name = {f.name: f for f in files}
    return ParsedRelease(
        files=files,
        world=parse_world(by_name[WORLD_FILE]),
        exports=parse_commodities(by_name[EXPORTS_FILE]),
        imports=parse_commodities(by_name[IMPORTS_FILE]),
    )

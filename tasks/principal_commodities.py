"""MOF's principal commodities (概況品): codes as printed, their hierarchy, their English names.

A code is printed in the header row with quotes: `'70323'`, a sum `'0'+'1'`, or the total `'0'～'9'`. The
hierarchy follows from the codes themselves: an item belongs to the narrowest other item whose code
parts are prefixes of all of its own (`'7032305'` IC inside `'70323'` semiconductors; `'007'` fish
inside `'0'` food inside `'0'+'1'` foodstuff). Level 1 is then exactly the nine press groups.

English names are not in the d-files; MOF prints them in the press release. `reference/` holds them per
direction and code, checked against the real press XML by the tests.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

PRINTED_CODE = re.compile(r"'[0-9]+'(\+'[0-9]+')*|'0'～'9'")
TOTAL_CODE = "0～9"
ALL_SECTIONS = tuple(str(d) for d in range(10))


def clean_code(printed: str) -> str:
    """`'0'+'1'` → `0+1` (CONTRACT: as printed, without quotes)."""
    return printed.replace("'", "")


def is_printed_code(cell: str) -> bool:
    return PRINTED_CODE.fullmatch(cell) is not None


def code_parts(code: str) -> tuple[str, ...]:
    """The commodity codes a (cleaned) code covers: `0+1` → ('0', '1'); the total covers every section."""
    return ALL_SECTIONS if code == TOTAL_CODE else tuple(code.split("+"))


def contains(outer: str, inner: str) -> bool:
    """True when every part of `inner` lies under some part of `outer`."""
    outer_parts = code_parts(outer)
    return all(any(part.startswith(o) for o in outer_parts) for part in code_parts(inner))


def hierarchy(codes: list[str]) -> dict[str, tuple[int, str | None]]:
    """(level, parent_code) for each code: the parent is the narrowest other code containing it."""
    parents: dict[str, str | None] = {}
    for code in codes:
        # a container covers strictly more than `code`: two codes covering the same parts are siblings
        containers = [o for o in codes if o != code and contains(o, code) and not contains(code, o)]
        narrowest = [c for c in containers if all(contains(o, c) for o in containers)]
        parents[code] = narrowest[0] if narrowest else None
    levels: dict[str, tuple[int, str | None]] = {}
    for code in codes:
        depth, parent = 0, parents[code]
        while parent is not None:
            depth, parent = depth + 1, parents[parent]
        levels[code] = (depth, parents[code])
    return levels


@cache
def english_names() -> dict[tuple[str, str], str]:
    """(direction, code) → MOF's English name, from `zeikan/reference/principal_commodities.csv`."""
    text = resources.files("zeikan").joinpath("reference/principal_commodities.csv").read_text("utf-8")
    return {
        (row["direction"], row["category_code"]): row["name_en"] for row in csv.DictReader(text.splitlines())
    }


@cache
def reference_levels(direction: str) -> dict[str, tuple[int, str | None]]:
    """(level, parent_code) of every code MOF lists for `direction`, from the reference's codes."""
    return hierarchy([code for (d, code) in english_names() if d == direction])

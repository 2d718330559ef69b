"""Parse: MOF's English press-release XML (`YYYYMMne.xml`) into what it printed, in yen.

Page 1 (`sogakutsuki`) carries the release date, the month, exports, imports and the balance with their
year-earlier values and rates; the world pages of principal commodities carry value, share, y/y rate and
contribution per item. Values are million yen with thousands separators, `△` marks a negative, and `-`
stands for "no figure". Items are named in English only; their codes come from `zeikan/reference`.
The XML comes from a remote server, so it is parsed with defusedxml (no entity expansion).
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pandas as pd
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.principal_commodities import english_names
from zeikan.errors import Problem, SourceFormatError
from zeikan.release import PRESS_STAGE_OF_DIGIT, PressRelease, RawFile

YEN_PER_MILLION = 1_000_000
FILE_NAME = re.compile(r"(?P<year>[0-9]{4})(?P<month>0[1-9]|1[0-2])(?P<digit>[1245])e\.xml")
LEVEL = re.compile(r"[0-9]")
# Up to 999,999,999,999 million yen: more than any month's trade, and safely inside int64 as yen.
AMOUNT = re.compile(r"(?P<negative>△)?(?P<digits>[0-9]{1,3}(,[0-9]{3}){0,3})")
RATE = re.compile(r"-?[0-9]+(\.[0-9]+)?")
WORLD_PAGE_TITLE = {
    "export": "Exports by Principal Commodity(WORLD)",
    "import": "Imports by Principal Commodity(WORLD)",
}


def printed(text: str | None) -> str | None:
    """A cell's text, or None where MOF prints nothing (`-`, or an empty element)."""
    cell = (text or "").strip()
    return None if cell in ("", "-") else cell


class PressPage:
    """Reads one page's cells, naming the place in any problem: `pg1 export/sogakutonen`."""

    def __init__(self, file: str, page: str) -> None:
        self.file, self.page = file, page

    def problem(self, where: str, rule: str, value: str | None) -> SourceFormatError:
        return SourceFormatError([Problem(self.file, rule, row=self.page, column=where, value=value)])

    def amount(self, text: str | None, where: str) -> int | None:
        """Million yen as printed (`9,511,555`, `△378,673`, `-`) → yen."""
        cell = printed(text)
        if cell is None:
            return None
        found = AMOUNT.fullmatch(cell)
        if found is None:
            raise self.problem(
                where, "not an amount in million yen (digits with commas, △ for negative)", cell
            )
        value = int(found["digits"].replace(",", "")) * YEN_PER_MILLION
        return -value if found["negative"] else value

    def quantity(self, text: str | None, where: str) -> float | None:
        """A quantity as printed, in the item's printed unit (`5,754,373`), or None."""
        cell = printed(text)
        if cell is None:
            return None
        found = AMOUNT.fullmatch(cell)
        if found is None or found["negative"]:
            raise self.problem(where, "not a quantity (digits with commas)", cell)
        return float(found["digits"].replace(",", ""))

    def level(self, text: str | None, where: str) -> int:
        """The printed level (shuyoshohinbunrui): 0 total, 1 group, 2 item."""
        cell = (text or "").strip()
        if LEVEL.fullmatch(cell) is None:
            raise self.problem(where, "not a level (a single digit)", cell)
        return int(cell)

    def rate(self, text: str | None, where: str) -> float | None:
        """A printed percentage (`17.0`, `-42.8`) or None for `-`."""
        cell = printed(text)
        if cell is None:
            return None
        if RATE.fullmatch(cell) is None:
            raise self.problem(where, "not a percentage", cell)
        return float(cell)


def printed_date(text: str | None, file: str, layout: str, rule: str) -> date:
    """A date printed on page 1 in `layout` (strptime's), or a problem saying `rule`."""
    try:
        return datetime.strptime((text or "").strip(), layout).date()
    except ValueError as exc:
        raise SourceFormatError([Problem(file, rule, row="pg1", value=text)]) from exc


def month_of(text: str | None, file: str) -> date:
    """`May 2026` → date(2026, 5, 1)."""
    return printed_date(text, file, "%B %Y", "not a month like 'May 2026'")


def release_day(text: str | None, file: str) -> date:
    """`June 17, 2026` → date(2026, 6, 17): kohyoymd, the day MOF published the release."""
    return printed_date(text, file, "%B %d, %Y", "release date (kohyoymd) is not like 'June 17, 2026'")


def parse_totals(root: ElementTree.Element, file: str, period: date) -> pd.DataFrame:
    page = PressPage(file, "pg1")
    row: dict[str, object] = {"period": pd.Timestamp(period)}
    for tag, name in (("export", "exports"), ("import", "imports"), ("sashihiki", "balance")):
        row[f"{name}_jpy"] = page.amount(
            root.findtext(f"sogakutsuki/{tag}/sogakutonen"), f"{tag}/sogakutonen"
        )
        row[f"{name}_year_ago_jpy"] = page.amount(
            root.findtext(f"sogakutsuki/{tag}/sogakuzennen"), f"{tag}/sogakuzennen"
        )
        row[f"{name}_yoy_pct"] = page.rate(root.findtext(f"sogakutsuki/{tag}/nobiritsu"), f"{tag}/nobiritsu")
    frame = pd.DataFrame([row])
    for column in frame.columns:
        if column.endswith("_jpy"):
            frame[column] = frame[column].astype("Int64")
        elif column.endswith("_pct"):
            frame[column] = frame[column].astype("Float64")
    return frame


def parse_commodities(root: ElementTree.Element, file: str) -> pd.DataFrame:
    """Both world commodity pages, each item matched to its code by MOF's English name."""
    by_name = {(direction, name): code for (direction, code), name in english_names().items()}
    pages = {page.findtext("title", "").strip(): page for page in root.iter("shuyochiikikunihin")}
    rows = []
    for direction, title in WORLD_PAGE_TITLE.items():
        element = pages.get(title)
        if element is None:
            raise SourceFormatError([Problem(file, f"no page titled {title!r}")])
        page = PressPage(file, element.get("name", title))
        for position, item in enumerate(element.iter("shuyochiikikunihininfo"), start=1):
            name = (item.findtext("shuyoshohin") or "").strip()
            where = f"item {position} {name!r}"
            code = by_name.get((direction, name))
            if code is None:
                raise page.problem(where, f"{direction} principal commodity not in zeikan/reference", name)
            rows.append(
                {
                    "direction": direction,
                    "position": position,
                    "category_code": code,
                    "name_en": name,
                    "level_printed": page.level(
                        item.findtext("shuyoshohinbunrui"), f"{where} shuyoshohinbunrui"
                    ),
                    "quantity_unit": (item.findtext("tani") or "").strip() or None,
                    "quantity": page.quantity(item.findtext("suryo"), f"{where} suryo"),
                    "value_jpy": page.amount(item.findtext("kagaku"), f"{where} kagaku"),
                    "share_pct": page.rate(item.findtext("koseihi"), f"{where} koseihi"),
                    "yoy_pct": page.rate(item.findtext("kagakunobiritsu"), f"{where} kagakunobiritsu"),
                    "yoy_contribution_pp": page.rate(item.findtext("zogenkiyodo"), f"{where} zogenkiyodo"),
                }
            )
    frame = pd.DataFrame(rows)
    frame["quantity"] = frame["quantity"].astype("Float64")
    frame["value_jpy"] = frame["value_jpy"].astype("Int64")
    for column in ("share_pct", "yoy_pct", "yoy_contribution_pp"):
        frame[column] = frame[column].astype("Float64")
    frame["category_code"] = frame["category_code"].astype("string")
    return frame


def parse_press(raw: RawFile) -> PressRelease:
    """One press release → its stage, month, release date, totals and world commodity tables."""
    named = FILE_NAME.fullmatch(raw.name)
    if named is None:
        raise SourceFormatError(
            [Problem(raw.name, "press-release file name is not YYYYMMne.xml (n = 1, 2, 4, 5)")]
        )
    try:
        root = ElementTree.fromstring(raw.content)
    except DefusedXmlException as exc:
        raise SourceFormatError(
            [
                Problem(
                    raw.name,
                    "XML with entity or DTD declarations (refused: MOF's releases have none)",
                    value=str(exc),
                )
            ]
        ) from exc
    except ElementTree.ParseError as exc:
        raise SourceFormatError([Problem(raw.name, "not well-formed XML", value=str(exc))]) from exc
    if root.tag != "hodoxml" or root.find("sogakutsuki") is None:
        raise SourceFormatError(
            [Problem(raw.name, "not a MOF press release (no hodoxml/sogakutsuki)", value=root.tag)]
        )
    period = date(int(named["year"]), int(named["month"]), 1)
    printed = month_of(root.findtext("sogakutsuki/taishoymtonen"), raw.name)
    if printed != period:
        raise SourceFormatError(
            [
                Problem(
                    raw.name,
                    f"release is for {printed:%B %Y}, not the month in its name",
                    row="pg1",
                    column="taishoymtonen",
                    value=f"{printed:%Y-%m}",
                )
            ]
        )
    return PressRelease(
        file=raw,
        stage=PRESS_STAGE_OF_DIGIT[named["digit"]],
        period=period,
        release_date=release_day(root.findtext("sogakutsuki/kohyoymd"), raw.name),
        totals=parse_totals(root, raw.name, period),
        commodities=parse_commodities(root, raw.name),
    )


@task(name="parse-press-release", cache_policy=NO_CACHE, persist_result=False)
def parse_press_release(raw: RawFile) -> PressRelease:
    """Returns the press release's totals and world commodity tables as printed."""
    return parse_press(raw)

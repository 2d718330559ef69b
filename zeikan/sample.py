"""The bundled sample release behind `zeikan demo`: real MOF files, cut to a few years.

`build_sample` copies MOF's d-files byte for byte (cp932, CRLF, header rows as MOF wrote them) but keeps
only the months `first`..`last`, and lists the rest of `last`'s year as not yet published, the way MOF's
own files look the day after a release. The result is a real release in miniature: `zeikan demo` runs
the same flow over it as over MOF's site.
"""

from __future__ import annotations

import re
from datetime import date
from importlib import resources
from pathlib import Path

from zeikan.periods import add_months
from zeikan.release import DFILES, WORLD_FILE

MONTH_LINE = re.compile(rb"^([0-9]{4})/([0-9]{2}),")
PRESS_NAME = re.compile(r"(?P<year>[0-9]{4})(?P<month>[0-9]{2})[1245]e\.xml")
SAMPLE_FIRST = date(2023, 1, 1)
SAMPLE_LAST = date(2026, 5, 1)
SAMPLE_README = """# Bundled sample release

MOF's real d41ma/d51ma/d61ma (Ministry of Finance, Trade Statistics of Japan; Public Data License 1.0),
cut by `zeikan make-sample` to {first:%Y-%m}..{last:%Y-%m}, with the rest of {last.year} listed as
not yet published, exactly as MOF's files look after the {last:%Y-%m} release. Bytes are MOF's (cp932, CRLF).
`press/` holds MOF's English press releases of those months (YYYYMMne.xml), copied unchanged: the first
prints, which the d-files later revise.
"""


def sample_dir() -> Path:
    """Where the bundled sample lives inside the installed package."""
    return Path(str(resources.files("zeikan").joinpath("sample")))


def unpublished_line(file_name: str, period: date, fields: int) -> bytes:
    """How MOF lists a month it has not published: `0 ,0 ` in d41ma, `-` in every cell elsewhere."""
    month = f"{period.year:04d}/{period.month:02d}".encode()
    cells = [b"0 ", b"0 "] if file_name == WORLD_FILE else [b"-"] * (fields - 1)
    return b",".join([month, *cells])


def cut_file(content: bytes, file_name: str, first: date, last: date) -> bytes:
    """`content` with only the months first..last, and last's later months listed as unpublished."""
    newline = b"\r\n" if b"\r\n" in content else b"\n"
    lines = content.split(newline)
    header, months = [], []
    for line in lines:
        found = MONTH_LINE.match(line)
        if found is None:
            if not months and line:
                header.append(line)
            continue
        period = date(int(found.group(1)), int(found.group(2)), 1)
        if first <= period <= last:
            months.append(line)
    fields = header[-1].count(b",") + 1
    after = [add_months(last, n) for n in range(1, 13 - last.month)] if last.month < 12 else []
    tail = [unpublished_line(file_name, period, fields) for period in after]
    return newline.join([*header, *months, *tail]) + newline


def build_sample(
    real_dir: Path, out_dir: Path, first: date = SAMPLE_FIRST, last: date = SAMPLE_LAST
) -> list[Path]:
    """Write the sample d-files cut from the real ones in `real_dir`, and copy the real English press
    releases of the sample's months (`press/YYYYMMne.xml`, byte for byte); returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in DFILES:
        target = out_dir / name
        target.write_bytes(cut_file((real_dir / name).read_bytes(), name, first, last))
        written.append(target)
    for press in sorted((real_dir / "press").glob("*e.xml")):
        found = PRESS_NAME.fullmatch(press.name)
        if found and first <= date(int(found["year"]), int(found["month"]), 1) <= last:
            target = out_dir / "press" / press.name
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(press.read_bytes())
            written.append(target)
    (out_dir / "README.md").write_text(SAMPLE_README.format(first=first, last=last), encoding="utf-8")
    return written

"""Benchmark: the whole real history (d41ma 1979-, d51ma/d61ma 1988-) parsed, validated and loaded.

Measures, in one process and on one machine:
  - flow time: `monthly_release` through a running Prefect API (server start excluded), fresh warehouse;
  - total time: the same plus the temporary server's start;
  - each stage as a plain function (fetch, parse, validate, load + marts + headlines);
  - a baseline: bare DuckDB reading the same three files into tables (`read_csv`, no checks; the bytes
    transcoded cp932 -> UTF-8 by Python first, since DuckDB reads cp932 only through an extension it
    cannot install offline), so the
    pipeline's cost is reported as a ratio to the cheapest thing that could be called "loading";
  - peak memory: the process's maximum resident set size (includes Prefect and DuckDB).

Usage: python benchmarks/load_history.py [--data ../shared/data/mof] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="zeikan-bench-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import duckdb
from machine import cpu_model  # benchmarks/machine.py, beside this script

VINTAGE = date(2026, 11, 25)
BASELINE = "baseline: transcode to UTF-8 + bare DuckDB read_csv of the 3 files"


def best_of(repeat: int, work: Callable[[int], object]) -> tuple[float, float]:
    """(median, min) seconds of `work(i)` over `repeat` runs."""
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        work(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=Path("../shared/data/mof"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = args.data.resolve()
    work = Path(tempfile.mkdtemp(prefix="zeikan-bench-"))

    from flows.monthly_release import monthly_release
    from tasks.extract import download, file_url
    from tasks.headlines import HeadlineRequest, save_headlines
    from tasks.parse import parse_release
    from tasks.store import add_vintage
    from tasks.transform import rebuild_marts
    from tasks.validate import check_release, months_to_publish
    from zeikan.release import DFILES
    from zeikan.settings import Settings
    from zeikan.warehouse import DuckDBFileWarehouse

    settings = Settings(source=str(data), warehouse=work / "stage.duckdb")
    rss_start = peak_rss_mb()

    def baseline(i: int) -> None:
        with duckdb.connect(str(work / f"baseline{i}.duckdb")) as con:
            for name in DFILES:
                utf8 = work / f"{name}.utf8"
                utf8.write_text((data / name).read_bytes().decode("cp932"), encoding="utf-8")
                con.execute(
                    f"CREATE TABLE {name[:5]} AS SELECT * FROM read_csv(?, header=false, all_varchar=true, "
                    "null_padding=true)",
                    [str(utf8)],
                )

    stages: dict[str, tuple[float, float]] = {BASELINE: best_of(args.repeat, baseline)}
    files = [download(file_url(str(data), name), name, settings) for name in DFILES]
    stages["fetch (directory source, archive by sha256)"] = best_of(
        args.repeat, lambda i: [download(file_url(str(data), n), n, settings) for n in DFILES]
    )
    stages["parse (3 files)"] = best_of(args.repeat, lambda i: parse_release.fn(files))
    release = parse_release.fn(files)
    stages["validate (pandera, lazy)"] = best_of(args.repeat, lambda i: check_release(release, VINTAGE))
    months = months_to_publish(release, None, None)

    def load(i: int) -> None:
        with DuckDBFileWarehouse(work / f"load{i}.duckdb").transaction() as txn:
            stored = add_vintage(txn.con, release, VINTAGE, months[-1], str(data))
            rebuild_marts(txn.con)
            save_headlines(txn.con, [HeadlineRequest(months, stored.vintage, stored.release_id)])

    stages["load + marts + headline (one transaction, new file)"] = best_of(args.repeat, load)

    from prefect.testing.utilities import prefect_test_harness

    server_start = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=60):
        server_seconds = time.perf_counter() - server_start

        def flow(i: int) -> None:
            monthly_release(
                period="2026-08", source=str(data), warehouse=str(work / f"flow{i}.duckdb"), as_of=VINTAGE
            )

        flow_median, flow_min = best_of(args.repeat, flow)
    baseline_median = stages[BASELINE][0]

    import pandas
    import pandera
    import prefect

    print(f"# zeikan load_history benchmark, {date.today()}")
    print()
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()}"
    )
    print(
        f"versions: prefect {prefect.__version__}, duckdb {duckdb.__version__}, pandas {pandas.__version__}, "
        f"pandera {pandera.__version__}"
    )
    print(
        f"data: {', '.join(f'{n} {(data / n).stat().st_size:,} B' for n in DFILES)}; "
        f"{len(release.world.frame)} months, {len(release.exports.frame) + len(release.imports.frame):,} "
        f"commodity rows; repeats: {args.repeat} (median / best)"
    )
    print()
    print("| step | median s | best s | × baseline |")
    print("|---|---:|---:|---:|")
    for name, (median, best) in stages.items():
        print(f"| {name} | {median:.3f} | {best:.3f} | {median / baseline_median:.1f} |")
    print(
        "| **flow time**: monthly_release through Prefect, fresh warehouse "
        f"| {flow_median:.3f} | {flow_min:.3f} "
        f"| {flow_median / baseline_median:.1f} |"
    )
    print(f"| Prefect temporary server start (not in flow time) | {server_seconds:.3f} | | |")
    print(f"| **total**: server start + one flow | {server_seconds + flow_median:.3f} | | |")
    print()
    print(f"peak RSS: {peak_rss_mb():.0f} MB for the whole process ({rss_start:.0f} MB after imports)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

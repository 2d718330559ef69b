"""Benchmark: the three queries a dashboard asks of the serving copy, and what publishing the copy costs.

The whole real history is loaded (as in load_history.py: d41ma 1979-, d51ma/d61ma 1988-, every month's
headline), the serving copy is published, and then each query runs many times, in one process:

  - last 24 months of the balance (`marts.trade_balance_monthly`);
  - the principal-commodity contributions of one month (`marts.trade_by_category_monthly`, 53k rows);
  - the fiscal-year table (`marts.trade_balance_fiscal_year`).

Each is timed on an open read-only connection (a pooled dashboard) and with a new connection per query
(connect, query, close: a dashboard that holds nothing between refreshes, and what a reader of a freshly
published copy pays). Baselines in the same process: `SELECT 1` on an open connection, and the same
queries on the pipeline's own warehouse. Target: p95 under 50 ms on the serving file.

Usage: python benchmarks/dashboard_queries.py [--data ../shared/data/mof] [--repeat 300]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
from machine import cpu_model  # benchmarks/machine.py, beside this script

VINTAGE = date(2026, 11, 25)
TARGET_P95_MS = 50.0
QUERIES = {
    "balance, last 24 months": (
        "SELECT period, exports_jpy, imports_jpy, balance_jpy, position, exports_yoy_pct, imports_yoy_pct "
        "FROM marts.trade_balance_monthly ORDER BY period DESC LIMIT 24"
    ),
    "category contributions, one month": (
        "SELECT direction, category_code, category_name_en, value_jpy, yoy_pct, share_pct, "
        "yoy_contribution_pp FROM marts.trade_by_category_monthly "
        "WHERE period = DATE '2026-05-01' AND level = 1 ORDER BY direction, yoy_contribution_pp DESC"
    ),
    "fiscal-year table": "SELECT * FROM marts.trade_balance_fiscal_year ORDER BY fiscal_year",
}
TRIVIAL = "SELECT 1"


def timings_ms(repeat: int, work: Callable[[], object]) -> list[float]:
    """Milliseconds of `work()` over `repeat` runs, after one untimed warm-up run."""
    work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> tuple[float, float, float]:
    """(p50, p95, max) in milliseconds."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def load_history(data: Path, warehouse: Path) -> None:
    """The whole real history in one transaction, with a headline for every month."""
    from tasks.extract import download, file_url
    from tasks.headlines import HeadlineRequest, save_headlines
    from tasks.parse import parse_release
    from tasks.store import add_vintage
    from tasks.transform import rebuild_marts
    from tasks.validate import months_to_publish
    from zeikan.release import DFILES
    from zeikan.settings import Settings
    from zeikan.warehouse import DuckDBFileWarehouse

    settings = Settings(source=str(data), warehouse=warehouse)
    release = parse_release.fn([download(file_url(str(data), name), name, settings) for name in DFILES])
    months = months_to_publish(release, None, None)
    with DuckDBFileWarehouse(warehouse).transaction() as txn:
        stored = add_vintage(txn.con, release, VINTAGE, months[-1], str(data))
        rebuild_marts(txn.con)
        save_headlines(txn.con, [HeadlineRequest(months, stored.vintage, stored.release_id)])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=Path("../shared/data/mof"))
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="zeikan-dash-"))

    from zeikan.warehouse import DuckDBFileWarehouse
    from zeikan.warehouse.serving import STORAGE_VERSION, write_serving_copy

    pipeline = work / "zeikan.duckdb"
    load_history(args.data.resolve(), pipeline)
    publishes = []
    for _ in range(5):
        with DuckDBFileWarehouse(pipeline).reader() as con:
            copy = write_serving_copy(con, work / "serving")
        publishes.append(copy.seconds * 1000)
    serving = copy.path

    rows: list[tuple[str, str, tuple[float, float, float]]] = []
    with duckdb.connect(str(serving), read_only=True) as con:
        rows.append(
            (
                "baseline: `SELECT 1`",
                "open connection",
                summary(timings_ms(args.repeat, lambda: con.execute(TRIVIAL).fetchall())),
            )
        )
    for name, sql in QUERIES.items():
        for label, path in (("pipeline warehouse (baseline)", pipeline), ("serving copy", serving)):
            with duckdb.connect(str(path), read_only=True) as con:
                rows.append(
                    (
                        f"{name}: {label}",
                        "open connection",
                        summary(timings_ms(args.repeat, lambda c=con, q=sql: c.execute(q).fetchall())),
                    )
                )

            def fresh(p: Path = path, q: str = sql) -> None:
                with duckdb.connect(str(p), read_only=True) as c:
                    c.execute(q).fetchall()

            rows.append(
                (f"{name}: {label}", "connect + query + close", summary(timings_ms(args.repeat, fresh)))
            )

    engine_rows = sqlalchemy_rows(serving, args.repeat)

    print(f"# zeikan dashboard queries benchmark, {date.today()}")
    print()
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()}; duckdb {duckdb.__version__}; serving copy storage {STORAGE_VERSION}"
    )
    print(
        f"files: pipeline warehouse {pipeline.stat().st_size / 1e6:.1f} MB, serving copy "
        f"{serving.stat().st_size / 1e6:.1f} MB ({sum(copy.row_counts.values()):,} rows in "
        f"{len(copy.row_counts)} tables); repeats: {args.repeat} per line"
    )
    p50, p95, worst = summary(publishes)
    print(f"publishing the serving copy (DuckDB file + Parquet): median {p50:.0f} ms, max {worst:.0f} ms")
    print()
    print("| query | how | p50 ms | p95 ms | max ms |")
    print("|---|---|---:|---:|---:|")
    for name, how, (p50, p95, worst) in [*rows, *engine_rows]:
        print(f"| {name} | {how} | {p50:.2f} | {p95:.2f} | {worst:.2f} |")
    serving_p95 = [p95 for name, _, (_, p95, _) in [*rows, *engine_rows] if "serving" in name]
    print()
    verdict = "yes" if max(serving_p95) < TARGET_P95_MS else "NO"
    print(f"every serving-copy p95 under {TARGET_P95_MS:.0f} ms: {verdict} (worst {max(serving_p95):.2f} ms)")
    sys.stdout.flush()


def sqlalchemy_rows(serving: Path, repeat: int) -> list[tuple[str, str, tuple[float, float, float]]]:
    """The same queries through SQLAlchemy and duckdb-engine (a new connection each time), if installed."""
    try:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool
    except ImportError:
        return []
    engine = create_engine(f"duckdb:///{serving}?access_mode=read_only", poolclass=NullPool)
    rows = []
    for name, sql in QUERIES.items():

        def through_engine(q: str = sql) -> None:
            with engine.connect() as connection:
                connection.execute(text(q)).all()

        rows.append(
            (
                f"{name}: serving copy",
                "SQLAlchemy, new connection",
                summary(timings_ms(repeat, through_engine)),
            )
        )
    engine.dispose()
    return rows


if __name__ == "__main__":
    main()

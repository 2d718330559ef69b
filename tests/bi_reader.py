"""A dashboard, as a separate process: reads the serving copy through SQLAlchemy (duckdb-engine) in a loop.

Usage: python -m tests.bi_reader SERVING_FILE STOP_FILE REPORT_JSON [--max-seconds N]

Each iteration connects anew (NullPool: nothing is kept between iterations, as a dashboard refresh
would), reads one snapshot (the provenance row, the monthly balance, the category totals, the row count
of every mart) inside one connection, and checks that the snapshot is whole:

- every month of the category mart is in the balance mart, and its level-0 export and import values
  equal the balance mart's exports and imports;
- a month's balance row has the vintage of the newer of its two category totals (exports and imports
  come from one release);
- the snapshot's tables agree with its provenance row (the newest month).

It records every error, every inconsistency, the versions seen (by publication time) and the longest
single query and snapshot. It writes `READY` beside STOP_FILE once a first snapshot succeeded. It stops
once STOP_FILE exists and it has seen the version named in it (empty: any), or after --max-seconds, and
then writes the JSON report.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

PROVENANCE = "SELECT release_id, latest_vintage, latest_period, published_at FROM marts.serving_copy"
BALANCE = "SELECT period, exports_jpy, imports_jpy, vintage FROM marts.trade_balance_monthly"
CATEGORY_TOTALS = (
    "SELECT period, direction, value_jpy, vintage FROM marts.trade_by_category_monthly WHERE level = 0"
)
TABLES = (
    "SELECT table_name FROM duckdb_tables() "
    "WHERE schema_name = 'marts' AND database_name = current_database()"
)
MAX_PROBLEMS_KEPT = 20


def url_of(path: Path) -> str:
    """duckdb-engine's URL for a read-only file: `duckdb:///` + absolute path (four slashes in all)."""
    return f"duckdb:///{path.resolve()}?access_mode=read_only"


def inconsistencies(provenance, balance, category_totals) -> list[str]:
    """What is wrong with one snapshot (empty when it is whole)."""
    problems = []
    months = {period: (exports, imports, vintage) for period, exports, imports, vintage in balance}
    totals = defaultdict(dict)
    for period, direction, value, vintage in category_totals:
        totals[period][direction] = (value, vintage)
    for period, by_direction in totals.items():
        if period not in months:
            problems.append(f"{period}: in the category mart, not in the balance mart")
            continue
        exports, imports, vintage = months[period]
        if set(by_direction) != {"export", "import"}:
            problems.append(f"{period}: category totals for {sorted(by_direction)} only")
            continue
        if (by_direction["export"][0], by_direction["import"][0]) != (exports, imports):
            problems.append(
                f"{period}: balance {exports}/{imports} but category totals "
                f"{by_direction['export'][0]}/{by_direction['import'][0]}"
            )
        newest = max(by_direction["export"][1], by_direction["import"][1])
        if newest != vintage:
            problems.append(f"{period}: balance of vintage {vintage}, category totals of {newest}")
    newest_month = max(months, default=None)
    if provenance[2] != newest_month:
        problems.append(f"provenance says newest month {provenance[2]}, balance has {newest_month}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("serving_file", type=Path)
    parser.add_argument("stop_file", type=Path)
    parser.add_argument("report", type=Path)
    parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()
    engine = create_engine(url_of(args.serving_file), poolclass=NullPool)
    ready = args.stop_file.with_name("READY")
    deadline = time.monotonic() + args.max_seconds

    errors: list[str] = []
    problems: list[str] = []
    versions: dict[str, dict] = {}
    snapshots = queries = inconsistent = waiting_for_file = 0
    longest_query = longest_snapshot = 0.0

    def told_to_stop() -> bool:
        if not args.stop_file.exists():
            return False
        awaited = args.stop_file.read_text().strip()
        return not awaited or awaited in versions

    while not told_to_stop() and time.monotonic() < deadline:
        if not args.serving_file.exists():
            waiting_for_file += 1
            time.sleep(0.05)
            continue
        started = time.perf_counter()
        try:
            with engine.connect() as con:
                results = []
                for sql in (PROVENANCE, BALANCE, CATEGORY_TOTALS, TABLES):
                    query_started = time.perf_counter()
                    results.append(con.execute(text(sql)).all())
                    longest_query = max(longest_query, time.perf_counter() - query_started)
                    queries += 1
                counts = {}
                for (table,) in results[3]:
                    query_started = time.perf_counter()
                    counts[table] = con.execute(text(f'SELECT count(*) FROM marts."{table}"')).scalar()
                    longest_query = max(longest_query, time.perf_counter() - query_started)
                    queries += 1
        except Exception as exc:  # a dashboard would show this to its user: the test wants none
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        finally:
            longest_snapshot = max(longest_snapshot, time.perf_counter() - started)
        snapshots += 1
        (provenance,) = results[0]
        found = inconsistencies(provenance, results[1], results[2])
        if found:
            inconsistent += 1
            problems.extend(found[: MAX_PROBLEMS_KEPT - len(problems)])
        seen = versions.setdefault(
            str(provenance[3]),
            {
                "release_id": provenance[0],
                "latest_vintage": str(provenance[1]),
                "vintages": sorted({str(v) for *_, v in results[1]}),
                "row_counts": counts,
                "snapshots": 0,
            },
        )
        seen["snapshots"] += 1
        if seen["row_counts"] != counts:
            problems.append(f"version {provenance[3]}: row counts {counts} after {seen['row_counts']}")
        if not ready.exists():
            ready.write_text("ready")
    report = {
        "snapshots": snapshots,
        "queries": queries,
        "errors": errors[:MAX_PROBLEMS_KEPT],
        "error_count": len(errors),
        "inconsistent_snapshots": inconsistent,
        "problems": problems,
        "versions": versions,
        "longest_query_s": longest_query,
        "longest_snapshot_s": longest_snapshot,
        "waiting_for_file": waiting_for_file,
        "stopped_by": "stop file" if told_to_stop() else "deadline",
    }
    args.report.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

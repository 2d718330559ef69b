"""The warehouse layer: the one place that knows how the warehouse is stored.

Tasks receive a connection inside a transaction and speak SQL to `core` and `marts`; they never open
files or choose engines. `open_warehouse` picks the backend from settings: today a DuckDB file; DuckLake
on PostgreSQL (parallel writers) will be a second class with the same three methods.
"""

from __future__ import annotations

from zeikan.settings import Settings
from zeikan.warehouse.duckdb_file import DuckDBFileWarehouse, WarehouseBusy

__all__ = ["DuckDBFileWarehouse", "WarehouseBusy", "open_warehouse"]


def open_warehouse(settings: Settings) -> DuckDBFileWarehouse:
    """The warehouse configured in `settings` (waiting up to `lock_wait_s` for a busy file)."""
    return DuckDBFileWarehouse(settings.warehouse, lock_wait_s=settings.lock_wait_s)

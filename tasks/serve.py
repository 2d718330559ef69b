"""Serve: publish the copy of the marts that BI tools read, once a load has committed.

BI tools never open the pipeline's own DuckDB file (a reader there would block the next load, and a load
would lock them out); they read the serving copy, which `zeikan.warehouse.serving` replaces whole by
rename. Its data dictionary is published with it.
"""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks.dictionary import publish_data_dictionary
from zeikan.settings import Settings
from zeikan.warehouse import open_warehouse
from zeikan.warehouse.serving import ServingCopy, docs_folder, write_serving_copy


@task(name="publish-serving-copy", cache_policy=NO_CACHE, persist_result=False)
def publish_serving_copy(settings: Settings) -> ServingCopy:
    """Returns the serving copy just published (DuckDB file and Parquet), with its data dictionary."""
    with open_warehouse(settings).reader() as con:
        copy = write_serving_copy(con, settings.serving_folder)
    get_run_logger().info(
        "serving copy %s: load %s, vintage %s, %s rows in %d tables (%.2f s)",
        copy.path,
        copy.provenance.release_id,
        copy.provenance.latest_vintage,
        f"{sum(copy.row_counts.values()):,}",
        len(copy.row_counts),
        copy.seconds,
    )
    publish_data_dictionary(copy.path, docs_folder(settings.serving_folder))
    return copy

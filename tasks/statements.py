"""The SQL statements in `tasks/sql/`, by name: one file per purpose, readable without Python."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def statement(name: str) -> str:
    """The text of `tasks/sql/<name>.sql`."""
    return resources.files("tasks").joinpath("sql", f"{name}.sql").read_text("utf-8")

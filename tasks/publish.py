"""Publish: put the release's headline where people look, as Prefect markdown artifacts."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from zeikan.markdown import markdown_table
from zeikan.periods import format_period
from zeikan.release import LoadOutcome

HEADLINE_KEY = "release-headline"
TABLE_ROWS_SHOWN = 240


def headline_markdown(headlines: pd.DataFrame) -> str:
    """The newest headline as a heading, its drivers, and a table of every headline written."""
    frame = headlines.sort_values(["period", "vintage"], kind="stable")
    if frame.empty:
        return "No months published."
    latest = frame.iloc[-1]
    lines = [f"# {latest['headline']}", ""]
    if latest["drivers"]:
        lines += [str(latest["drivers"]), ""]
    lines += [f"Vintage {latest['vintage']}, stage `{latest['stage']}`.", ""]
    if len(frame) > 1:
        lines += markdown_table(
            ("month", "vintage", "stage", "headline"),
            (
                (format_period(row.period), row.vintage, row.stage, row.headline)
                for row in frame.tail(TABLE_ROWS_SHOWN).itertuples()
            ),
        )
    return "\n".join(lines)


@task(name="publish-headline", cache_policy=NO_CACHE, persist_result=False)
def publish_headline(outcome: LoadOutcome) -> str:
    """Returns the markdown published as the `release-headline` artifact."""
    markdown = headline_markdown(outcome.headlines)
    create_markdown_artifact(markdown=markdown, key=HEADLINE_KEY, description="zeikan release headline")
    return markdown


SUMMARY_KEY = "backfill-summary"
OUTCOMES_KEY = "backfill-months"


def backfill_summary_markdown(outcome: LoadOutcome) -> str:
    """What a backfill changed: releases loaded, figures added or revised, months by outcome."""
    counts = pd.Series(list(outcome.month_outcomes.values()), dtype="string").value_counts()
    loaded = [
        f"- {r.stage or 'd-files'} vintage {r.vintage}: {r.rows_changed:,} figures"
        for r in outcome.new_releases
    ]
    lines = [
        f"# Backfill {format_period(outcome.periods[0])} to {format_period(outcome.periods[-1])}",
        "",
        f"{len(outcome.periods)} months; {outcome.rows_changed:,} figures added or revised; "
        f"{outcome.headlines_changed} headline rows written.",
        "",
        "## Releases loaded",
        "",
        *(loaded or ["- none new: the warehouse already held these releases"]),
        "",
        "## Months",
        "",
        *markdown_table(("outcome", "months"), counts.items(), right={"months"}),
    ]
    return "\n".join(lines)


@task(name="publish-backfill-summary", cache_policy=NO_CACHE, persist_result=False)
def publish_backfill_summary(outcome: LoadOutcome) -> str:
    """Returns the `backfill-summary` markdown; every month's outcome goes to `backfill-months`."""
    headlines = (
        outcome.headlines.sort_values("vintage").drop_duplicates("period", keep="last").set_index("period")
    )
    rows = [
        {
            "month": format_period(month),
            "outcome": result,
            "headline": str(headlines["headline"].get(month, "")),
        }
        for month, result in sorted(outcome.month_outcomes.items())
    ]
    create_table_artifact(table=rows, key=OUTCOMES_KEY, description="zeikan backfill: each month's outcome")
    markdown = backfill_summary_markdown(outcome)
    create_markdown_artifact(markdown=markdown, key=SUMMARY_KEY, description="zeikan backfill summary")
    return markdown

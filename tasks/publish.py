"""Publish: put the release's headline where people look, as Prefect markdown artifacts."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

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
        lines += ["| month | vintage | stage | headline |", "|---|---|---|---|"]
        for row in frame.tail(TABLE_ROWS_SHOWN).itertuples():
            lines.append(f"| {format_period(row.period)} | {row.vintage} | {row.stage} | {row.headline} |")
    return "\n".join(lines)


@task(name="publish-headline", cache_policy=NO_CACHE, persist_result=False)
def publish_headline(outcome: LoadOutcome) -> str:
    """Returns the markdown published as the `release-headline` artifact."""
    markdown = headline_markdown(outcome.headlines)
    create_markdown_artifact(markdown=markdown, key=HEADLINE_KEY, description="zeikan release headline")
    return markdown

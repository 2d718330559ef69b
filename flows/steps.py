"""The steps both flows share, composed from tasks: read a release, then load it in one transaction."""

from __future__ import annotations

from datetime import date

from tasks.extract import fetch_file
from tasks.parse import parse_release
from tasks.validate import validate_release
from zeikan.release import DFILES, ParsedRelease
from zeikan.settings import Settings


def read_release(settings: Settings, vintage: date) -> ParsedRelease:
    """Fetch the three d-files at once (retrying transient faults), parse them, validate them."""
    fetch = fetch_file.with_options(
        retries=settings.fetch_retries, retry_delay_seconds=settings.fetch_retry_delays_s
    )
    downloads = [fetch.submit(settings.source, name, settings) for name in DFILES]
    release = parse_release([download.result() for download in downloads])
    return validate_release(release, vintage)

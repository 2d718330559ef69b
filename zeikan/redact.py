"""Secrets out of what zeikan records: URLs as they may be stored, logged or shown.

A source may carry credentials in its URL (`https://user:token@host/`, `?token=...`): `requests` sends the
userinfo as basic auth, so the URL is what the pipeline needs to fetch. What it keeps about the fetch
(`core.releases.source`, `core.release_files.url`, messages) must not carry them: the warehouse is read by
BI users and copied around, and logs go to the Prefect server. So the userinfo is replaced by `***`, and so
is every query-string value and any fragment (they cannot be told apart from tokens). Scheme, host, port
and path stay, so the record still says where the file came from.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

HIDDEN = "***"
# Anything that looks like a URL inside a longer text (an error message, a log line).
URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>()\[\]{}]+")


def redact_url(url: str) -> str:
    """`url` without its secrets: userinfo, query-string values and fragment become `***`.

    Text that is not a URL (a local directory) comes back unchanged.
    """
    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # not parseable (e.g. a bad port): keep only the scheme
        return f"{url.split('://', 1)[0]}://{HIDDEN}"
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    if "@" in parts.netloc:
        netloc = f"{HIDDEN}@{netloc}"
    # `key=value` keeps its key; a bare `?abc123` may itself be the token.
    query = "&".join(
        f"{field.split('=', 1)[0]}={HIDDEN}" if "=" in field else HIDDEN
        for field in parts.query.split("&")
        if field
    )
    fragment = HIDDEN if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def redact_text(text: str) -> str:
    """`text` with every URL in it redacted (for messages that quote the URL they failed on)."""
    return URL_IN_TEXT.sub(lambda found: redact_url(found.group(0)), text)

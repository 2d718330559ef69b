"""Credentials: from the environment or a Prefect Secret block, and only ever held as `SecretStr`.

A `SecretStr` prints as `**********` in every repr, str, log line and JSON dump (`Settings` included), so a
credential reaches only the one call that needs it, through `get_secret_value()`. The environment wins, so
a developer can override what the Prefect server holds; a deployment's worker reads the block instead of
carrying the value in its environment.
"""

from __future__ import annotations

from pydantic import SecretStr

from zeikan.settings import Settings

# The Prefect Secret block that holds the e-Stat application id (`prefect block create secret`, or
# `Secret(value=...).save("zeikan-estat-app-id")`).
ESTAT_APP_ID_BLOCK = "zeikan-estat-app-id"


def estat_app_id(settings: Settings) -> SecretStr | None:
    """The e-Stat application id: ZEIKAN_ESTAT_APP_ID, else the Prefect Secret block, else None."""
    if settings.estat_app_id is not None:
        return settings.estat_app_id
    from prefect.blocks.system import Secret

    try:
        block = Secret.load(ESTAT_APP_ID_BLOCK)
    except ValueError:  # Prefect's answer when no block has that name
        return None
    return SecretStr(str(block.get()))

"""The service-account key kept in a Prefect Secret block, read and checked like a key file.

ttcs never imports Prefect: the caller (a task, or the CLI under its Prefect server) passes the
function that reads a Secret block by name, e.g. ``lambda name: Secret.load(name).get()``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ttcs.campaign.settings import Campaign
from ttcs.errors import ConfigError
from ttcs.google.keys import service_account_credentials


def service_account_from_secret(campaign: Campaign,
                                read_secret: Callable[[str], Any]) -> dict | None:
    """The key from the Secret block the campaign names (stored as a JSON string, which the
    API masks; a dict would be returned unmasked), or None when it names none."""
    settings = campaign.backend.gsheets
    if campaign.backend.kind != "gsheets" or not settings or not settings.credentials_secret_block:
        return None
    name = settings.credentials_secret_block
    try:
        value = read_secret(name)
        # Secret.get() hands back a JSON string already parsed.
        info = value if isinstance(value, dict) else json.loads(value)
    except ValueError as exc:  # no such block, or a value that is not JSON
        raise ConfigError(f"{campaign.source}: không dùng được khối Secret '{name}' "
                          f"(backend.gsheets.credentials_secret_block): {exc}") from None
    service_account_credentials(info, f"khối Secret '{name}'")
    return info

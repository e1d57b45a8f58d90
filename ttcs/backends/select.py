"""The backend a campaign selects."""

from __future__ import annotations

from ttcs.backends import Backend
from ttcs.backends.local import LocalBackend
from ttcs.campaign import Campaign
from ttcs.errors import ConfigError


def backend_for(campaign: Campaign) -> Backend:
    if campaign.backend.kind == "local" and campaign.backend.local:
        return LocalBackend(campaign.backend.local.folder)
    raise ConfigError(
        f"{campaign.source}: backend '{campaign.backend.kind}' chưa được hỗ trợ trong phiên bản "
        "này; dùng backend: local"
    )

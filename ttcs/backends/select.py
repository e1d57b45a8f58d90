"""The backend a campaign selects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ttcs.backends import Backend
from ttcs.backends.local import LocalBackend
from ttcs.campaign.contacts import read_contacts
from ttcs.campaign.settings import Campaign
from ttcs.errors import ConfigError
from ttcs.google.pacing import RetryPolicy
from ttcs.state.store import Store


def service_account_from_file(campaign: Campaign) -> dict[str, Any]:
    """The key of ``backend.gsheets.credentials_file``, checked: a file of another kind (an
    OAuth client, a sign-in token), missing fields or a broken private key are one line."""
    from ttcs.google.keys import SERVICE_ACCOUNT, read_json, service_account_credentials

    settings = campaign.backend.gsheets
    assert settings is not None
    if settings.credentials_file is None:
        raise ConfigError(f"{campaign.source}: thiếu khóa 'backend.gsheets.credentials_file' "
                          "hoặc 'backend.gsheets.credentials_secret_block'")
    info = read_json(settings.credentials_file, SERVICE_ACCOUNT)
    service_account_credentials(info, f"tệp {settings.credentials_file}")
    return info


def check_backend(campaign: Campaign) -> None:
    """What can be checked without network or Prefect, before a command starts a server: the
    service-account key file of a gsheets campaign (a key in a Secret block is checked when the
    flow loads it)."""
    settings = campaign.backend.gsheets
    if campaign.backend.kind == "gsheets" and settings and (
            settings.credentials_file or not settings.credentials_secret_block):
        service_account_from_file(campaign)


def pacing_for(campaign: Campaign) -> Any:
    """The campaign's quota, timeouts and retries (:class:`ttcs.google.transport.Pacing`)."""
    from ttcs.google.transport import Pacing

    settings = campaign.backend.gsheets
    assert settings is not None
    return Pacing(settings.reads_per_minute, settings.writes_per_minute,
                  settings.quota_window_s, settings.request_timeout_s,
                  RetryPolicy(max_retries=settings.max_retries, base_s=settings.backoff_base_s,
                              cap_s=settings.backoff_cap_s,
                              jitter_s=min(1.0, settings.backoff_base_s)),
                  settings.drive_requests_per_minute)


def mount_for(campaign: Campaign) -> Any:
    """A transport for another endpoint (an emulator of Google), or None for Google itself."""
    from ttcs.backends.endpoint import mount_endpoint

    settings = campaign.backend.gsheets
    return mount_endpoint(settings.api_endpoint) if settings and settings.api_endpoint else None


def backend_for(campaign: Campaign, store: Store,
                service_account: Mapping[str, Any] | None = None) -> Backend:
    """The campaign's backend; a gsheets key comes from ``service_account`` or the key file.
    A gsheets backend keeps in ``store`` what it learns of, and writes into, spreadsheets."""
    if campaign.backend.kind == "local" and campaign.backend.local:
        return LocalBackend(campaign.backend.local.folder, campaign.read_limits)
    from ttcs.backends.gsheets import GsheetsBackend
    from ttcs.google.urls import FEEDBACK_SHEET_ID
    from ttcs.labels import FEEDBACK_TAB

    settings = campaign.backend.gsheets
    assert settings is not None
    info = service_account or service_account_from_file(campaign)
    from ttcs.google.api import Api
    from ttcs.google.transport import connect

    api = Api(connect(info, pacing_for(campaign), mount_for(campaign)))
    contacts = read_contacts(campaign.contacts, campaign.province_code)
    sheets = {c.spreadsheet_id: code for code, c in contacts.by_code.items() if c.spreadsheet_id}
    return GsheetsBackend(api, store, settings.folder_id, sheets, ignored_tabs=(FEEDBACK_TAB,),
                          ignored_ids=(FEEDBACK_SHEET_ID,),
                          summary_id=settings.summary_spreadsheet_id,
                          account=str(info.get("client_email", "")))

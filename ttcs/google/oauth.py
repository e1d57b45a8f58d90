"""A coordinator's own Google account, for creating commune sheets (provision mode ``oauth``).

A service account has no Drive storage, so without a Shared Drive the sheets are created by a
person: the installed-app OAuth flow (google-auth-oauthlib) opens the browser once, and the
token, with its refresh token, is cached in a local file (mode 600) that later runs reuse and
refresh without a browser. Flows never log in: only the ``ttcs provision`` command may.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

import requests
from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials

from ttcs.campaign.settings import Provision
from ttcs.errors import ConfigError, UserError
from ttcs.google.keys import AUTHORIZED_USER, OAUTH_CLIENT, expect, read_json
from ttcs.google.pacing import Unavailable
from ttcs.google.transport import CONNECT_TIMEOUT_S, unreachable
from ttcs.google.urls import SCOPES

Mount = Callable[[requests.Session], None]
REFRESH_TIMEOUT = (CONNECT_TIMEOUT_S, 60.0)


class LoginNeeded(UserError):
    """No usable cached token and no way to open a browser here."""


def save_token(path: Path, credentials: Credentials) -> None:
    """Write the token readable by its owner only (it grants access to their Drive)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(credentials.to_json())
    os.replace(temporary, path)


def cached_credentials(path: Path, mount: Mount | None = None) -> Credentials | None:
    """The cached token, refreshed (and saved) when expired; None when a login is needed."""
    if not path.exists():
        return None
    info = read_json(path, AUTHORIZED_USER)
    expect(info, AUTHORIZED_USER, f"tệp token OAuth {path}")
    try:
        credentials = Credentials.from_authorized_user_info(info, list(SCOPES))
    except ValueError as exc:
        raise ConfigError(f"{path}: tệp token OAuth không đọc được ({exc}); xóa tệp rồi chạy "
                          "lại 'ttcs provision' để đăng nhập") from None
    if credentials.valid:
        return credentials
    if not credentials.refresh_token:
        return None
    session = requests.Session()
    if mount:
        mount(session)
    try:
        credentials.refresh(functools.partial(Request(session=session), timeout=REFRESH_TIMEOUT))
    except RefreshError:
        return None  # revoked or expired refresh token: log in again
    except TransportError as exc:
        raise Unavailable(f"{unreachable(exc, credentials.token_uri)}; kiểm tra mạng") from None
    save_token(path, credentials)
    return credentials


def login(client_file: Path | None, token_file: Path, *, open_browser: bool = True,
          ) -> Credentials:
    """The installed-app flow: the coordinator signs in in the browser; the token is cached."""
    if client_file is None:
        raise ConfigError("chế độ oauth cần khóa 'backend.gsheets.provision.oauth_client_file' "
                          "(tệp client_secret.json của ứng dụng OAuth loại Desktop)")
    info = read_json(client_file, OAUTH_CLIENT)
    expect(info, OAUTH_CLIENT, f"tệp {client_file}")
    from google_auth_oauthlib.flow import InstalledAppFlow

    try:
        flow = InstalledAppFlow.from_client_config(info, list(SCOPES))
    except ValueError as exc:
        raise ConfigError(f"{client_file}: tệp ứng dụng OAuth không hợp lệ ({exc})") from None
    credentials = flow.run_local_server(
        host="localhost", port=0, open_browser=open_browser,
        authorization_prompt_message="Mở địa chỉ sau trong trình duyệt để đăng nhập Google: {url}",
        success_message="Đã đăng nhập; có thể đóng cửa sổ này và quay lại ttcs.")
    save_token(token_file, credentials)
    return credentials


def user_credentials(settings: Provision, *, interactive: bool,
                     mount: Mount | None = None) -> Credentials:
    """The coordinator's credentials: the cached token, or (interactive only) a new login."""
    credentials = cached_credentials(settings.token_file, mount)
    if credentials is not None:
        return credentials
    if not interactive:
        raise LoginNeeded(f"chưa có phiên đăng nhập Google hợp lệ ({settings.token_file}): chạy "
                          "'ttcs provision --config <tệp>' trên máy có trình duyệt để đăng nhập")
    return login(settings.oauth_client_file, settings.token_file)

"""Google's JSON credential files told apart, each mix-up said in one Vietnamese line.

The Cloud console hands a coordinator several JSON files that look alike: a service account's
key, an OAuth client (``client_secret.json``), and the token a sign-in leaves behind. Given the
wrong one, google-auth fails with a traceback about missing fields; here the file's kind is
named, and what was expected and where to get it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ttcs.errors import ConfigError, read_reason

SERVICE_ACCOUNT = "service_account"
OAUTH_CLIENT = "oauth_client"
AUTHORIZED_USER = "authorized_user"
KIND_VI = {
    SERVICE_ACCOUNT: "khóa tài khoản dịch vụ (service account)",
    OAUTH_CLIENT: "tệp ứng dụng OAuth (client_secret)",
    AUTHORIZED_USER: "token đăng nhập OAuth của một người dùng",
}
# Where each kind comes from and which setting takes it, for the hint of a mix-up.
HOW_TO_GET = {
    SERVICE_ACCOUNT: "tạo khóa JSON cho tài khoản dịch vụ (Google Cloud console → IAM và quản "
                     "trị → Tài khoản dịch vụ → Khóa → Thêm khóa → JSON) và trỏ "
                     "'backend.gsheets.credentials_file' tới tệp đó",
    OAUTH_CLIENT: "tạo ứng dụng OAuth loại Desktop app (Google Cloud console → API và dịch vụ → "
                  "Thông tin xác thực), tải tệp client_secret.json và trỏ "
                  "'backend.gsheets.provision.oauth_client_file' tới tệp đó",
    AUTHORIZED_USER: "tệp token do ttcs tự ghi sau khi đăng nhập: trỏ "
                     "'backend.gsheets.provision.oauth_token_file' tới một tệp mới (hoặc bỏ "
                     "khóa này) rồi chạy lại 'ttcs provision'",
}
SERVICE_ACCOUNT_FIELDS = ("client_email", "private_key", "token_uri")


def kind_of(info: Any) -> str:
    """``service_account``, ``oauth_client``, ``authorized_user``, another ``type`` Google
    writes (``external_account`` …), or ``""`` for JSON that is no Google credential at all."""
    if not isinstance(info, Mapping):
        return ""
    if isinstance(info.get("installed"), Mapping) or isinstance(info.get("web"), Mapping):
        return OAUTH_CLIENT
    kind = info.get("type")
    if isinstance(kind, str) and kind:
        return kind
    if "refresh_token" in info and "client_id" in info:  # as google-auth's to_json() saves it
        return AUTHORIZED_USER
    return ""


def read_json(path: Path, wanted: str) -> Any:
    """A credential file's JSON; unreadable or not JSON is one line naming what was wanted."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: không tìm thấy tệp; cần {KIND_VI[wanted]}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: không đọc được tệp ({read_reason(exc)}); cần "
                          f"{KIND_VI[wanted]}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: không phải tệp JSON (sai cú pháp ở dòng {exc.lineno}, cột "
                          f"{exc.colno}); cần "
                          f"{KIND_VI[wanted]}") from None


def expect(info: Any, wanted: str, source: str) -> None:
    """Nothing when ``info`` is of the ``wanted`` kind; else one line: what it is, what to do."""
    kind = kind_of(info)
    if kind == wanted:
        return
    if not kind:
        given = "không mang dấu hiệu của tệp thông tin xác thực Google nào"
    else:
        given = "là " + KIND_VI.get(kind, f"tệp thông tin xác thực Google loại '{kind}'")
    raise ConfigError(f"{source} {given}, không phải {KIND_VI[wanted]}; {HOW_TO_GET[wanted]}")


def service_account_credentials(info: Any, source: str, scopes: Sequence[str] = ()) -> Any:
    """google-auth credentials from a service-account key, or one line saying what is wrong
    with it (another kind of file, missing fields, a private key that does not parse)."""
    from google.oauth2.service_account import Credentials

    expect(info, SERVICE_ACCOUNT, source)
    missing = [name for name in SERVICE_ACCOUNT_FIELDS if not info.get(name)]
    if missing:
        raise ConfigError(f"{source}: khóa tài khoản dịch vụ thiếu {', '.join(missing)}; tải lại "
                          "tệp khóa JSON từ Google Cloud console")
    try:
        return Credentials.from_service_account_info(dict(info), scopes=list(scopes))
    except (ValueError, TypeError) as exc:  # cryptography cannot load the private key
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ConfigError(f"{source}: khóa riêng (private_key) của tài khoản dịch vụ "
                          f"{info['client_email']} bị hỏng ({reason}); tải lại tệp khóa JSON "
                          "hoặc tạo khóa mới") from None

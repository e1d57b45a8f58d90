"""The paced HTTP client every Google request goes through: gspread's transport with quota,
client timeouts and a capped retry.

Three quota buckets, as Google counts them: Sheets reads, Sheets writes, Drive (its own, much
larger quota). gspread 6.2.1's own BackOffHTTPClient retries forever and is not used.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import gspread
import requests
from google.auth.credentials import Credentials as AnyCredentials
from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2.service_account import Credentials
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from ttcs.errors import ConfigError
from ttcs.google.keys import service_account_credentials
from ttcs.google.pacing import Retryable, RetryPolicy, SlidingWindowLimiter, Unavailable
from ttcs.google.urls import API_DOMAIN, DRIVE_ROOT, SCOPES

CONNECT_TIMEOUT_S = 10.0
RETRY_STATUS = {408, 429, 500, 502, 503, 504}
# Drive answers some rate limits with 403 and these reasons; every other 403 (no permission,
# storageQuotaExceeded: a service account has no Drive storage) is final and never retried.
RETRY_403_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}


@dataclass
class Pacing:
    """Quota, timeouts and retries; scaled together in benchmarks (``window_s``)."""

    reads_per_window: int = 60
    writes_per_window: int = 60
    window_s: float = 60.0
    timeout_s: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Drive has its own, much larger quota (12,000 requests a minute per user): its requests
    # never take a Sheets slot.
    drive_per_window: int = 600

    def __post_init__(self) -> None:
        self.reads = SlidingWindowLimiter(self.reads_per_window, self.window_s)
        self.writes = SlidingWindowLimiter(self.writes_per_window, self.window_s)
        self.drive = SlidingWindowLimiter(self.drive_per_window, self.window_s)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value else None
    except ValueError:
        return None


class PacedHTTPClient(HTTPClient):
    """gspread's transport with pacing, client timeouts and a capped retry.

    Whatever still fails after the retries is :class:`Unavailable`, in one line naming Google's
    host and the reason (DNS, refused, timeout, TLS, an HTTP status); credentials Google refuses
    are a :class:`ConfigError`.
    """

    def __init__(self, auth: Any, session: requests.Session | None, pacing: Pacing) -> None:
        super().__init__(auth, session)
        self.credentials = auth  # gspread keeps it only when it makes the session itself
        self.pacing = pacing
        # A connection that cannot be made fails fast; an answer may take the full timeout.
        self.set_timeout((min(CONNECT_TIMEOUT_S, pacing.timeout_s), pacing.timeout_s))

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:
        if endpoint.startswith(DRIVE_ROOT):
            limiter = self.pacing.drive
        else:
            limiter = self.pacing.reads if method.lower() == "get" else self.pacing.writes
        attempts = 0

        def attempt() -> requests.Response:
            nonlocal attempts
            attempts += 1
            try:
                with limiter.slot():
                    return super(PacedHTTPClient, self).request(method, endpoint, *args,
                                                                **kwargs)
            except APIError as exc:
                if exc.code in RETRY_STATUS or (exc.code == 403 and error_reason(exc)
                                                in RETRY_403_REASONS):
                    raise Retryable(f"Google ({_target(endpoint)}) báo lỗi {exc.code}: "
                                    f"{exc.error.get('message', '')}",
                                    _retry_after(exc.response)) from exc
                raise
            except RefreshError as exc:
                if not exc.retryable:
                    raise refused(self.credentials, exc) from None
                raise Retryable(f"Google ({_target(endpoint)}) không cấp token: "
                                f"{_first_line(exc)}") from exc
            except requests.ReadTimeout as exc:
                # A write that timed out may have been applied: only reads are repeated.
                if method.lower() != "get":
                    raise Unavailable(f"{unreachable(exc, endpoint)}; yêu cầu ghi không được gửi "
                                      "lại vì có thể đã được thực hiện") from exc
                raise Retryable(unreachable(exc, endpoint)) from exc
            except (requests.Timeout, requests.ConnectionError, TransportError) as exc:
                raise Retryable(unreachable(exc, endpoint)) from exc

        try:
            return self.pacing.retry.call(attempt)
        except Unavailable:
            raise
        except Retryable as exc:
            hint = "thử lại sau" if isinstance(exc.__cause__, (APIError, RefreshError)) \
                else "kiểm tra mạng"
            raise Unavailable(f"{exc} (đã thử {attempts} lần); {hint}") from exc


def unreachable(exc: BaseException, endpoint: str) -> str:
    """"không kết nối được tới Google (host): reason" for a request that got no answer."""
    return f"không kết nối được tới Google ({_target(_failed_url(exc) or endpoint)}): " \
           f"{network_reason(exc)}"


def network_reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words: DNS, TLS, refused, timeout, or the OS's word."""
    chain = _chain(exc)
    for error in chain:
        if isinstance(error, socket.gaierror):
            return f"không phân giải được tên máy chủ (DNS: {error.strerror or error})"
    for error in chain:
        if isinstance(error, ssl.SSLError):
            detail = getattr(error, "verify_message", None) or getattr(error, "reason", None)
            return f"lỗi TLS ({detail or error})"
    for error in chain:
        if isinstance(error, ConnectionRefusedError):
            return "máy chủ từ chối kết nối"
    for error in chain:
        if isinstance(error, (TimeoutError, requests.Timeout)):
            return "hết thời gian chờ"
    for error in chain:
        if isinstance(error, OSError) and error.strerror:
            return error.strerror
    return _first_line(exc)


def refused(credentials: Any, exc: RefreshError) -> ConfigError:
    """Google's token endpoint refused the credentials (``invalid_grant`` …): one line."""
    if isinstance(credentials, Credentials):
        return ConfigError(
            f"Google từ chối khóa tài khoản dịch vụ {credentials.service_account_email} "
            f"({_first_line(exc)}): khóa đã bị xóa, tài khoản bị vô hiệu hóa hoặc đồng hồ máy "
            "này sai giờ; kiểm tra giờ hệ thống hoặc tạo khóa JSON mới")
    return ConfigError(f"Google từ chối phiên đăng nhập OAuth ({_first_line(exc)}); chạy lại "
                       "'ttcs provision' để đăng nhập")


def _chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _failed_url(exc: BaseException) -> str | None:
    """The URL the failed request really went to (through an emulator endpoint, if any)."""
    for error in _chain(exc):
        request = getattr(error, "request", None)
        if isinstance(request, requests.PreparedRequest) and request.url:
            return request.url
    return None


def _target(url: str) -> str:
    """Google's host of ``url``; through an emulator endpoint, "host qua endpoint"."""
    parts = urlsplit(url)
    first = parts.path.lstrip("/").split("/", 1)[0]
    if first.endswith(API_DOMAIN) and not parts.netloc.endswith(API_DOMAIN):
        return f"{first} qua {parts.netloc}"
    return parts.netloc


def _first_line(exc: BaseException) -> str:
    """An exception's message on one line (google-auth's carry the response as a 2nd arg)."""
    text = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    return " ".join(text.split()) or type(exc).__name__


def error_reason(exc: APIError) -> str | None:
    """Drive's ``errors[0].reason`` (storageQuotaExceeded, notFound, ...), if any."""
    errors = exc.error.get("errors") if isinstance(exc.error, dict) else None
    if errors and isinstance(errors, list) and isinstance(errors[0], dict):
        return errors[0].get("reason")
    return None


def connect(info: Mapping[str, Any], pacing: Pacing,
            mount: Callable[[requests.Session], None] | None = None) -> gspread.Client:
    """A gspread client for a service account; ``mount`` plugs a transport into both the API
    session and the session google-auth refreshes tokens with (a fake of Google in tests)."""
    credentials = service_account_credentials(info, "khóa tài khoản dịch vụ", SCOPES)
    return client_for(credentials, pacing, mount)


def client_for(credentials: AnyCredentials, pacing: Pacing,
               mount: Callable[[requests.Session], None] | None = None) -> gspread.Client:
    """A paced gspread client for any credentials (a service account, a person's OAuth)."""
    token_session = requests.Session()
    if mount:
        mount(token_session)
    session = AuthorizedSession(credentials, auth_request=Request(session=token_session))
    if mount:
        mount(session)
    return gspread.Client(
        credentials, session=session,
        http_client=lambda auth, sess: PacedHTTPClient(auth, sess, pacing),  # type: ignore[arg-type]
    )

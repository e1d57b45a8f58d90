"""Google Sheets backend: gspread + google-auth with a service account, within quota.

Per run: one paginated Drive listing gives every commune sheet's modification time; only
sheets changed since their stored snapshot are read, each with ONE request that returns every
tab whatever its name (``spreadsheets.get`` with ``includeGridData`` and a ``fields`` mask), so
a renamed tab never breaks a read. Requests are paced under the per-user quota, time out, and
are retried with capped backoff; gspread 6.2.1's own BackOffHTTPClient retries forever and is
not used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import gspread
import requests
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2.service_account import Credentials
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from ttcs.backends import FetchError, Raw, Source
from ttcs.pacing import Retryable, RetryPolicy, SlidingWindowLimiter

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",
          "https://www.googleapis.com/auth/drive")
DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"
SHEET_MIME = "application/vnd.google-apps.spreadsheet"
# Every tab's title and every cell's value (and the formula behind it), nothing else.
GRID_FIELDS = ("sheets(properties(title,index),data(rowData(values("
               "effectiveValue,userEnteredValue))))")
ERROR_TEXT = {"NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!", "VALUE": "#VALUE!",
              "REF": "#REF!", "NAME": "#NAME?", "NUM": "#NUM!", "N_A": "#N/A",
              "ERROR": "#ERROR!", "LOADING": "#GETTING_DATA"}
RETRY_STATUS = {408, 429, 500, 502, 503, 504}


@dataclass
class Pacing:
    """Quota, timeouts and retries; scaled together in benchmarks (``window_s``)."""

    reads_per_window: int = 60
    writes_per_window: int = 60
    window_s: float = 60.0
    timeout_s: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        self.reads = SlidingWindowLimiter(self.reads_per_window, self.window_s)
        self.writes = SlidingWindowLimiter(self.writes_per_window, self.window_s)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value else None
    except ValueError:
        return None


class PacedHTTPClient(HTTPClient):
    """gspread's transport with pacing, client timeouts and a capped retry."""

    def __init__(self, auth: Any, session: requests.Session | None, pacing: Pacing) -> None:
        super().__init__(auth, session)
        self.pacing = pacing
        self.set_timeout(pacing.timeout_s)

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:
        limiter = self.pacing.reads if method.lower() == "get" else self.pacing.writes

        def attempt() -> requests.Response:
            try:
                with limiter.slot():
                    return super(PacedHTTPClient, self).request(method, endpoint, *args,
                                                                **kwargs)
            except APIError as exc:
                if exc.code in RETRY_STATUS:
                    raise Retryable(str(exc), _retry_after(exc.response)) from exc
                raise
            except requests.ReadTimeout as exc:
                # A write that timed out may have been applied: only reads are repeated.
                if method.lower() != "get":
                    raise
                raise Retryable(f"{type(exc).__name__}: {exc}") from exc
            except (requests.Timeout, requests.ConnectionError) as exc:
                raise Retryable(f"{type(exc).__name__}: {exc}") from exc

        return self.pacing.retry.call(attempt)


def connect(info: Mapping[str, Any], pacing: Pacing,
            mount: Callable[[requests.Session], None] | None = None) -> gspread.Client:
    """A gspread client for a service account; ``mount`` plugs a transport into both the API
    session and the session google-auth refreshes tokens with (a fake of Google in tests)."""
    credentials = Credentials.from_service_account_info(dict(info), scopes=SCOPES)
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


def cell_value(cell: Mapping[str, Any]) -> Any:
    """A cell of ``spreadsheets.get`` as the value a spreadsheet shows (errors as "#REF!")."""
    value = cell.get("effectiveValue")
    if not value:
        return None
    if "errorValue" in value:
        return ERROR_TEXT.get(value["errorValue"].get("type", ""), "#ERROR!")
    for kind in ("stringValue", "numberValue", "boolValue"):
        if kind in value:
            return value[kind]
    return None


def grid_to_raw(spreadsheet: Mapping[str, Any]) -> Raw:
    """``spreadsheets.get`` with grid data -> tab title -> ragged rows of values."""
    raw: Raw = {}
    for sheet in spreadsheet.get("sheets", []):
        rows: list[list[Any]] = []
        for grid in sheet.get("data", []):
            for row in grid.get("rowData", []):
                cells = [cell_value(c) for c in row.get("values", [])]
                while cells and cells[-1] is None:
                    cells.pop()
                rows.append(cells)
        while rows and not rows[-1]:
            rows.pop()
        raw[sheet["properties"]["title"]] = rows
    return raw


def parse_time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


class GsheetsBackend:
    name = "gsheets"

    def __init__(self, client: gspread.Client, folder_id: str | None,
                 unit_by_sheet: Mapping[str, str], ignored_tabs: tuple[str, ...] = ()) -> None:
        self.client = client
        self.folder_id = folder_id
        self.unit_by_sheet = dict(unit_by_sheet)
        self.ignored_tabs = ignored_tabs
        self.list_requests = 0

    def list_sources(self) -> list[Source]:
        """Every spreadsheet in the campaign folder (or shared with us), one call per 1,000."""
        query = f"mimeType='{SHEET_MIME}' and trashed=false"
        if self.folder_id:
            query += f" and '{self.folder_id}' in parents"
        params: dict[str, Any] = {"q": query, "pageSize": 1000,
                                  "fields": "nextPageToken,files(id,name,modifiedTime)",
                                  "supportsAllDrives": True, "includeItemsFromAllDrives": True}
        found: list[Source] = []
        while True:
            self.list_requests += 1
            page = self.client.http_client.request("get", DRIVE_FILES, params=params).json()
            found += [Source(f["id"], parse_time(f.get("modifiedTime")),
                             self.unit_by_sheet.get(f["id"])) for f in page.get("files", [])]
            if not page.get("nextPageToken"):
                return found
            params["pageToken"] = page["nextPageToken"]

    def fetch(self, source: Source) -> Raw:
        try:
            spreadsheet = self.client.http_client.fetch_sheet_metadata(
                source.locator, params={"includeGridData": "true", "fields": GRID_FIELDS})
        except APIError as exc:
            raise FetchError(_api_reason(source.locator, exc)) from None
        except Retryable as exc:
            raise FetchError(f"Google Sheets không trả lời sau nhiều lần thử ({exc})") from None
        raw = grid_to_raw(spreadsheet)
        return {tab: rows for tab, rows in raw.items() if tab not in self.ignored_tabs}

    def describe_missing(self) -> str:
        return ("không tìm thấy bảng tính của đơn vị trong thư mục chiến dịch hoặc chưa được "
                "chia sẻ cho tài khoản dịch vụ")


def _api_reason(sheet_id: str, exc: APIError) -> str:
    if exc.code == 403:
        return f"không có quyền mở bảng tính {sheet_id} (cần chia sẻ cho tài khoản dịch vụ)"
    if exc.code == 404:
        return f"bảng tính {sheet_id} không tồn tại hoặc đã bị xóa"
    return f"Google Sheets báo lỗi {exc.code} khi đọc {sheet_id}: {exc.error.get('message')}"

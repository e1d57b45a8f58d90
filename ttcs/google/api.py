"""The thin layer over the paced client: the Sheets v4 and Drive v3 calls ttcs makes.

Every Drive call passes ``supportsAllDrives=true`` (a file in a Shared Drive is otherwise "not
found"); sharing never sends Drive's notification e-mail. Errors are gspread's ``APIError``
(an HTTP status Google answered) or the transport's ``Unavailable``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import gspread

from ttcs.google import urls
from ttcs.google.transport import PacedHTTPClient

PERMISSION_FIELDS = "permissions(id,type,role,emailAddress,domain)"
ALL_DRIVES = {"supportsAllDrives": "true"}
Json = dict[str, Any]


class Api:
    def __init__(self, client: gspread.Client) -> None:
        self.http: PacedHTTPClient = client.http_client  # type: ignore[assignment]

    def _call(self, method: str, url: str, params: Json | None = None,
              body: Json | None = None) -> Json:
        return self.http.request(method, url, params=params, json=body).json()

    def reserve_write(self) -> None:
        """Wait until a Sheets write would start at once, so that nothing waits between a
        check and the write it guards."""
        self.http.pacing.writes.wait_free()

    # -- Sheets ---------------------------------------------------------------------------
    def spreadsheet(self, spreadsheet_id: str, fields: str, grid: bool = False) -> Json:
        """``spreadsheets.get`` with a field mask (and every cell, with ``grid``)."""
        params = {"fields": fields, **({"includeGridData": "true"} if grid else {})}
        return self._call("get", urls.spreadsheet(spreadsheet_id), params)

    def tab_ids(self, spreadsheet_id: str) -> dict[str, int]:
        """Tab title -> sheetId, one read."""
        return tab_ids(self.spreadsheet(spreadsheet_id, "sheets.properties(sheetId,title)"))

    def batch_update(self, spreadsheet_id: str, requests: Sequence[Json],
                     response_fields: str | None = None) -> Json:
        """``spreadsheets.batchUpdate``, applied atomically; with ``response_fields`` the answer
        carries the spreadsheet as it is right after (every cell)."""
        body: Json = {"requests": list(requests)}
        params = None
        if response_fields:
            body |= {"includeSpreadsheetInResponse": True, "responseIncludeGridData": True}
            params = {"fields": response_fields}
        return self._call("post", urls.spreadsheet(spreadsheet_id, ":batchUpdate"), params, body)

    def values_batch_update(self, spreadsheet_id: str, data: Sequence[Json]) -> Json:
        """Values written as they are (RAW: a text beginning with "=" stays text)."""
        return self._call("post", urls.spreadsheet(spreadsheet_id, "/values:batchUpdate"),
                          body={"valueInputOption": "RAW", "data": list(data)})

    # -- Drive ----------------------------------------------------------------------------
    def _drive(self, method: str, url: str, params: Json, body: Json | None = None) -> Json:
        return self._call(method, url, {**ALL_DRIVES, **params}, body)

    def about_user(self) -> str:
        """The e-mail of whoever the credentials belong to."""
        return self._drive("get", f"{urls.DRIVE}/about",
                           {"fields": "user(emailAddress)"})["user"]["emailAddress"]

    def file(self, file_id: str, fields: str) -> Json:
        return self._drive("get", urls.file(file_id), {"fields": fields})

    def files(self, query: str, fields: str) -> Iterator[Json]:
        """Every file matching ``query`` (one request per 1,000)."""
        yield from self._pages(urls.FILES, "files", {
            "q": query, "pageSize": 1000, "includeItemsFromAllDrives": "true",
            "fields": f"nextPageToken,files({fields})"})

    def create(self, name: str, mime: str, parent: str, fields: str) -> Json:
        return self._drive("post", urls.FILES, {"fields": fields},
                           {"name": name, "mimeType": mime, "parents": [parent]})

    def permissions(self, file_id: str) -> list[Json]:
        """A file's (or a Shared Drive's: its members') permissions, every page."""
        return list(self._pages(urls.file(file_id, "/permissions"), "permissions", {
            "fields": f"nextPageToken,{PERMISSION_FIELDS}", "pageSize": 100}))

    def share(self, file_id: str, email: str, role: str) -> Json:
        """Give one person a role, without Drive's notification e-mail."""
        return self._drive("post", urls.file(file_id, "/permissions"),
                           {"sendNotificationEmail": "false", "fields": "id,role"},
                           {"type": "user", "role": role, "emailAddress": email})

    def _pages(self, url: str, key: str, params: Json) -> Iterator[Json]:
        """Drive's paging, written once: every item of every page."""
        params = dict(params)
        while True:
            page = self._drive("get", url, params)
            yield from page.get(key, [])
            if not page.get("nextPageToken"):
                return
            params["pageToken"] = page["nextPageToken"]


def tab_ids(spreadsheet: Json) -> dict[str, int]:
    """Tab title -> sheetId (the ``gid`` of links to a tab) of a ``spreadsheets.get`` answer."""
    return {s["properties"]["title"]: s["properties"].get("sheetId", 0)
            for s in spreadsheet.get("sheets", [])}

"""The few Drive v3 calls provisioning and feedback make, through the paced gspread transport.

Every call passes ``supportsAllDrives=true`` (a file in a Shared Drive is otherwise "not
found"); sharing never sends Drive's notification e-mail.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gspread

DRIVE = "https://www.googleapis.com/drive/v3"
FILES = f"{DRIVE}/files"
SHEET_MIME = "application/vnd.google-apps.spreadsheet"
FOLDER_MIME = "application/vnd.google-apps.folder"
PERMISSION_FIELDS = "permissions(id,type,role,emailAddress,domain)"
ALL_DRIVES = {"supportsAllDrives": "true"}


class Drive:
    def __init__(self, client: gspread.Client) -> None:
        self.http = client.http_client

    def _get(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        return self.http.request("get", url, params={**ALL_DRIVES, **params}).json()

    def _post(self, url: str, params: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        return self.http.request("post", url, params={**ALL_DRIVES, **params}, json=body).json()

    def about_user(self) -> str:
        """The e-mail of whoever the credentials belong to."""
        return self._get(f"{DRIVE}/about", {"fields": "user(emailAddress)"})["user"][
            "emailAddress"]

    def file(self, file_id: str, fields: str) -> dict[str, Any]:
        return self._get(f"{FILES}/{file_id}", {"fields": fields})

    def files(self, query: str, fields: str) -> Iterator[dict[str, Any]]:
        """Every file matching ``query`` (one request per 1,000)."""
        params: dict[str, Any] = {"q": query, "pageSize": 1000,
                                  "includeItemsFromAllDrives": "true",
                                  "fields": f"nextPageToken,files({fields})"}
        while True:
            page = self._get(FILES, params)
            yield from page.get("files", [])
            if not page.get("nextPageToken"):
                return
            params["pageToken"] = page["nextPageToken"]

    def create(self, name: str, mime: str, parent: str, fields: str) -> dict[str, Any]:
        return self._post(FILES, {"fields": fields},
                          {"name": name, "mimeType": mime, "parents": [parent]})

    def permissions(self, file_id: str) -> list[dict[str, Any]]:
        """A file's (or a Shared Drive's: its members') permissions, every page."""
        params: dict[str, Any] = {"fields": f"nextPageToken,{PERMISSION_FIELDS}",
                                  "pageSize": 100}
        found: list[dict[str, Any]] = []
        while True:
            page = self._get(f"{FILES}/{file_id}/permissions", params)
            found += page.get("permissions", [])
            if not page.get("nextPageToken"):
                return found
            params["pageToken"] = page["nextPageToken"]

    def share(self, file_id: str, email: str, role: str) -> dict[str, Any]:
        """Give one person a role, without Drive's notification e-mail."""
        return self._post(f"{FILES}/{file_id}/permissions",
                          {"sendNotificationEmail": "false", "fields": "id,role"},
                          {"type": "user", "role": role, "emailAddress": email})

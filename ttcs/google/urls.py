"""Google's addresses: the API endpoints, the OAuth scopes, the links a person opens."""

from __future__ import annotations

from urllib.parse import quote

API_DOMAIN = ".googleapis.com"
SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"
DRIVE_ROOT = "https://www.googleapis.com/drive/"  # every Drive version: Drive's quota bucket
DRIVE = DRIVE_ROOT + "v3"
FILES = f"{DRIVE}/files"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",
          "https://www.googleapis.com/auth/drive")
SHEET_MIME = "application/vnd.google-apps.spreadsheet"
FOLDER_MIME = "application/vnd.google-apps.folder"
# Links a person opens: a spreadsheet, one of its tabs, one cell of a tab.
SHEET_URL = "https://docs.google.com/spreadsheets/d/{id}/edit"
TAB_URL = SHEET_URL + "#gid={gid}"
CELL_URL = TAB_URL + "&range={cell}"
# The sheetId of our "Kết quả kiểm tra" tab in each commune spreadsheet (chosen, so reads can
# leave it out by id even when a commune renames it).
FEEDBACK_SHEET_ID = 901_117_001


def spreadsheet(spreadsheet_id: str, action: str = "") -> str:
    """``spreadsheets/<id>`` followed by ``action`` (":batchUpdate", "/values:batchUpdate")."""
    return f"{SHEETS}/{quote(spreadsheet_id, safe='')}{action}"


def file(file_id: str, sub: str = "") -> str:
    """Drive's ``files/<id>`` followed by ``sub`` ("/permissions")."""
    return f"{FILES}/{quote(file_id, safe='')}{sub}"


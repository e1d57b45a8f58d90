"""The fake's answers conform to Google's discovery documents (Sheets v4, Drive v3).

Every FakeGoogle checks each successful answer (``fake.conformance``) and refuses to leave its
``with`` block quietly if one did not conform, so the whole suite is checked; this file runs
the operations the product uses, over real HTTP, and counts them.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from fakegoogle import DEFAULT_OWNER, DEFAULT_SERVICE_ACCOUNT, FakeGoogle
from fakegoogle.fake import SchemaViolation
from fakegoogle.schema import discovery, violations

SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"
DRIVE = "https://www.googleapis.com/drive/v3"
SHEET_MIME = "application/vnd.google-apps.spreadsheet"
ALL_DRIVES = {"supportsAllDrives": "true"}
GRID_MASK = ("sheets(properties(sheetId,title,index),data(rowData(values("
             "effectiveValue,userEnteredValue,formattedValue))))")
PRODUCT_METHODS = {
    "sheets.spreadsheets.get", "sheets.spreadsheets.batchUpdate",
    "sheets.spreadsheets.values.batchGet", "sheets.spreadsheets.values.batchUpdate",
    "drive.files.list", "drive.files.get", "drive.files.create",
    "drive.permissions.create", "drive.permissions.list"}


def _session(fake: FakeGoogle, email: str) -> requests.Session:
    session = fake.session()
    session.headers["Authorization"] = "Bearer " + fake.access_token(email)
    return session


def _ok(response: requests.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _sheets_operations(bot: requests.Session, sid: str) -> None:
    book = f"{SHEETS}/{sid}"
    _ok(bot.get(book))
    _ok(bot.get(book, params={"fields": "spreadsheetId,properties(title,locale),"
                                        "sheets.properties(sheetId,title,index,gridProperties)"}))
    _ok(bot.get(book, params={"includeGridData": "true", "fields": GRID_MASK}))
    _ok(bot.get(book, params={"includeGridData": "true", "ranges": "PL01!A1:D2"}))
    _ok(bot.post(f"{book}/values:batchUpdate", json={
        "valueInputOption": "USER_ENTERED", "includeValuesInResponse": True,
        "data": [{"range": "PL01!E1:G1", "values": [["= 1 / 1024", "2020-01-01", "TRUE"]]}]}))
    for render in ("UNFORMATTED_VALUE", "FORMATTED_VALUE", "FORMULA"):
        _ok(bot.get(f"{book}/values:batchGet", params={
            "ranges": ["PL01", "'Đánh giá'!A1:B3"], "valueRenderOption": render,
            "majorDimension": "ROWS", "dateTimeRenderOption": "SERIAL_NUMBER"}))
    _ok(bot.get(f"{book}/values/PL01!A1:B2"))
    _ok(bot.put(f"{book}/values/PL01!A6", params={"valueInputOption": "RAW"},
                json={"values": [["x"]]}))
    _ok(bot.post(f"{book}/values/PL01!A7:append", params={"valueInputOption": "RAW"},
                 json={"values": [["y"]]}))
    _ok(bot.post(f"{book}/values/PL01!A7:clear"))
    replies = _ok(bot.post(f"{book}:batchUpdate", json={"requests": [
        {"addSheet": {"properties": {"title": "Kết quả", "sheetId": 77, "gridProperties": {
            "rowCount": 10, "columnCount": 6, "frozenRowCount": 1}}}},
        {"updateSheetProperties": {"properties": {"sheetId": 77, "title": "Kết quả kiểm tra"},
                                   "fields": "title"}},
        {"updateDimensionProperties": {"range": {"sheetId": 77, "dimension": "COLUMNS",
                                                 "startIndex": 0, "endIndex": 1},
                                       "properties": {"pixelSize": 45}, "fields": "pixelSize"}},
        {"repeatCell": {"range": {"sheetId": 77, "startRowIndex": 0, "endRowIndex": 1},
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                        "fields": "userEnteredFormat"}},
        {"updateCells": {"start": {"sheetId": 77, "rowIndex": 1, "columnIndex": 0},
                         "rows": [{"values": [{"userEnteredValue": {"stringValue": "Thiếu"}},
                                              {"userEnteredValue": {"formulaValue": "=3/2"}}]}],
                         "fields": "userEnteredValue"}}],
        "includeSpreadsheetInResponse": True, "responseIncludeGridData": True}))
    assert replies["replies"][0]["addSheet"]["properties"]["sheetId"] == 77
    _ok(bot.post(f"{book}:batchUpdate",
                 params={"fields": "updatedSpreadsheet(sheets(properties(sheetId,title),"
                                   "data(rowData(values(effectiveValue,userEnteredValue)))))"},
                 json={"requests": [{"deleteSheet": {"sheetId": 77}}],
                       "includeSpreadsheetInResponse": True, "responseIncludeGridData": True}))


def _drive_operations(fake: FakeGoogle, bot: requests.Session, sid: str, folder: str) -> None:
    listing = {"q": f"'{folder}' in parents and mimeType = '{SHEET_MIME}' and trashed = false",
               "supportsAllDrives": "true", "includeItemsFromAllDrives": "true", "pageSize": 1}
    page = _ok(bot.get(f"{DRIVE}/files", params=listing | {
        "fields": "nextPageToken,files(id,name,modifiedTime,driveId,"
                  "permissions(id,type,role,emailAddress,domain))"}))
    _ok(bot.get(f"{DRIVE}/files", params=listing | {"pageToken": page["nextPageToken"]}))
    _ok(bot.get(f"{DRIVE}/files/{sid}", params=ALL_DRIVES | {"fields": "*"}))
    _ok(bot.get(f"{DRIVE}/files/{sid}", params=ALL_DRIVES))
    shared_drive = fake.add_shared_drive("Sở Nội vụ", {DEFAULT_SERVICE_ACCOUNT: "contentManager"})
    created = _ok(bot.post(f"{DRIVE}/files", params=ALL_DRIVES | {"fields": "*"}, json={
        "name": "Tổng hợp", "mimeType": SHEET_MIME, "parents": [shared_drive]}))
    _ok(bot.post(f"{DRIVE}/files/{sid}/copy", params=ALL_DRIVES | {"fields": "id,name"},
                 json={"name": "Bản sao", "parents": [shared_drive]}))
    permissions = f"{DRIVE}/files/{created['id']}/permissions"
    for fields in ("id,role", "*"):
        _ok(bot.post(permissions, params=ALL_DRIVES | {"sendNotificationEmail": "false",
                                                       "fields": fields},
                     json={"type": "user", "role": "writer",
                           "emailAddress": f"xa-{len(fields)}@example.com"}))
    for fields in ("nextPageToken,permissions(id,type,role,emailAddress,domain)", "*"):
        _ok(bot.get(permissions, params=ALL_DRIVES | {"fields": fields, "pageSize": 100}))
    _ok(bot.get(f"{DRIVE}/files/{sid}/comments", params={"fields": "*"}))
    _ok(bot.get(f"{DRIVE}/about", params={"fields": "user(emailAddress),storageQuota"}))


def test_the_operations_the_product_uses_answer_as_google_s_schema_says() -> None:
    with FakeGoogle() as fake:
        folder = fake.add_folder("Chiến dịch")
        sid = fake.add_spreadsheet("Xã A", {"PL01": [["Mã xã", "Số hộ"], ["00001", 1250]],
                                           "Đánh giá": [["Tiêu chí", "Điểm"], ["An ninh", 9.5]]},
                                   parents=[folder])
        fake.add_spreadsheet("Xã B", {"PL01": [["Mã xã"]]}, parents=[folder])
        bot = _session(fake, DEFAULT_SERVICE_ACCOUNT)
        _sheets_operations(bot, sid)
        _drive_operations(fake, bot, sid, folder)
        _ok(_session(fake, DEFAULT_OWNER).post(SHEETS, json={"properties": {"title": "Mới"}}))
        answered = sum(1 for r in fake.requests() if r.status == 200 and r.kind != "token")
        checked = fake.conformance.checked
        print(f"\n{checked} answers checked against Google's discovery documents: "
              f"{dict(sorted(fake.conformance.by_method.items()))}")
        assert fake.conformance.problems == []
        assert checked == answered == 27
        assert set(fake.conformance.by_method) >= PRODUCT_METHODS


def test_an_answer_unlike_google_s_fails_the_fake_s_with_block() -> None:
    fake = FakeGoogle()
    with pytest.raises(SchemaViolation, match=r"drive\.files\.get:File\.name: string expected"
                       ), fake:
        sid = fake.add_spreadsheet("Xã A", {"PL01": [["x"]]})
        fake.file(sid).name = 1250  # type: ignore[assignment]  # state no client could set
        _ok(_session(fake, DEFAULT_SERVICE_ACCOUNT).get(f"{DRIVE}/files/{sid}"))
    assert fake.conformance.checked == 1


@pytest.mark.parametrize(("schema", "value", "problem"), [
    ("ValueRange", {"range": "A1", "values": [[1]], "rows": 1}, "x.rows: no such field"),
    ("ValueRange", {"majorDimension": "ROW"}, "'ROW' is not one of string enum"),
    ("File", {"size": 12}, "x.size: string expected, got int"),  # int64: a JSON string
    ("Spreadsheet", {"sheets": [{"properties": {"sheetId": True}}]},
     "x.sheets[0].properties.sheetId: integer expected, got bool"),
    ("CellData", {"effectiveValue": {"numberValue": "1"}},
     "x.effectiveValue.numberValue: number expected, got str"),
    ("File", {"capabilities": {"canEdit": True, "canDance": True}},
     "x.capabilities.canDance: no such field"),
])
def test_the_validator_names_what_google_would_not_send(schema: str, value: Any,
                                                        problem: str) -> None:
    api = "drive" if schema == "File" else "sheets"
    found = violations(discovery(api).schemas, {"$ref": schema}, value, "x")
    assert len(found) == 1 and problem in found[0], found


def test_values_of_any_type_and_maps_are_accepted_as_google_declares_them() -> None:
    sheets, drive = discovery("sheets").schemas, discovery("drive").schemas
    assert violations(sheets, {"$ref": "ValueRange"},
                      {"values": [["a", 1, 2.5, True]], "majorDimension": "ROWS"}, "x") == []
    assert violations(drive, {"$ref": "File"}, {"appProperties": {"k": "v"},
                                                "size": "12"}, "x") == []

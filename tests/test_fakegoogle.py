"""The fake Google APIs, through the real gspread + google-auth + requests HTTP stack.

The replay tests send the requests gspread's own test-suite recorded against Google
(tests/data/google-recorded/, MIT) to the fake and compare the answers' structure with
Google's.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import gspread
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.oauth2.service_account import Credentials
from gspread.exceptions import APIError, SpreadsheetNotFound

from fakegoogle import DEFAULT_SERVICE_ACCOUNT, SCOPES, FakeGoogle, Formula, max_in_window
from fakegoogle.auth import generate_key

RECORDED = Path(__file__).resolve().parent / "data" / "google-recorded"
SHEET_MIME = "application/vnd.google-apps.spreadsheet"
DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"
SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"
GRID_FIELDS = ("sheets(properties(sheetId,title,index),data(rowData(values("
               "effectiveValue,userEnteredValue,formattedValue))))")
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

PL01 = [["Mã xã", "Tên", "", "Số hộ"], ["00001", "Phường Ba Đình", "", 1250],
        [], ["Ghi chú", "", "", ""]]
DANH_GIA = [["Tiêu chí", "Điểm"], ["An ninh", 9.5], ["Môi trường"]]


@pytest.fixture
def fake():
    with FakeGoogle() as f:
        yield f
        assert f.internal_errors == [], f.internal_errors[-1]


@pytest.fixture
def gc(fake):
    return fake.gspread_client(timeout=5)


@pytest.fixture
def sheet_id(fake):
    return fake.add_spreadsheet("Xã Ba Đình", {"PL01": PL01, "Đánh giá": DANH_GIA,
                                               "It's": [["x"]]})


def raw_session(fake: FakeGoogle, email: str = DEFAULT_SERVICE_ACCOUNT) -> requests.Session:
    session = fake.session()
    session.headers["Authorization"] = "Bearer " + fake.access_token(email)
    return session


# ---------------------------------------------------------------- replay of Google's answers

CASSETTES = [
    "SpreadsheetTest.test_values_get.json",
    "SpreadsheetTest.test_values_batch_get.json",
    "ClientTest.test_open_by_key_has_metadata.json",
    "ClientTest.test_list_spreadsheet_files.json",
    "ClientTest.test_create.json",
    "WorksheetTest.test_add_validation.json",
    "WorksheetTest.test_add_protected_range_normal.json",
    "WorksheetTest.test_batch_get.json",
    "WorksheetTest.test_batch_update.json",
    "WorksheetTest.test_format.json",
    "WorksheetTest.test_get_all_values.json",
    "WorksheetTest.test_get_all_values_title_is_a1_notation.json",
    "WorksheetTest.test_get_all_values_date_time_render_options.json",
    "WorksheetTest.test_get_all_records_numericise_unformatted.json",
    "WorksheetTest.test_range_get_all_values.json",
    "SpreadsheetTest.test_update_title.json",
]
# Ids and times differ between Google and the fake; everything else must match.
VOLATILE = {"id", "spreadsheetId", "sheetId", "protectedRangeId", "createdTime",
            "modifiedTime", "spreadsheetUrl"}
ID_KEYS = {"id", "spreadsheetId", "sheetId", "protectedRangeId"}


def _learn_ids(recorded: Any, got: Any, ids: dict[str, str]) -> None:
    if isinstance(recorded, dict) and isinstance(got, dict):
        for key in recorded.keys() & got.keys():
            if key in ID_KEYS and recorded[key] != got[key]:
                ids[str(recorded[key])] = str(got[key])
            _learn_ids(recorded[key], got[key], ids)
    elif isinstance(recorded, list) and isinstance(got, list):
        for a, b in zip(recorded, got, strict=False):
            _learn_ids(a, b, ids)


def _differences(recorded: Any, got: Any, path: str = "$", key: str | None = None
                 ) -> list[str]:
    if isinstance(recorded, dict):
        if not isinstance(got, dict):
            return [f"{path}: object expected, got {got!r}"]
        out = [f"{path}.{k}: missing" for k in recorded.keys() - got.keys()]
        out += [f"{path}.{k}: not in Google's answer" for k in got.keys() - recorded.keys()]
        for k in recorded.keys() & got.keys():
            out += _differences(recorded[k], got[k], f"{path}.{k}", k)
        return out
    if isinstance(recorded, list):
        if not isinstance(got, list) or len(got) != len(recorded):
            return [f"{path}: {recorded!r} recorded, {got!r} got"]
        out = []
        for i, (a, b) in enumerate(zip(recorded, got, strict=True)):
            out += _differences(a, b, f"{path}[{i}]", key)
        return out
    if key in VOLATILE:
        same = type(recorded) is type(got) and (
            key not in ("createdTime", "modifiedTime") or bool(RFC3339_MS.match(got)))
    elif isinstance(recorded, str) and recorded.endswith(".gserviceaccount.com"):
        same = isinstance(got, str) and got.endswith(".gserviceaccount.com")
    else:
        same = type(recorded) is type(got) and recorded == got
    return [] if same else [f"{path}: Google {recorded!r}, fake {got!r}"]


def _recorded(name: str) -> dict[str, Any]:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", CASSETTES)
def test_fake_answers_recorded_requests_like_google(fake, name):
    cassette = _recorded(name)
    # The recordings were made with an account that may create files (the service
    # accounts of today may not, see test_service_account_cannot_create_in_a_normal_folder).
    account = fake.add_service_account("recorder@example.iam.gserviceaccount.com",
                                       has_storage=True)
    session = raw_session(fake, account.email)
    ids: dict[str, str] = {}
    problems = []
    for i, exchange in enumerate(cassette["interactions"]):
        request, response = exchange["request"], exchange["response"]
        uri, body = request["uri"], request.get("body")
        for old, new in sorted(ids.items(), key=lambda item: -len(item[0])):
            uri = uri.replace(old, new)
            if body:
                body = re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", new, body)
        answer = session.request(request["method"], uri,
                                 data=body.encode("utf-8") if body else None,
                                 headers={"Content-Type": "application/json"} if body else {})
        where = f"#{i} {request['method']} {request['uri'][:100]}"
        if answer.status_code != response["status"]["code"]:
            problems.append(f"{where}: status {answer.status_code}, Google "
                            f"{response['status']['code']}: {answer.text[:200]}")
            continue
        text = response["body"]["string"]
        if not text:
            assert answer.content == b"", where
            continue
        recorded, got = json.loads(text), answer.json()
        _learn_ids(recorded, got, ids)
        problems += [f"{where}: {p}" for p in _differences(recorded, got)]
    assert problems == []


# ---------------------------------------------------------------- gspread end to end


def test_open_by_key_and_get_all_values(gc, sheet_id):
    spreadsheet = gc.open_by_key(sheet_id)
    assert spreadsheet.title == "Xã Ba Đình"
    assert [w.title for w in spreadsheet.worksheets()] == ["PL01", "Đánh giá", "It's"]
    # gspread pads Google's ragged rows itself
    assert spreadsheet.worksheet("Đánh giá").get_all_values() == [
        ["Tiêu chí", "Điểm"], ["An ninh", "9.5"], ["Môi trường", ""]]


def test_values_are_ragged_and_trimmed(gc, sheet_id):
    answer = gc.http_client.values_batch_get(
        sheet_id, ["PL01", "'Đánh giá'!A1:C10", "'It''s'!A1", "PL01!F1:G5"],
        params={"valueRenderOption": "UNFORMATTED_VALUE"})
    first, second, third, empty = answer["valueRanges"]
    assert first == {"range": "'PL01'!A1:Z1000", "majorDimension": "ROWS",
                     "values": [["Mã xã", "Tên", "", "Số hộ"],
                                ["00001", "Phường Ba Đình", "", 1250], [], ["Ghi chú"]]}
    assert second["range"] == "'Đánh giá'!A1:C10"
    assert second["values"] == [["Tiêu chí", "Điểm"], ["An ninh", 9.5], ["Môi trường"]]
    assert third == {"range": "'It''s'!A1", "majorDimension": "ROWS", "values": [["x"]]}
    assert empty == {"range": "'PL01'!F1:G5", "majorDimension": "ROWS"}  # no "values" key


def test_formatted_and_formula_render_options(fake, gc):
    sid = fake.add_spreadsheet("Tính", {"Sheet1": []})
    worksheet = gc.open_by_key(sid).sheet1
    worksheet.update([["=3/2", "1,234.5", "2020-01-01", "TRUE", "=IMPORTXML(\"u\",\"//a\")"]],
                     "A1", value_input_option="USER_ENTERED")
    get = gc.http_client.values_get
    assert get(sid, "Sheet1", {"valueRenderOption": "UNFORMATTED_VALUE"})["values"] == [
        [1.5, 1234.5, 43831, True, "#N/A"]]
    assert get(sid, "Sheet1")["values"] == [["1.5", "1234.5", "2020-01-01", "TRUE", "#N/A"]]
    assert get(sid, "Sheet1", {"valueRenderOption": "FORMULA"})["values"][0][0] == "=3/2"
    grid = gc.http_client.fetch_sheet_metadata(
        sid, params={"includeGridData": "true", "fields": GRID_FIELDS})
    cells = grid["sheets"][0]["data"][0]["rowData"][0]["values"]
    assert cells[0]["userEnteredValue"] == {"formulaValue": "=3/2"}
    assert cells[0]["effectiveValue"] == {"numberValue": 1.5}
    assert cells[4]["effectiveValue"]["errorValue"]["type"] == "N_A"


def test_formulas_with_spaces_are_numbers_as_in_google(fake, gc):
    sid = fake.add_spreadsheet("Tính", {"Sheet1": []})
    gc.open_by_key(sid).sheet1.update([["= 1 / 1024", "=  (1 + 2) * 4 ", "= 2 ^ 10", "= 1 /"]],
                                      "A1", value_input_option="USER_ENTERED")
    get = gc.http_client.values_get
    assert get(sid, "Sheet1", {"valueRenderOption": "UNFORMATTED_VALUE"})["values"] == [
        [0.0009765625, 12, 1024, "#ERROR!"]]


def test_raw_formula_text_comes_back_as_text(fake, gc, sheet_id):
    worksheet = gc.open_by_key(sheet_id).worksheet("PL01")
    worksheet.update([["=IMPORTXML(\"http://x.vn\", \"//a\")", "+84 912", "-"]], "B5",
                     value_input_option="RAW")
    assert worksheet.get("B5:D5") == [["=IMPORTXML(\"http://x.vn\", \"//a\")", "+84 912", "-"]]
    assert fake.cell(sheet_id, "PL01!B5") == "=IMPORTXML(\"http://x.vn\", \"//a\")"
    grid = gc.http_client.fetch_sheet_metadata(
        sheet_id, params={"includeGridData": "true", "fields": GRID_FIELDS, "ranges": "PL01!B5"})
    cell = grid["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell["userEnteredValue"] == {"stringValue": "=IMPORTXML(\"http://x.vn\", \"//a\")"}


def test_one_request_returns_every_tab_whatever_its_name(fake, gc, sheet_id):
    fake.rename_tab(sheet_id, "PL01", "Phụ lục 1 (sửa)")
    fake.reset_counts()
    grid = gc.http_client.fetch_sheet_metadata(
        sheet_id, params={"includeGridData": "true", "fields": GRID_FIELDS})
    assert fake.counts() == {"token": 1, "sheets.get": 1}
    tabs = {s["properties"]["title"]: s["data"][0].get("rowData", []) for s in grid["sheets"]}
    assert list(tabs) == ["Phụ lục 1 (sửa)", "Đánh giá", "It's"]
    rows = tabs["Phụ lục 1 (sửa)"]
    assert rows[2] == {}  # an empty row inside the data
    assert rows[1]["values"][2] == {}  # an empty cell inside a row
    assert rows[1]["values"][3]["effectiveValue"] == {"numberValue": 1250}
    assert set(grid["sheets"][0]["properties"]) == {"sheetId", "title", "index"}


def test_missing_tab_is_400_for_the_whole_batch(gc, sheet_id):
    with pytest.raises(APIError) as caught:
        gc.http_client.values_batch_get(sheet_id, ["PL01", "'PL02'!A1:C10"])
    assert caught.value.code == 400
    assert caught.value.error == {"code": 400, "status": "INVALID_ARGUMENT",
                                  "message": "Unable to parse range: 'PL02'!A1:C10"}


def test_unknown_spreadsheet_is_404_and_unshared_is_403(fake, gc):
    with pytest.raises(SpreadsheetNotFound):
        gc.open_by_key("1" + "x" * 43)
    private = fake.add_spreadsheet("Riêng", {"A": [["1"]]}, shared_with={})
    with pytest.raises(APIError) as caught:
        gc.http_client.fetch_sheet_metadata(private)
    assert caught.value.error == {"code": 403, "message": "The caller does not have permission",
                                  "status": "PERMISSION_DENIED"}
    reader = fake.add_spreadsheet("Chỉ đọc", {"A": [["1"]]},
                                  shared_with={DEFAULT_SERVICE_ACCOUNT: "reader"})
    assert gc.http_client.values_get(reader, "A")["values"] == [["1"]]
    with pytest.raises(APIError) as caught:
        gc.http_client.values_update(reader, "A!A1", {"valueInputOption": "RAW"},
                                     {"values": [["2"]]})
    assert caught.value.code == 403


def test_modified_time_moves_forward_on_every_write(fake, gc, sheet_id):
    meta = gc.get_file_drive_metadata(sheet_id)
    assert RFC3339_MS.match(meta["modifiedTime"])
    times = [meta["modifiedTime"]]
    http = gc.http_client
    http.values_update(sheet_id, "PL01!A10", {"valueInputOption": "RAW"}, {"values": [["a"]]})
    times.append(gc.get_file_drive_metadata(sheet_id)["modifiedTime"])
    http.batch_update(sheet_id, {"requests": [{"updateSheetProperties": {
        "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
        "fields": "gridProperties.frozenRowCount"}}]})
    times.append(gc.get_file_drive_metadata(sheet_id)["modifiedTime"])
    http.values_get(sheet_id, "PL01")  # a read changes nothing
    times.append(gc.get_file_drive_metadata(sheet_id)["modifiedTime"])
    assert times[0] < times[1] < times[2] == times[3]
    assert fake.modified_time(sheet_id).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z") == times[2]
    fake.reset_counts()
    fake.write(sheet_id, "'Đánh giá'!B3", [[8]])  # the commune edits in the browser
    assert gc.get_file_drive_metadata(sheet_id)["modifiedTime"] > times[3]
    assert fake.counts() == {"drive.files.get": 1}


def test_batch_update_is_atomic_and_replies_like_google(fake, gc, sheet_id):
    http = gc.http_client
    before = fake.values(sheet_id, "PL01")
    with pytest.raises(APIError) as caught:
        http.batch_update(sheet_id, {"requests": [
            {"addSheet": {"properties": {"title": "Mới"}}},
            {"deleteSheet": {"sheetId": 999}}]})
    assert caught.value.error["message"] == "Invalid requests[1].deleteSheet: No grid with id: 999"
    assert fake.tabs(sheet_id) == ["PL01", "Đánh giá", "It's"]
    # the summary's swap: new tabs under temporary names, values, formats, delete, rename
    replies = http.batch_update(sheet_id, {"requests": [{"addSheet": {"properties": {
        "title": "~mới PL01", "index": 3, "gridProperties": {
            "rowCount": 8, "columnCount": 4, "frozenRowCount": 1}}}}]})["replies"]
    new_id = replies[0]["addSheet"]["properties"]["sheetId"]
    assert replies[0]["addSheet"]["properties"]["gridProperties"] == {
        "rowCount": 8, "columnCount": 4, "frozenRowCount": 1}
    http.values_batch_update(sheet_id, {"valueInputOption": "RAW", "data": [
        {"range": "'~mới PL01'!A1", "values": [["Xã", "Số"], ["=A1", 3], ["Tổng", ""]]}]})
    grid_range = {"sheetId": new_id, "startRowIndex": 0, "endRowIndex": 1,
                  "startColumnIndex": 0, "endColumnIndex": 2}
    answer = http.batch_update(sheet_id, {"requests": [
        {"repeatCell": {"range": grid_range, "fields": "userEnteredFormat",
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}}}},
        {"mergeCells": {"range": {**grid_range, "startRowIndex": 1, "endRowIndex": 2},
                        "mergeType": "MERGE_ALL"}},  # keeps only the top-left value
        {"setDataValidation": {"range": grid_range, "rule": {"condition": {
            "type": "ONE_OF_LIST", "values": [{"userEnteredValue": "x"}]}}}},
        {"addConditionalFormatRule": {"index": 0, "rule": {"ranges": [grid_range],
                                                           "booleanRule": {}}}},
        {"updateBorders": {"range": grid_range, "top": {"style": "SOLID"}}},
        {"updateDimensionProperties": {"range": {"sheetId": new_id, "dimension": "COLUMNS",
                                                 "startIndex": 0, "endIndex": 1},
                                       "properties": {"pixelSize": 120},
                                       "fields": "pixelSize"}},
        {"deleteSheet": {"sheetId": 0}},
        {"updateSheetProperties": {"properties": {"sheetId": new_id, "title": "PL01",
                                                  "index": 0}, "fields": "title,index"}},
        {"updateSpreadsheetProperties": {"properties": {"title": "Tổng hợp"},
                                         "fields": "title"}},
    ]})
    assert answer["replies"] == [{}] * 9
    assert fake.tabs(sheet_id) == ["PL01", "Đánh giá", "It's"]
    assert fake.values(sheet_id, "PL01") == [["Xã", "Số"], ["=A1"], ["Tổng"]]
    assert fake.values(sheet_id, "PL01") != before
    assert fake.file(sheet_id).name == "Tổng hợp"
    fmt = gc.http_client.fetch_sheet_metadata(sheet_id, params={
        "ranges": "PL01!A1", "fields": "sheets.data.rowData.values.userEnteredFormat"})
    assert fmt["sheets"][0]["data"][0]["rowData"][0]["values"][0] == {
        "userEnteredFormat": {"textFormat": {"bold": True}}}


def test_metadata_field_masks(gc, sheet_id):
    meta = gc.http_client.fetch_sheet_metadata(
        sheet_id, params={"fields": "spreadsheetId,properties,sheets.properties"})
    assert list(meta) == ["spreadsheetId", "properties", "sheets"]
    assert meta["properties"]["title"] == "Xã Ba Đình"
    assert [s["properties"]["title"] for s in meta["sheets"]] == ["PL01", "Đánh giá", "It's"]
    assert meta["sheets"][1]["properties"]["gridProperties"] == {"rowCount": 1000,
                                                                 "columnCount": 26}
    one = gc.http_client.fetch_sheet_metadata(
        sheet_id, params={"includeGridData": "true", "ranges": "'Đánh giá'!B2:B3",
                          "fields": "sheets(properties.title,data(startRow,"
                                    "rowData.values(effectiveValue,formattedValue)))"})
    assert one == {"sheets": [{"properties": {"title": "Đánh giá"}, "data": [{
        "startRow": 1, "rowData": [{"values": [{"effectiveValue": {"numberValue": 9.5},
                                                "formattedValue": "9.5"}]}]}]}]}
    full = gc.http_client.fetch_sheet_metadata(
        sheet_id, params={"includeGridData": "true", "ranges": "'Đánh giá'!B2"})
    cell = full["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert set(cell) == {"userEnteredValue", "effectiveValue", "formattedValue",
                         "effectiveFormat"}


def test_clear_and_append(fake, gc, sheet_id):
    http = gc.http_client
    appended = http.values_append(sheet_id, "PL01", {"valueInputOption": "RAW"},
                                  {"values": [["Thêm", 1]]})
    assert appended["tableRange"] == "'PL01'!A1:D4"
    assert appended["updates"]["updatedRange"] == "'PL01'!A5:B5"
    assert http.values_clear(sheet_id, "'Đánh giá'!A2:B3") == {
        "spreadsheetId": sheet_id, "clearedRange": "'Đánh giá'!A2:B3"}
    assert fake.values(sheet_id, "Đánh giá") == [["Tiêu chí", "Điểm"]]
    http.values_batch_clear(sheet_id, body={"ranges": ["PL01!A1:D4"]})
    assert fake.values(sheet_id, "PL01") == [[], [], [], [], ["Thêm", 1]]


def test_a_person_with_drive_storage_may_create(fake):
    session = raw_session(fake, "coordinator@example.com")
    created = session.post(SHEETS, json={"properties": {"title": "Tổng hợp", "locale": "vi_VN"},
                                         "sheets": [{"properties": {"title": "Trạng thái"}}]})
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["properties"]["locale"] == "vi_VN"
    assert [s["properties"]["title"] for s in body["sheets"]] == ["Trạng thái"]
    assert fake.file(body["spreadsheetId"]).owner == "coordinator@example.com"


def test_service_account_cannot_create_in_a_normal_folder(fake, gc):
    folder = fake.add_folder("Chiến dịch 2025")
    with pytest.raises(APIError) as caught:
        gc.create("Tổng hợp tỉnh", folder_id=folder)
    assert caught.value.code == 403
    assert caught.value.error["message"] == "The user's Drive storage quota has been exceeded."
    assert caught.value.error["errors"][0]["reason"] == "storageQuotaExceeded"
    with pytest.raises(APIError) as caught:  # Sheets' own create: the caller has no Drive
        gc.http_client.request("post", SHEETS, json={"properties": {"title": "X"}})
    assert caught.value.error["status"] == "PERMISSION_DENIED"
    shared_drive = fake.add_shared_drive("Sở Nội vụ")
    in_drive = fake.add_folder("Tổng hợp", parents=[shared_drive])
    created = gc.create("Tổng hợp tỉnh", folder_id=in_drive)  # gspread sets supportsAllDrives
    assert fake.file(created.id).drive_id == shared_drive
    assert created.sheet1.title == "Sheet1"


def test_copy_and_share(fake, gc, sheet_id):
    shared_drive = fake.add_shared_drive("Sở Nội vụ")
    folder = fake.add_folder("Mẫu", parents=[shared_drive])
    copy = gc.copy(sheet_id, title="Bản sao", folder_id=folder)
    assert fake.values(copy.id, "PL01") == fake.values(sheet_id, "PL01")
    copy.share("xa-00001@example.com", perm_type="user", role="writer", notify=False)
    emails = {p.get("emailAddress"): p["role"] for p in copy.list_permissions()}
    assert emails == {"xa-00001@example.com": "writer"}
    other = fake.add_spreadsheet("Xã khác", {"A": [["1"]]}, shared_with={
        DEFAULT_SERVICE_ACCOUNT: "reader"})
    with pytest.raises(APIError) as caught:
        gc.insert_permission(other, "x@example.com", perm_type="user", role="reader")
    assert caught.value.code == 403


# ---------------------------------------------------------------- Drive listing


def _list(session: requests.Session, q: str, page_size: int = 1000) -> list[dict[str, Any]]:
    params = {"q": q, "pageSize": page_size, "supportsAllDrives": True,
              "includeItemsFromAllDrives": True,
              "fields": "nextPageToken,files(id,name,modifiedTime,parents,owners)"}
    files = []
    while True:
        answer = session.get(DRIVE_FILES, params=params)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        files += page["files"]
        if "nextPageToken" not in page:
            return files
        params["pageToken"] = page["nextPageToken"]


def test_drive_listing_pages_by_thousand(fake):
    folder = fake.add_folder("Chiến dịch")
    elsewhere = fake.add_folder("Khác")
    start = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
    for i in range(2500):
        fake.add_spreadsheet(f"Xã {i:05d}", {"PL01": [["x"]]}, parents=[folder],
                             shared_with={}, modified_time=start + dt.timedelta(minutes=i))
    fake.add_spreadsheet("Ngoài thư mục", parents=[elsewhere], shared_with={})
    trashed = fake.add_spreadsheet("Đã xoá", parents=[folder], shared_with={})
    fake.trash(trashed)
    session = raw_session(fake)
    query = f"mimeType='{SHEET_MIME}' and '{folder}' in parents and trashed=false"
    files = _list(session, query)
    assert len(files) == 2500
    assert fake.counts() == {"drive.files.list": 3}
    assert files[0]["owners"][0]["emailAddress"] == "coordinator@example.com"
    assert all(RFC3339_MS.match(f["modifiedTime"]) for f in files)
    recent = _list(session, query + " and modifiedTime > '2025-07-02T17:00:00.000Z'")
    assert len(recent) == 2500 - 41 * 60 - 1
    assert [f["name"] for f in _list(session, f"name = 'Xã 00007' and '{folder}' in parents"
                                     )] == ["Xã 00007"]
    assert len(_list(session, f"'{folder}' in parents", page_size=1000)) == 2501  # + trashed
    too_big = session.get(DRIVE_FILES, params={"pageSize": 1001})
    assert too_big.status_code == 400


def test_gspread_listing_query_is_understood(fake, gc):
    folder = fake.add_folder("Chiến dịch")
    fake.add_spreadsheet("Xã A", parents=[folder], shared_with={})
    fake.add_spreadsheet("Xã B", shared_with={})
    fake.add_spreadsheet("Không chia sẻ", shared_with={})
    fake.unshare(fake.add_spreadsheet("Riêng"), DEFAULT_SERVICE_ACCOUNT)
    assert {f["name"] for f in gc.list_spreadsheet_files()} == {"Xã A"}
    fake.share(fake.add_spreadsheet("Xã C", shared_with={}), DEFAULT_SERVICE_ACCOUNT, "reader")
    assert {f["name"] for f in gc.list_spreadsheet_files(folder_id=folder)} == {"Xã A"}
    assert {f["name"] for f in gc.list_spreadsheet_files()} == {"Xã A", "Xã C"}


def test_three_thousand_sheets_stay_small(fake):
    row = ["Chỉ tiêu", "Đơn vị", 12, 7, None, "ghi chú"]
    tabs = {f"PL0{t}": [list(row) for _ in range(40)] for t in range(1, 7)}
    folder = fake.add_folder("Cả nước")
    for i in range(3321):
        fake.add_spreadsheet(f"Xã {i:05d}", tabs, parents=[folder], shared_with={})
    assert len(_list(raw_session(fake), f"'{folder}' in parents")) == 3321
    assert fake.counts() == {"drive.files.list": 4}


# ---------------------------------------------------------------- quota, faults, counting


def test_quota_window_answers_429_then_recovers(fake, sheet_id):
    fake.set_quota(read=5, write=2, window_s=1.0)
    session = raw_session(fake)
    url = f"{SHEETS}/{sheet_id}/values/PL01"
    statuses = [session.get(url).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    fake.share(sheet_id, "other@example.com", "reader")  # the quota is per user
    assert raw_session(fake, "other@example.com").get(url).status_code == 200
    error = session.get(url).json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["message"].startswith(
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute "
        "per user' of service 'sheets.googleapis.com'")
    # writes have their own quota
    put = f"{SHEETS}/{sheet_id}/values/PL01!A20?valueInputOption=RAW"
    writes = [session.put(put, json={"values": [["x"]]}).status_code for _ in range(3)]
    assert writes == [200, 200, 429]
    time.sleep(1.05)
    assert session.get(url).status_code == 200
    accepted = [r.at for r in fake.requests() if r.status == 200 and r.kind == "values.get"
                and r.user == DEFAULT_SERVICE_ACCOUNT]
    assert max_in_window(accepted, 1.0) == 5


def test_fault_injection_honours_the_fraction(fake, sheet_id):
    fake.inject_faults(0.2, ("429", "500", "503"), seed=7)
    session = raw_session(fake)
    statuses = [session.get(f"{SHEETS}/{sheet_id}").status_code for _ in range(400)]
    failed = [s for s in statuses if s != 200]
    assert 50 <= len(failed) <= 110
    assert set(failed) == {429, 500, 503}
    assert fake.stats.snapshot()["faults"] == {str(s): failed.count(s) for s in (429, 500, 503)}
    body = session.get(f"{SHEETS}/{sheet_id}")
    while body.status_code == 200:
        body = session.get(f"{SHEETS}/{sheet_id}")
    assert set(body.json()["error"]) >= {"code", "message", "status"}
    fake.clear_faults()
    assert all(session.get(f"{SHEETS}/{sheet_id}").ok for _ in range(20))


def test_timeouts_and_dropped_connections(fake, sheet_id):
    session = raw_session(fake)
    fake.inject_faults(1.0, ("timeout",), timeout_s=3.0)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        session.get(f"{SHEETS}/{sheet_id}", timeout=0.3)
    assert time.monotonic() - started < 2
    fake.inject_faults(1.0, ("reset",))
    with pytest.raises(requests.ConnectionError):
        session.get(f"{SHEETS}/{sheet_id}", timeout=2)
    fake.clear_faults()
    assert session.get(f"{SHEETS}/{sheet_id}", timeout=2).ok
    assert [r.fault for r in fake.requests()] == ["timeout", "reset", None]


def test_latency_is_added_to_each_request(fake, sheet_id):
    session = raw_session(fake)
    fake.set_latency(0.15)
    started = time.monotonic()
    session.get(f"{SHEETS}/{sheet_id}")
    assert time.monotonic() - started >= 0.15


def test_counts_match_the_requests_made(fake, gc, sheet_id):
    other = fake.add_spreadsheet("Xã khác", {"A": [["1"]]})
    spreadsheet = gc.open_by_key(sheet_id)  # token + sheets.get
    spreadsheet.worksheet("PL01").get_all_values()  # sheets.get + values.get
    spreadsheet.values_batch_get(["PL01", "'Đánh giá'"])  # values.batchGet
    spreadsheet.worksheet("PL01").update([["a"]], "A9")  # sheets.get + values.update
    gc.open_by_key(other)  # sheets.get
    gc.list_spreadsheet_files()  # drive.files.list
    assert fake.counts() == {"token": 1, "sheets.get": 4, "values.get": 1,
                             "values.batchGet": 1, "values.update": 1, "drive.files.list": 1}
    assert fake.counts(sheet_id) == {"sheets.get": 3, "values.get": 1, "values.batchGet": 1,
                                     "values.update": 1}
    assert fake.counts(other) == {"sheets.get": 1}
    assert fake.stats.total() == 8  # token requests excluded
    fake.reset_counts()
    assert fake.counts() == {}


def test_concurrent_clients_are_served(fake, sheet_id):
    gc = fake.gspread_client(timeout=5)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                gc.http_client.fetch_sheet_metadata(
                    sheet_id, params={"includeGridData": "true", "fields": GRID_FIELDS})
                gc.http_client.values_update(sheet_id, "PL01!H1", {"valueInputOption": "RAW"},
                                             {"values": [[threading.get_ident()]]})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert fake.counts(sheet_id) == {"sheets.get": 90, "values.update": 90}


# ---------------------------------------------------------------- OAuth


def test_tokens_come_from_the_fake_and_are_refreshed(fake, gc, sheet_id):
    gc.open_by_key(sheet_id)
    assert fake.counts()["token"] == 1
    fake.revoke_tokens()  # Google answers 401; AuthorizedSession refreshes and retries
    gc.open_by_key(sheet_id)
    assert fake.counts()["token"] == 2
    assert fake.stats.snapshot()["by_status"][401] == 1


def test_a_jwt_signed_with_another_key_is_rejected(fake):
    info = fake.service_account_info()
    info["private_key"] = generate_key(1)  # same account, a key Google does not know
    creds = Credentials.from_service_account_info(info, scopes=list(SCOPES))
    client = fake.gspread_client(creds)
    with pytest.raises(RefreshError, match=r"invalid_grant.*Invalid JWT Signature"):
        client.list_spreadsheet_files()
    assert fake.counts() == {"token": 1}
    assert fake.requests()[0].status == 400


def test_requests_without_a_valid_token_get_401(fake, sheet_id):
    session = fake.session()
    answer = session.get(f"{SHEETS}/{sheet_id}")
    assert answer.status_code == 401
    assert answer.json()["error"]["status"] == "UNAUTHENTICATED"
    answer = session.get(DRIVE_FILES, headers={"Authorization": "Bearer ya29.forged"})
    assert answer.status_code == 401
    assert answer.json()["error"]["errors"][0]["reason"] == "authError"


def test_only_google_hosts_are_faked(fake):
    with pytest.raises(requests.ConnectionError, match="not a faked Google host"):
        fake.session().get("https://example.com/")


def test_seeded_formulas_and_dates(fake, gc):
    sid = fake.add_spreadsheet("Có công thức", {"A": [
        [Formula("=SUM(B1:B2)", 12), dt.date(2025, 7, 1)]]})
    values = gc.http_client.values_get(sid, "A", {"valueRenderOption": "UNFORMATTED_VALUE"})
    assert values["values"] == [[12, 45839]]
    formulas = gc.http_client.values_get(sid, "A", {"valueRenderOption": "FORMULA"})
    assert formulas["values"] == [["=SUM(B1:B2)", 45839]]
    assert gc.http_client.values_get(sid, "A")["values"] == [["12", "2025-07-01"]]


def test_clients_point_at_the_fake_without_monkeypatching(fake, sheet_id):
    creds = fake.credentials()
    client = gspread.Client(auth=creds, session=fake.authorized_session(creds))
    assert client.open_by_key(sheet_id).title == "Xã Ba Đình"
    assert fake.url.startswith("http://127.0.0.1:")
    direct = requests.get(f"{fake.url}/sheets.googleapis.com/v4/spreadsheets/{sheet_id}")
    assert direct.status_code == 401  # the loopback URL form used by endpoint overrides


# ---------------------------------------------------------------- what provisioning relies on


def test_a_person_s_cached_oauth_token_is_refreshed(fake, sheet_id):
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials as UserCredentials

    info = fake.authorized_user_info("coordinator@example.com", expired=True)
    creds = UserCredentials.from_authorized_user_info(info, list(SCOPES))
    assert not creds.valid
    creds.refresh(Request(session=fake.session()))
    assert creds.valid and creds.token != info["token"]
    client = fake.gspread_client(creds)
    assert client.open_by_key(sheet_id).title == "Xã Ba Đình"
    assert fake.requests()[-1].user == "coordinator@example.com"
    wrong = UserCredentials.from_authorized_user_info(info | {"client_secret": "x"},
                                                      list(SCOPES))
    with pytest.raises(RefreshError, match="invalid_client"):
        wrong.refresh(Request(session=fake.session()))
    revoked = UserCredentials.from_authorized_user_info(info | {"refresh_token": "1//nope"},
                                                        list(SCOPES))
    with pytest.raises(RefreshError, match="invalid_grant"):
        revoked.refresh(Request(session=fake.session()))


def test_about_names_the_caller(fake):
    session = raw_session(fake, "coordinator@example.com")
    about = session.get("https://www.googleapis.com/drive/v3/about",
                        params={"fields": "user(emailAddress)"})
    assert about.json() == {"user": {"emailAddress": "coordinator@example.com"}}
    assert session.get("https://www.googleapis.com/drive/v3/about").status_code == 400


def test_shared_drive_items_list_no_permissions_and_the_drive_lists_its_members(fake):
    drive = fake.add_shared_drive("Sở", {DEFAULT_SERVICE_ACCOUNT: "contentManager",
                                         "boss@example.com": "manager"})
    folder = fake.add_folder("TTCS", parents=[drive])
    session = raw_session(fake)
    created = session.post(DRIVE_FILES, params={"supportsAllDrives": "true", "fields": "*"},
                           json={"name": "X", "mimeType": SHEET_MIME, "parents": [folder]})
    assert created.status_code == 200, created.text
    assert "permissions" not in created.json() and created.json()["driveId"] == drive
    file_id = created.json()["id"]
    perms = f"{DRIVE_FILES}/{file_id}/permissions"
    shared = session.post(perms, params={"supportsAllDrives": "true",
                                         "sendNotificationEmail": "false"},
                          json={"type": "user", "role": "writer",
                                "emailAddress": "xa@example.com"})
    assert shared.status_code == 200
    session.post(perms, params={"supportsAllDrives": "true"},
                 json={"type": "user", "role": "reader", "emailAddress": "told@example.com"})
    assert fake.notifications == [(file_id, "told@example.com", "reader")]
    listed = session.get(perms, params={"supportsAllDrives": "true", "fields": "*"}
                         ).json()["permissions"]
    assert {p["emailAddress"]: p["role"] for p in listed} == {
        "xa@example.com": "writer", "told@example.com": "reader"}
    members = session.get(f"{DRIVE_FILES}/{drive}/permissions",
                          params={"supportsAllDrives": "true",
                                  "fields": "permissions(emailAddress,role)"}).json()
    assert members == {"permissions": [
        {"emailAddress": DEFAULT_SERVICE_ACCOUNT, "role": "fileOrganizer"},
        {"emailAddress": "boss@example.com", "role": "organizer"}]}
    assert session.get(f"{DRIVE_FILES}/{drive}/permissions").status_code == 404


def test_batch_update_can_return_the_spreadsheet_as_it_is_after(fake, gc, sheet_id):
    answer = gc.http_client.request(
        "post", f"{SHEETS}/{sheet_id}:batchUpdate",
        params={"fields": "updatedSpreadsheet(sheets(properties(sheetId,title),"
                          "data(rowData(values(effectiveValue)))))"},
        json={"requests": [{"addSheet": {"properties": {"title": "Mới", "sheetId": 77}}}],
              "includeSpreadsheetInResponse": True, "responseIncludeGridData": True}).json()
    assert set(answer) == {"updatedSpreadsheet"}
    sheets = answer["updatedSpreadsheet"]["sheets"]
    assert [s["properties"] for s in sheets][-1] == {"sheetId": 77, "title": "Mới"}
    first = sheets[0]["data"][0]["rowData"][0]["values"][0]
    assert first == {"effectiveValue": {"stringValue": "Mã xã"}}

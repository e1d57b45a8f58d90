"""The province's own answers as the tab "Tỉnh trả lời" of the Google summary spreadsheet:
read with ONE ``values.get``, laid out (when missing) with ONE ``batchUpdate``. The rows are the
same as the local file's (``ttcs.report.province_answers`` builds and reads them).

The summary's full rewrite replaces its own tabs and must keep this one
(``ttcs.outputs.summary_sheets.replace_tabs``).
"""

from __future__ import annotations

from typing import Any

from gspread.exceptions import APIError

from ttcs.errors import UserError
from ttcs.google.api import Api
from ttcs.labels import PROVINCE_TAB

# Chosen, like the feedback tab's, so the layout is one request (the cells name the new tab).
PROVINCE_SHEET_ID = 901_117_012
WIDTHS_PX = (90, 420, 160, 520)  # Mục / STT | Nội dung / Số buổi | Trả lời / lượt | Nội dung
RANGE = f"'{PROVINCE_TAB}'"


def _refused(spreadsheet_id: str, exc: APIError) -> UserError:
    return UserError(f'không đọc được trang "{PROVINCE_TAB}" của bảng tổng hợp {spreadsheet_id} '
                     f"(lỗi {exc.code}): cần chia sẻ quyền chỉnh sửa cho tài khoản dịch vụ")


def read_province_tab(api: Api, spreadsheet_id: str) -> list[list[Any]] | None:
    """The tab's rows (numbers as numbers, as typed otherwise); None when there is no such tab
    (Google answers 400: the range names no tab)."""
    try:
        answer = api.http.values_get(spreadsheet_id, RANGE,
                                     params={"valueRenderOption": "UNFORMATTED_VALUE"})
    except APIError as exc:
        if exc.code == 400:
            return None
        raise _refused(spreadsheet_id, exc) from None
    return answer.get("values", [])


def _cell(value: Any) -> dict[str, Any]:
    wrap = {"userEnteredFormat": {"wrapStrategy": "WRAP", "verticalAlignment": "TOP"}}
    if value is None or value == "":
        return wrap
    kind = "numberValue" if isinstance(value, int | float) else "stringValue"
    return {"userEnteredValue": {kind: value}, **wrap}


def add_province_tab(api: Api, spreadsheet_id: str, rows: list[list[Any]]) -> None:
    """Add the tab with ``rows`` (the empty form) and readable column widths, in one request."""
    columns = max(len(WIDTHS_PX), *(len(row) for row in rows))
    widths = [{"updateDimensionProperties": {
        "range": {"sheetId": PROVINCE_SHEET_ID, "dimension": "COLUMNS", "startIndex": i,
                  "endIndex": i + 1},
        "properties": {"pixelSize": px}, "fields": "pixelSize"}} for i, px in enumerate(WIDTHS_PX)]
    requests = [
        {"addSheet": {"properties": {
            "sheetId": PROVINCE_SHEET_ID, "title": PROVINCE_TAB,
            "gridProperties": {"rowCount": len(rows) + 20, "columnCount": columns}}}},
        {"updateCells": {"start": {"sheetId": PROVINCE_SHEET_ID, "rowIndex": 0, "columnIndex": 0},
                         "rows": [{"values": [_cell(v) for v in row]} for row in rows],
                         "fields": "userEnteredValue,userEnteredFormat"}},
        *widths,
    ]
    try:
        api.batch_update(spreadsheet_id, requests)
    except APIError as exc:
        raise _refused(spreadsheet_id, exc) from None

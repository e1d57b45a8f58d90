"""The province summary as a Google spreadsheet: the same tabs as the summary workbook.

Four requests whatever the number of units: read the tab list; add the new tabs under
temporary names; write every value with one RAW ``values.batchUpdate`` (commune text beginning
with "=", "+", "-" or "@" stays text); then one ``batchUpdate`` that formats the new tabs,
deletes the old ones and gives the new ones their names — applied atomically, so a reader
never sees a half-written summary.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

import gspread
from gspread.exceptions import APIError

from ttcs.errors import UserError
from ttcs.sheets_geometry import merge_requests, width_requests
from ttcs.summary import SummaryCell, SummaryTab

NEW_PREFIX = "~mới "
EPOCH = dt.datetime(1899, 12, 30)


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _serial(value: dt.date) -> float:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    return (moment.replace(tzinfo=None) - EPOCH).total_seconds() / 86400


def cell_value(cell: SummaryCell) -> Any:
    value = cell.value
    if isinstance(value, dt.date):
        return _serial(value)
    return "" if value is None else value


def _rgb(hex_colour: str) -> dict[str, float]:
    return {k: int(hex_colour[i:i + 2], 16) / 255 for k, i in (("red", 0), ("green", 2),
                                                                 ("blue", 4))}


def _format(cell: SummaryCell) -> dict[str, Any]:
    style = cell.style
    fmt: dict[str, Any] = {
        "textFormat": {"fontFamily": style.font, "fontSize": style.size, "bold": style.bold,
                       "italic": style.italic, "underline": style.underline},
        "horizontalAlignment": style.align.upper(),
        "verticalAlignment": "TOP" if style.valign == "top" else "MIDDLE",
        "wrapStrategy": "WRAP" if style.wrap else "OVERFLOW_CELL",
    }
    if style.number_kind:
        fmt["numberFormat"] = {"type": {"number": "NUMBER", "percent": "PERCENT",
                                        "date": "DATE", "datetime": "DATE_TIME"}[
            style.number_kind], "pattern": style.number_format}
    if cell.fill:
        fmt["backgroundColor"] = _rgb(cell.fill)
    if style.border:
        solid = {"style": "SOLID"}
        fmt["borders"] = {"top": solid, "bottom": solid, "left": solid, "right": solid}
    return fmt


def _runs(cells: list[SummaryCell]) -> tuple[tuple[int, int, tuple], ...]:
    """A row's runs of equally formatted cells: (first column, length, format key)."""
    runs, col = [], 0
    for fmt_key, run in groupby(cells, key=lambda c: (c.role, c.fill, c.bold)):
        length = len(list(run))
        runs.append((col, length, fmt_key))
        col += length
    return tuple(runs)


def _format_requests(sheet_id: int, tab: SummaryTab) -> list[dict[str, Any]]:
    """repeatCell over blocks of equally formatted cells — consecutive rows formatted alike
    share one request per run, so a tab of thousands of rows is a few hundred requests —
    then widths and merges."""
    requests: list[dict[str, Any]] = []
    first = 0
    for runs, rows in groupby(tab.rows, key=_runs):
        count = len(list(rows))
        for col, length, (role, fill, bold) in runs:
            requests.append({"repeatCell": {
                "range": {"sheetId": sheet_id, "startRowIndex": first,
                          "endRowIndex": first + count,
                          "startColumnIndex": col, "endColumnIndex": col + length},
                "cell": {"userEnteredFormat": _format(SummaryCell(role=role, fill=fill,
                                                                  bold=bold))},
                "fields": "userEnteredFormat"}})
        first += count
    requests += width_requests(sheet_id, dict(enumerate(tab.widths, start=1)))
    return requests + merge_requests(sheet_id, tab.merges)


def write_summary_sheet(client: gspread.Client, spreadsheet_id: str,
                        tabs: list[SummaryTab]) -> None:
    """Replace the summary spreadsheet's tabs with ``tabs``."""
    http = client.http_client
    try:
        meta = http.fetch_sheet_metadata(spreadsheet_id, params={"fields": "sheets.properties"})
    except APIError as exc:
        raise UserError(f"không mở được bảng tổng hợp {spreadsheet_id} (lỗi {exc.code}): cần "
                        "tạo bảng tính và chia sẻ quyền chỉnh sửa cho tài khoản dịch vụ") from None
    sheets = [s["properties"] for s in meta.get("sheets", [])]
    # Tabs left half-written by an interrupted earlier run are dropped first.
    leftovers = [p for p in sheets if p["title"].startswith(NEW_PREFIX)]
    old = [p for p in sheets if not p["title"].startswith(NEW_PREFIX)]
    add = [{"deleteSheet": {"sheetId": p["sheetId"]}} for p in leftovers]
    add += [{"addSheet": {"properties": {
        "title": NEW_PREFIX + tab.name, "index": len(old) + i,
        "gridProperties": {"rowCount": max(len(tab.rows), 1) + 5,
                           "columnCount": max(len(tab.widths), 1),
                           "frozenRowCount": tab.freeze_rows}}}}
        for i, tab in enumerate(tabs)]
    replies = http.batch_update(spreadsheet_id, {"requests": add})["replies"]
    ids = [reply["addSheet"]["properties"]["sheetId"] for reply in replies if "addSheet" in reply]
    data = [{"range": f"{_quoted(NEW_PREFIX + tab.name)}!A1",
             "values": [[cell_value(c) for c in row] for row in tab.rows]} for tab in tabs]
    http.values_batch_update(spreadsheet_id, {"valueInputOption": "RAW", "data": data})
    swap: list[dict[str, Any]] = []
    for sheet_id, tab in zip(ids, tabs, strict=True):
        swap += _format_requests(sheet_id, tab)
    swap += [{"deleteSheet": {"sheetId": p["sheetId"]}} for p in old]
    swap += [{"updateSheetProperties": {"properties": {"sheetId": sheet_id, "title": tab.name,
                                                        "index": i},
                                        "fields": "title,index"}}
             for i, (sheet_id, tab) in enumerate(zip(ids, tabs, strict=True))]
    http.batch_update(spreadsheet_id, {"requests": swap})

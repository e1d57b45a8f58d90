"""The province summary as a Google spreadsheet: the same tabs as the summary workbook.

When anything but the "Tình hình lúc" line changed, four requests whatever the number of
units: read the tab list; add the new tabs under temporary names; write every value with one
RAW ``values.batchUpdate`` (commune text beginning with "=", "+", "-" or "@" stays text); then
one ``batchUpdate`` that formats the new tabs, deletes the old ones and gives the new ones
their names — applied atomically, so a reader never sees a half-written summary.

Otherwise (a quiet night) one request: the "Tình hình lúc" cells alone. The store's
``feedback`` table remembers a digest of what the summary last received, the time line left
out; a tab missing since (renamed, deleted by hand) makes that write fail, and the whole
summary is written again.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

from gspread.exceptions import APIError
from gspread.utils import rowcol_to_a1

from ttcs.backends import SummarySheet
from ttcs.errors import UserError
from ttcs.google.api import Api
from ttcs.google.sheets_geometry import merge_requests, width_requests
from ttcs.labels import PROVINCE_TAB
from ttcs.outputs.summary import AS_OF_PREFIX, SummaryCell, SummaryTab
from ttcs.state.store import content_hash

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


def _is_as_of(cell: SummaryCell) -> bool:
    return isinstance(cell.value, str) and cell.value.startswith(AS_OF_PREFIX)


def as_of_cells(tabs: list[SummaryTab]) -> list[dict[str, Any]]:
    """The "Tình hình lúc" cells as RAW value ranges."""
    return [{"range": f"{_quoted(tab.name)}!{rowcol_to_a1(r, c)}", "values": [[cell.value]]}
            for tab in tabs for r, row in enumerate(tab.rows, start=1)
            for c, cell in enumerate(row, start=1) if _is_as_of(cell)]


def content_digest(tabs: list[SummaryTab]) -> str:
    """Everything the summary shows but the "Tình hình lúc" line."""
    return content_hash([[tab.name, tab.widths, tab.merges, tab.freeze_rows,
                          [[None if _is_as_of(c) else [cell_value(c), c.role, c.fill, c.bold]
                            for c in row] for row in tab.rows]] for tab in tabs])


def _unreadable(spreadsheet_id: str, exc: APIError) -> UserError:
    return UserError(f"không mở được bảng tổng hợp {spreadsheet_id} (lỗi {exc.code}): cần tạo "
                     "bảng tính và chia sẻ quyền chỉnh sửa cho tài khoản dịch vụ")


def write_summary_sheet(sheet: SummarySheet, tabs: list[SummaryTab]) -> None:
    """Bring the summary spreadsheet to ``tabs``: its time line alone when nothing else moved
    since the last write, every tab otherwise."""
    digest = content_digest(tabs)
    last = sheet.store.feedback_states().get(sheet.spreadsheet_id)
    if last and last.digest == digest and _write_as_of(sheet.api, sheet.spreadsheet_id, tabs):
        return
    replace_tabs(sheet.api, sheet.spreadsheet_id, tabs)
    sheet.store.put_feedback(sheet.spreadsheet_id, digest=digest,
                             written_at=dt.datetime.now(dt.UTC))


def _write_as_of(api: Api, spreadsheet_id: str, tabs: list[SummaryTab]) -> bool:
    """Write the time line; False when a tab it is on is gone (Google answers 400)."""
    cells = as_of_cells(tabs)
    if not cells:
        return True
    try:
        api.values_batch_update(spreadsheet_id, cells)
    except APIError as exc:
        if exc.code == 400:
            return False
        raise _unreadable(spreadsheet_id, exc) from None
    return True


def replace_tabs(api: Api, spreadsheet_id: str, tabs: list[SummaryTab]) -> None:
    """Replace the summary spreadsheet's tabs with ``tabs``."""
    try:
        meta = api.spreadsheet(spreadsheet_id, "sheets.properties")
    except APIError as exc:
        raise _unreadable(spreadsheet_id, exc) from None
    sheets = [s["properties"] for s in meta.get("sheets", [])]
    # Tabs left half-written by an interrupted earlier run are dropped first.
    leftovers = [p for p in sheets if p["title"].startswith(NEW_PREFIX)]
    old = [p for p in sheets if not p["title"].startswith(NEW_PREFIX)
           and p["title"] != PROVINCE_TAB]  # the coordinator's own answers stay
    add = [{"deleteSheet": {"sheetId": p["sheetId"]}} for p in leftovers]
    add += [{"addSheet": {"properties": {
        "title": NEW_PREFIX + tab.name, "index": len(old) + i,
        "gridProperties": {"rowCount": max(len(tab.rows), 1) + 5,
                           "columnCount": max(len(tab.widths), 1),
                           "frozenRowCount": tab.freeze_rows}}}}
        for i, tab in enumerate(tabs)]
    replies = api.batch_update(spreadsheet_id, add)["replies"]
    ids = [reply["addSheet"]["properties"]["sheetId"] for reply in replies if "addSheet" in reply]
    data = [{"range": f"{_quoted(NEW_PREFIX + tab.name)}!A1",
             "values": [[cell_value(c) for c in row] for row in tab.rows]} for tab in tabs]
    api.values_batch_update(spreadsheet_id, data)
    swap: list[dict[str, Any]] = []
    for sheet_id, tab in zip(ids, tabs, strict=True):
        swap += _format_requests(sheet_id, tab)
    swap += [{"deleteSheet": {"sheetId": p["sheetId"]}} for p in old]
    swap += [{"updateSheetProperties": {"properties": {"sheetId": sheet_id, "title": tab.name,
                                                        "index": i},
                                        "fields": "title,index"}}
             for i, (sheet_id, tab) in enumerate(zip(ids, tabs, strict=True))]
    api.batch_update(spreadsheet_id, swap)

"""Google Sheets backend: every commune spreadsheet through the Google layer, within quota.

Per run: one paginated Drive listing gives every commune sheet's modification time; only
sheets changed since their stored snapshot are read, each with ONE request that returns every
tab whatever its name (``spreadsheets.get`` with ``includeGridData`` and a ``fields`` mask), so
a renamed tab never breaks a read. The tab ids a read learns go to the store (the ``feedback``
table), where the feedback step finds them. The backend can write back: the feedback tab of
each commune sheet and, when the campaign has one, the province summary sheet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from gspread.exceptions import APIError

from ttcs.backends import FetchError, Raw, SheetAccess, Source, SummarySheet
from ttcs.google.api import Api, tab_ids
from ttcs.google.pacing import Retryable
from ttcs.google.urls import SHEET_MIME
from ttcs.state.store import Store
from ttcs.workbook.values import untagged

__all__ = ["GsheetsBackend", "cell_value", "grid_to_raw"]

# Every tab's id and title and every cell's value (and the formula behind it), nothing else.
GRID_FIELDS = ("sheets(properties(sheetId,title,index),data(rowData(values("
               "effectiveValue,userEnteredValue))))")
ERROR_TEXT = {"NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!", "VALUE": "#VALUE!",
              "REF": "#REF!", "NAME": "#NAME?", "NUM": "#NUM!", "N_A": "#N/A",
              "ERROR": "#ERROR!", "LOADING": "#GETTING_DATA"}
def cell_value(cell: Mapping[str, Any]) -> Any:
    """A cell of ``spreadsheets.get`` as the value a spreadsheet shows (errors as "#REF!")."""
    value = cell.get("effectiveValue")
    if not value:
        return None
    if "errorValue" in value:
        return ERROR_TEXT.get(value["errorValue"].get("type", ""), "#ERROR!")
    if "stringValue" in value:  # typed text is never our marker of an uncomputed formula
        return untagged(value["stringValue"])
    for kind in ("numberValue", "boolValue"):
        if kind in value:
            return value[kind]
    return None


def grid_to_raw(spreadsheet: Mapping[str, Any], ignored_tabs: tuple[str, ...] = (),
                ignored_ids: tuple[int, ...] = ()) -> Raw:
    """``spreadsheets.get`` with grid data -> tab title -> ragged rows of values, leaving out
    the tabs named in ``ignored_tabs`` or whose sheetId is in ``ignored_ids``."""
    raw: Raw = {}
    for sheet in spreadsheet.get("sheets", []):
        props = sheet["properties"]
        if props["title"] in ignored_tabs or props.get("sheetId") in ignored_ids:
            continue
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

    def __init__(self, api: Api, store: Store, folder_id: str | None,
                 unit_by_sheet: Mapping[str, str], ignored_tabs: tuple[str, ...] = (),
                 ignored_ids: tuple[int, ...] = (), summary_id: str | None = None,
                 account: str = "") -> None:
        self.api = api
        self.store = store
        self.account = account  # the service account's e-mail
        self.folder_id = folder_id
        self.unit_by_sheet = dict(unit_by_sheet)
        self.ignored_tabs = ignored_tabs  # our own tabs (feedback): never parsed nor hashed
        self.ignored_ids = ignored_ids
        self.summary_id = summary_id  # not a commune sheet: never listed as a source

    def list_sources(self) -> list[Source]:
        """Every spreadsheet in the campaign folder (or shared with us), one call per 1,000."""
        query = f"mimeType='{SHEET_MIME}' and trashed=false"
        if self.folder_id:
            query += f" and '{self.folder_id}' in parents"
        return [Source(f["id"], parse_time(f.get("modifiedTime")), self.unit_by_sheet.get(f["id"]))
                for f in self.api.files(query, "id,name,modifiedTime")
                if f["id"] != self.summary_id]

    def fetch(self, source: Source) -> Raw:
        """The sheet's tabs; their ids (ignored tabs included) are kept in the store for links
        to cells and for writing the feedback tab."""
        try:
            spreadsheet = self.api.spreadsheet(source.locator, GRID_FIELDS, grid=True)
        except APIError as exc:
            raise FetchError(_api_reason(source.locator, exc)) from None
        except Retryable as exc:
            raise FetchError(str(exc)) from None
        self.store.put_feedback(source.locator, tabs=tab_ids(spreadsheet))
        return grid_to_raw(spreadsheet, self.ignored_tabs, self.ignored_ids)

    def describe_missing(self) -> str:
        return ("không tìm thấy bảng tính của đơn vị trong thư mục chiến dịch hoặc chưa được "
                "chia sẻ cho tài khoản dịch vụ")

    def feedback_writer(self) -> SheetAccess:
        return SheetAccess(self.api, self.account)

    def summary_writer(self) -> SummarySheet | None:
        return SummarySheet(self.api, self.summary_id, self.store) if self.summary_id else None


def _api_reason(sheet_id: str, exc: APIError) -> str:
    if exc.code == 403:
        return f"không có quyền mở bảng tính {sheet_id} (cần chia sẻ cho tài khoản dịch vụ)"
    if exc.code == 404:
        return f"bảng tính {sheet_id} không tồn tại hoặc đã bị xóa"
    return f"Google Sheets báo lỗi {exc.code} khi đọc {sheet_id}: {exc.error.get('message')}"

"""The commune workbook's layout as Google Sheets API requests: the same tabs, pre-filled
cells, dropdowns, whole-number rules, live checks (conditional formats, input messages, the
count of problems), protected headers and key columns as the .xlsx template.

Either two requests per spreadsheet — one ``batchUpdate`` (tabs, formats, validation,
protection, merges) and one RAW ``values.batchUpdate`` (titles, codes, names: codes stay text)
— or, for provisioning, everything in one ``batchUpdate`` (:func:`layout_requests`, the values
as ``updateCells`` string values, which are never parsed), applied atomically: a spreadsheet
either has the whole layout or none of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ttcs.google.sheets_geometry import merge_requests, width_requests
from ttcs.workbook.layout import BOLD_ROLES, Cell, TabLayout, font_size

GREY = {"red": 0.906, "green": 0.902, "blue": 0.902}
BLUE = {"red": 0.851, "green": 0.882, "blue": 0.949}
DARK = {"red": 0.749, "green": 0.749, "blue": 0.749}
FILL = {"key": GREY, "header": BLUE, "na": DARK}


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _range(sheet_id: int, cell: Cell) -> dict[str, int]:
    return {"sheetId": sheet_id, "startRowIndex": cell.row - 1, "endRowIndex": cell.row,
            "startColumnIndex": cell.col - 1, "endColumnIndex": cell.col}


def _format(cell: Cell) -> dict[str, Any]:
    fmt: dict[str, Any] = {
        "textFormat": {"fontFamily": "Times New Roman", "bold": cell.role in BOLD_ROLES,
                       "fontSize": font_size(cell.role)},
        "verticalAlignment": "TOP",
        "wrapStrategy": "WRAP" if cell.wrap else "OVERFLOW_CELL",
    }
    if cell.role in FILL:
        fmt["backgroundColor"] = FILL[cell.role]
    if cell.role == "key":
        fmt["numberFormat"] = {"type": "TEXT"}  # "00070" never becomes 70
    return fmt


def _rgb(hex_colour: str) -> dict[str, float]:
    red, green, blue = (int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return {"red": round(red, 3), "green": round(green, 3), "blue": round(blue, 3)}


def _validation(cell: Cell, hint: str | None) -> dict[str, Any] | None:
    """The cell's rule, its input message saying what the live checks colour it for; a cell
    with a hint and no rule of its own gets one that accepts anything."""
    rule = _typed_validation(cell)
    if hint is None:
        return rule
    if rule is None:
        return {"condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": "=TRUE"}]},
                "inputMessage": hint, "strict": False}
    return rule | {"inputMessage": rule["inputMessage"] + "\n" + hint}


def _typed_validation(cell: Cell) -> dict[str, Any] | None:
    if cell.validation in ("yesno", "choice"):
        condition = {"type": "ONE_OF_LIST",
                     "values": [{"userEnteredValue": choice} for choice in cell.choices]}
        text = "Chọn một trong: " + ", ".join(cell.choices)
    elif cell.validation == "count":
        low = cell.bounds[0] if cell.bounds[0] is not None else 0
        condition = {"type": "NUMBER_GREATER_THAN_EQ",
                     "values": [{"userEnteredValue": f"{low:g}"}]}
        text = f"Nhập số nguyên không nhỏ hơn {low:g}, không ghi kèm đơn vị tính."
    elif cell.validation == "date":
        condition = {"type": "DATE_IS_VALID"}
        text = "Nhập ngày dạng dd/mm/yyyy."
    else:
        return None
    return {"condition": condition, "inputMessage": text, "strict": True, "showCustomUi": True}


def sheet_requests(sheet_id: int, layout: TabLayout, editors: Iterable[str],
                   index: int) -> list[dict[str, Any]]:
    """Everything but the values for one tab; protected ranges cover every locked cell."""
    requests: list[dict[str, Any]] = [{"addSheet": {"properties": {
        "sheetId": sheet_id, "title": layout.name, "index": index,
        "gridProperties": {"rowCount": layout.last_row + 20,
                           "columnCount": max(12, layout.last_col + 2),
                           "frozenRowCount": layout.freeze_rows}}}}]
    for cell in layout.cells:
        requests.append({"repeatCell": {"range": _range(sheet_id, cell),
                                        "cell": {"userEnteredFormat": _format(cell)},
                                        "fields": "userEnteredFormat"}})
        rule = _validation(cell, layout.hints.get((cell.row, cell.col)))
        if rule:
            requests.append({"setDataValidation": {"range": _range(sheet_id, cell),
                                                   "rule": rule}})
    # The whole tab is protected for everyone but the service account, except input cells.
    inputs = [_range(sheet_id, c) for c in layout.cells if c.role == "input"]
    requests.append({"addProtectedRange": {"protectedRange": {
        "range": {"sheetId": sheet_id}, "unprotectedRanges": inputs,
        "description": "Tiêu đề, mã và tên đơn vị: không sửa",
        "editors": {"users": list(editors)}}}})
    requests += width_requests(sheet_id, layout.widths)
    return requests + merge_requests(sheet_id, layout.merges) + mark_requests(sheet_id, layout)


def mark_requests(sheet_id: int, layout: TabLayout) -> list[dict[str, Any]]:
    """The live checks as conditional formats, in the layout's order (Sheets applies the first
    rule that holds; every rule here marks a different problem)."""
    return [{"addConditionalFormatRule": {"index": index, "rule": {
        "ranges": [{"sheetId": sheet_id, "startRowIndex": mark.first_row - 1,
                    "endRowIndex": mark.last_row, "startColumnIndex": mark.col - 1,
                    "endColumnIndex": mark.col}],
        "booleanRule": {"condition": {"type": "CUSTOM_FORMULA",
                                      "values": [{"userEnteredValue": "=" + mark.formula}]},
                        "format": {"backgroundColor": _rgb(mark.colour)}}}}}
        for index, mark in enumerate(layout.marks)]


def _extended(value: str | int | float, role: str) -> dict[str, Any]:
    if role == "live":
        return {"formulaValue": str(value)}
    if isinstance(value, bool) or not isinstance(value, int | float):
        return {"stringValue": str(value)}
    return {"numberValue": value}


def value_requests(sheet_id: int, layout: TabLayout) -> list[dict[str, Any]]:
    """The pre-filled cells of a tab as ``updateCells``: a literal string is never a formula,
    the live count's cells are."""
    return [{"updateCells": {
        "start": {"sheetId": sheet_id, "rowIndex": cell.row - 1, "columnIndex": cell.col - 1},
        "rows": [{"values": [{"userEnteredValue": _extended(cell.value, cell.role)}]}],
        "fields": "userEnteredValue"}} for cell in layout.cells if cell.value is not None]


def layout_requests(layouts: list[TabLayout], editors: Iterable[str],
                    delete_ids: Sequence[int] = (0,)) -> list[dict[str, Any]]:
    """One ``batchUpdate`` that lays a spreadsheet out: the tabs with their values, formats,
    validation and protection, then the spreadsheet's previous tabs (``delete_ids``) deleted."""
    editors = list(editors)
    requests: list[dict[str, Any]] = []
    for index, layout in enumerate(layouts):
        requests += sheet_requests(1000 + index, layout, editors, index)
        requests += value_requests(1000 + index, layout)
    requests += [{"deleteSheet": {"sheetId": sheet_id}} for sheet_id in delete_ids]
    return requests

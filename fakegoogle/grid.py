"""Cells in a tab: reading a box as Google renders it, writing one, formats, GridRanges."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from fakegoogle import cells, fields
from fakegoogle.a1 import Box, col_letters, format_box
from fakegoogle.errors import bad_request
from fakegoogle.model import DEFAULT_FORMAT, Sheet, Spreadsheet

CELL_KEYS = ("userEnteredValue", "effectiveValue", "formattedValue", "userEnteredFormat",
             "effectiveFormat")


def grid_box(book: Spreadsheet, grid: dict[str, Any]) -> tuple[Sheet, Box]:
    sheet_id = grid.get("sheetId", 0)
    sheet = book.by_id(sheet_id)
    if sheet is None:
        raise ValueError(f"No grid with id: {sheet_id}")
    box = Box(grid.get("startRowIndex", 0), grid.get("endRowIndex"),
              grid.get("startColumnIndex", 0), grid.get("endColumnIndex"))
    return sheet, box


def check_grid(sheet: Sheet, box: Box) -> None:
    rows, cols = sheet.row_count, sheet.col_count
    if (box.row1 or box.row0 + 1) > rows or (box.col1 or box.col0 + 1) > cols \
            or box.row0 >= rows or box.col0 >= cols:
        end_r = (box.row1 or rows) if box.row1 is None else box.row1
        end_c = (box.col1 or cols) if box.col1 is None else box.col1
        shown = format_box(sheet.title, Box(box.row0, max(end_r, box.row0 + 1), box.col0,
                                            max(end_c, box.col0 + 1)))
        raise ValueError(f"Range ({shown}) exceeds grid limits. Max rows: {rows}, "
                         f"max columns: {cols}")


def _normalize_format(fmt: dict[str, Any]) -> dict[str, Any]:
    """Sheets echoes colours as ``*ColorStyle`` too."""
    if "backgroundColor" in fmt and "backgroundColorStyle" not in fmt:
        fmt["backgroundColorStyle"] = {"rgbColor": copy.deepcopy(fmt["backgroundColor"])}
    text = fmt.get("textFormat")
    if isinstance(text, dict) and "foregroundColor" in text \
            and "foregroundColorStyle" not in text:
        text["foregroundColorStyle"] = {"rgbColor": copy.deepcopy(text["foregroundColor"])}
    return fmt


def apply_format(old: dict[str, Any], new: dict[str, Any], mask: fields.Mask) -> dict[str, Any]:
    """Set the ``mask``-ed parts of ``new`` over ``old`` (absent in ``new`` = cleared)."""
    if mask is None or "*" in mask:
        return _normalize_format(copy.deepcopy(new))
    out = dict(old)
    for key, sub in mask.items():
        if sub is None:
            if key in new:
                out[key] = copy.deepcopy(new[key])
            else:
                out.pop(key, None)
            if key == "backgroundColor":
                out.pop("backgroundColorStyle", None)
            if key == "textFormat" and isinstance(out.get(key), dict):
                out[key].pop("foregroundColorStyle", None)
        else:
            merged = apply_format(old.get(key, {}) if isinstance(old.get(key), dict) else {},
                                  new.get(key, {}) if isinstance(new.get(key), dict) else {},
                                  sub)
            if merged:
                out[key] = merged
            else:
                out.pop(key, None)
    return _normalize_format(out)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def grid_range_json(sheet_id: int, box: Box) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if sheet_id:
        out["sheetId"] = sheet_id
    out["startRowIndex"] = box.row0
    if box.row1 is not None:
        out["endRowIndex"] = box.row1
    out["startColumnIndex"] = box.col0
    if box.col1 is not None:
        out["endColumnIndex"] = box.col1
    return out


def clean(value: Any) -> Any:
    """Proto3 JSON: no nulls, no false booleans, no empty lists."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = clean(v)
            if v is None or v is False or v == []:
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def render_rows(sheet: Sheet, box: Box, option: str, dates: str, locale: str,
                major: str = "ROWS") -> list[list[Any]]:
    """Ragged, trimmed values of a (clipped) box: no trailing empty cells or rows."""
    assert box.row1 is not None and box.col1 is not None
    out: list[list[Any]] = []
    for r in range(box.row0, min(box.row1, len(sheet.rows))):
        row = sheet.rows[r]
        vals = [cells.render(row[c], option, dates, locale)
                for c in range(box.col0, min(box.col1, len(row)))]
        while vals and (vals[-1] is None or vals[-1] == ""):
            vals.pop()
        out.append(["" if v is None else v for v in vals])
    while out and not out[-1]:
        out.pop()
    if major == "COLUMNS" and out:
        width = max(len(r) for r in out)
        columns = []
        for c in range(width):
            col = [r[c] if c < len(r) else "" for r in out]
            while col and col[-1] == "":
                col.pop()
            columns.append(col)
        out = columns
    return out


@dataclass
class Written:
    box: Box
    rows: int
    cols: int
    cells: int


def write_block(sheet: Sheet, box: Box, values: list[list[Any]], major: str, user_entered: bool,
                locale: str, range_text: str) -> Written:
    """values.update semantics: a single cell or a whole tab is an anchor; a bounded range
    must hold the data."""
    if major == "COLUMNS":
        width = max((len(r) for r in values), default=0)
        values = [[col[i] if i < len(col) else None for col in values] for i in range(width)]
    nrows = len(values)
    ncols = max((len(r) for r in values), default=0)
    anchor_only = box.single or (box.row1 is None and box.col1 is None and box.row0 == 0
                                 and box.col0 == 0)
    if not anchor_only:
        if box.row1 is not None and box.row0 + nrows > box.row1:
            raise bad_request(f"Requested writing within range [{range_text}], but tried "
                              f"writing to row [{box.row0 + nrows}]")
        if box.col1 is not None and box.col0 + ncols > box.col1:
            raise bad_request(f"Requested writing within range [{range_text}], but tried "
                              f"writing to column [{col_letters(box.col0 + ncols - 1)}]")
    if nrows == 0 or ncols == 0:
        return Written(Box(box.row0, box.row0 + 1, box.col0, box.col0 + 1), 0, 0, 0)
    sheet.grow(box.row0 + nrows, box.col0 + ncols)
    parse = cells.from_user_entered if user_entered else cells.from_raw
    count = 0
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            stored = parse(value, locale) if user_entered else parse(value)
            if stored is cells.SKIP:
                continue
            count += 1
            sheet.put(box.row0 + i, box.col0 + j, cells.intern(stored))
    sheet.trim()
    return Written(Box(box.row0, box.row0 + nrows, box.col0, box.col0 + ncols),
                   sum(1 for r in values if r), ncols, count)


def grid_data(sheet: Sheet, box: Box | None, mask: fields.Mask, locale: str) -> dict[str, Any]:
    """One GridData of ``spreadsheets.get``, building only what ``mask`` asks for."""
    b = (box or Box()).clip(sheet.row_count, sheet.col_count)
    assert b.row1 is not None and b.col1 is not None
    out: dict[str, Any] = {}
    if b.row0 and fields.pick(mask, "startRow")[0]:
        out["startRow"] = b.row0
    if b.col0 and fields.pick(mask, "startColumn")[0]:
        out["startColumn"] = b.col0
    want_rows, row_mask = fields.pick(mask, "rowData")
    if want_rows:
        want_values, value_mask = fields.pick(row_mask, "values")
        want = set(CELL_KEYS) if value_mask is None or "*" in value_mask else set(value_mask)
        want_format = bool(want & {"userEnteredFormat", "effectiveFormat"})
        last_row = min(b.row1, len(sheet.rows))
        last_col = b.col1
        if want_format and sheet.formats:
            for fbox, _, _ in sheet.formats:
                fb = fbox.clip(sheet.row_count, sheet.col_count)
                assert fb.row1 is not None
                if fb.row0 < b.row1 and fb.col0 < b.col1:
                    last_row = max(last_row, min(fb.row1, b.row1))
        value_keys = want & {"userEnteredValue", "effectiveValue", "formattedValue"}
        rows_out: list[dict[str, Any]] = []
        for r in range(b.row0, last_row):
            row = sheet.rows[r] if r < len(sheet.rows) else []
            values: list[dict[str, Any]] = []
            end = min(len(row), last_col)
            if want_format and sheet.formats:
                end = last_col
            for c in range(b.col0, end):
                cell = row[c] if c < len(row) else None
                data = cells.cell_data(cell, value_keys, locale) if value_keys else {}
                if want_format:
                    fmt = sheet.format_at(r, c) if sheet.formats else None
                    if fmt and "userEnteredFormat" in want:
                        data["userEnteredFormat"] = fields.apply(
                            fmt, fields.pick(value_mask, "userEnteredFormat")[1])
                    if "effectiveFormat" in want and (fmt or cell is not None):
                        data["effectiveFormat"] = fields.apply(
                            _deep_merge(DEFAULT_FORMAT, fmt or {}),
                            fields.pick(value_mask, "effectiveFormat")[1])
                values.append(data)
            while values and not values[-1]:
                values.pop()
            if want_values and values:
                rows_out.append({"values": values})
            else:
                rows_out.append({})
        while rows_out and not rows_out[-1]:
            rows_out.pop()
        if rows_out:
            out["rowData"] = rows_out
    if mask is None or "rowMetadata" in mask:
        out["rowMetadata"] = [{"pixelSize": 21} for _ in range(b.row0, b.row1)]
    if mask is None or "columnMetadata" in mask:
        out["columnMetadata"] = [{"pixelSize": 100} for _ in range(b.col0, b.col1)]
    return out

"""Sheets API v4: spreadsheets get/create/batchUpdate and spreadsheets.values."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from fakegoogle import batch, fields
from fakegoogle.a1 import Box, RangeError, format_box, parse_cells, split_range
from fakegoogle.errors import (
    NO_PERMISSION,
    NOT_FOUND,
    GoogleError,
    bad_field,
    bad_request,
    sheets_error,
)
from fakegoogle.grid import grid_data, render_rows, write_block
from fakegoogle.model import (
    DEFAULT_FORMAT,
    DEFAULT_THEME,
    ROLE_RANK,
    SHEET_MIME,
    Sheet,
    Spreadsheet,
)

if TYPE_CHECKING:
    from fakegoogle.fake import FakeGoogle, Request

# ---------------------------------------------------------------- routing

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/v4/spreadsheets$"), "sheets.create"),
    ("GET", re.compile(r"^/v4/spreadsheets/([^/:]+)$"), "sheets.get"),
    ("POST", re.compile(r"^/v4/spreadsheets/([^/:]+):batchUpdate$"), "sheets.batchUpdate"),
    ("GET", re.compile(r"^/v4/spreadsheets/([^/:]+)/values:batchGet$"), "values.batchGet"),
    ("POST", re.compile(r"^/v4/spreadsheets/([^/:]+)/values:batchUpdate$"),
     "values.batchUpdate"),
    ("POST", re.compile(r"^/v4/spreadsheets/([^/:]+)/values:batchClear$"), "values.batchClear"),
    ("POST", re.compile(r"^/v4/spreadsheets/([^/:]+)/values/(.+):clear$"), "values.clear"),
    ("POST", re.compile(r"^/v4/spreadsheets/([^/:]+)/values/(.+):append$"), "values.append"),
    ("GET", re.compile(r"^/v4/spreadsheets/([^/:]+)/values/([^/]+)$"), "values.get"),
    ("PUT", re.compile(r"^/v4/spreadsheets/([^/:]+)/values/([^/]+)$"), "values.update"),
]


def route(method: str, path: str) -> tuple[str, str | None, str | None] | None:
    """(kind, spreadsheet id, range) for a Sheets request path, or None."""
    for verb, pattern, kind in _ROUTES:
        match = pattern.match(path)
        if match and verb == method:
            groups = match.groups()
            sid = unquote(groups[0]) if groups else None
            rng = unquote(groups[1]) if len(groups) > 1 else None
            return kind, sid, rng
    return None


def handle(fake: FakeGoogle, req: Request, user: str) -> tuple[int, Any]:
    kind, sid, rng = req.kind, req.spreadsheet_id, req.range
    api = Api(fake, req, user)
    handler: Callable[..., Any] = getattr(api, kind.replace(".", "_"))
    return 200, handler(sid, rng) if sid is not None else handler()


# ---------------------------------------------------------------- helpers


def _bool(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


def _check_values(values: Any, where: str) -> list[list[Any]]:
    def invalid(path: str, value: Any) -> GoogleError:
        message = (f"Invalid value at '{path}' (type.googleapis.com/google.protobuf.ListValue), "
                   f"{json.dumps(value, ensure_ascii=False)}")
        return bad_field(path, message)

    if values is None:
        return []
    if not isinstance(values, list):
        raise invalid(where, values)
    for i, row in enumerate(values):
        if not isinstance(row, list):
            raise invalid(f"{where}[{i}]", row)
        for cell in row:
            if isinstance(cell, dict | list):
                message = (f"Invalid values[{i}][{row.index(cell)}]: "
                           f"{'struct_value' if isinstance(cell, dict) else 'list_value'} "
                           f"{json.dumps(cell, ensure_ascii=False)}")
                raise bad_request(message)
    return values


def sheet_json(sheet: Sheet) -> dict[str, Any]:
    out: dict[str, Any] = {"properties": copy.deepcopy(sheet.props)}
    if sheet.merges:
        out["merges"] = copy.deepcopy(sheet.merges)
    if sheet.conditional:
        out["conditionalFormats"] = copy.deepcopy(sheet.conditional)
    if sheet.protected:
        out["protectedRanges"] = copy.deepcopy(sheet.protected)
    return out


def spreadsheet_json(fake: FakeGoogle, book: Spreadsheet, *, grid: bool = False,
                     ranges: list[tuple[Sheet, Box | None]] | None = None,
                     mask: fields.Mask = None) -> dict[str, Any]:
    """The Spreadsheet resource: metadata, and grid data when asked (respecting ``mask``)."""
    file = fake.files[book.id]
    props = {"title": file.name, "locale": "en_US", "autoRecalc": "ON_CHANGE",
             "timeZone": "Etc/GMT", "defaultFormat": DEFAULT_FORMAT,
             "spreadsheetTheme": DEFAULT_THEME, **book.props}
    top: dict[str, Any] = {"spreadsheetId": book.id, "properties": copy.deepcopy(props)}
    want_sheets, sheet_mask = fields.pick(mask, "sheets")
    if mask is not None:
        grid = want_sheets and fields.pick(sheet_mask, "data")[0]
    data_mask = fields.pick(sheet_mask, "data")[1]
    sheets_out = []
    if want_sheets:
        chosen = book.sheets
        if ranges:
            ids = {id(s) for s, _ in ranges}
            chosen = [s for s in book.sheets if id(s) in ids]
        for sheet in chosen:
            entry = fields.apply(sheet_json(sheet), {k: v for k, v in sheet_mask.items()
                                                     if k != "data"}) \
                if sheet_mask is not None and "*" not in sheet_mask else sheet_json(sheet)
            if grid:
                boxes = [b for s, b in (ranges or []) if s is sheet] or [None]
                entry["data"] = [grid_data(sheet, b, data_mask, book.locale) for b in boxes]
            sheets_out.append(entry)
    if book.named_ranges:
        top["namedRanges"] = copy.deepcopy(book.named_ranges)
    top["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{book.id}/edit"
    result = fields.apply(top, {k: v for k, v in mask.items() if k != "sheets"}) \
        if mask is not None and "*" not in mask else top
    if want_sheets:
        merged: dict[str, Any] = {}
        for key in top:
            if key in result:
                merged[key] = result[key]
            if key == "properties":
                merged["sheets"] = sheets_out
        if "sheets" not in merged:
            merged["sheets"] = sheets_out
        result = merged
    return result


# ---------------------------------------------------------------- the API


class Api:
    """One request's view of the Sheets API (the fake's lock is held by the caller)."""

    def __init__(self, fake: FakeGoogle, req: Request, user: str) -> None:
        self.fake = fake
        self.req = req
        self.user = user

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.req.query.get(name)
        return values[0] if values else default

    def body(self) -> dict[str, Any]:
        body = self.req.json
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise bad_request("Invalid JSON payload received. Expected an object.")
        return body

    # -- access

    def book(self, sid: str, write: bool = False) -> Spreadsheet:
        file = self.fake.files.get(sid)
        book = self.fake.books.get(sid)
        if file is None or book is None or file.mime_type != SHEET_MIME:
            raise sheets_error(404, NOT_FOUND)
        role = self.fake.role(self.user, file)
        if role is None or (write and ROLE_RANK[role] < ROLE_RANK["writer"]):
            raise sheets_error(403, NO_PERMISSION)
        return book

    def resolve(self, book: Spreadsheet, text: str) -> tuple[Sheet, Box]:
        t = text.strip()
        if t and not t.startswith("'") and "!" not in t:
            sheet = book.find(t)
            if sheet is not None:
                return sheet, Box()
        try:
            name, cell_text = split_range(t)
            box = parse_cells(cell_text) if cell_text else Box()
        except RangeError:
            raise bad_request(f"Unable to parse range: {text}") from None
        sheet = book.sheets[0] if name is None else book.find(name)
        if sheet is None:
            raise bad_request(f"Unable to parse range: {text}")
        return sheet, box

    def read_box(self, sheet: Sheet, box: Box) -> Box:
        b = box.clip(sheet.row_count, sheet.col_count)
        if box.row0 >= sheet.row_count or box.col0 >= sheet.col_count:
            shown = format_box(sheet.title, Box(box.row0, box.row0 + 1, box.col0, box.col0 + 1))
            raise bad_request(f"Range ({shown}) exceeds grid limits. Max rows: "
                              f"{sheet.row_count}, max columns: {sheet.col_count}")
        return b

    def commit(self, book: Spreadsheet) -> None:
        self.fake.books[book.id] = book
        self.fake.touch(book.id, self.user)

    # -- spreadsheets

    def sheets_get(self, sid: str, _rng: str | None = None) -> dict[str, Any]:
        book = self.book(sid)
        try:
            mask = fields.parse(self.param("fields"))
        except fields.MaskError:
            raise bad_request(f"Invalid field selection {self.param('fields')}") from None
        ranges: list[tuple[Sheet, Box | None]] = [
            self.resolve(book, r) for r in self.req.query.get("ranges", [])]
        return spreadsheet_json(self.fake, book, grid=_bool(self.param("includeGridData")),
                                ranges=ranges or None, mask=mask)

    def sheets_create(self) -> dict[str, Any]:
        body = self.body()
        if not self.fake.has_storage(self.user):
            raise sheets_error(403, NO_PERMISSION)
        props = dict(body.get("properties") or {})
        title = props.pop("title", None) or "Untitled spreadsheet"
        sid = self.fake.create_file(title, SHEET_MIME, [], self.user)
        book = self.fake.books[sid]
        book.props.update(props)
        specs = body.get("sheets") or []
        if specs:
            book.sheets = []
            for i, spec in enumerate(specs):
                props = spec.get("properties") or {}
                if i == 0 and "sheetId" not in props:
                    props = {**props, "sheetId": 0}
                sheet = batch.new_sheet(self.fake, book, props)
                book.sheets.append(sheet)
                for data in spec.get("data") or []:
                    batch.put_rowdata(sheet, data.get("startRow", 0),
                                      data.get("startColumn", 0), data.get("rowData") or [],
                                      None)
            book.reindex()
        return spreadsheet_json(self.fake, book)

    def sheets_batchUpdate(self, sid: str, _rng: str | None = None) -> dict[str, Any]:
        book = self.book(sid, write=True)
        body = self.body()
        requests = body.get("requests") or []
        if not requests:
            raise bad_request("Must specify at least one request.")
        work = book.clone()
        ops = batch.Ops(self.fake, self.user)
        replies = []
        for i, request in enumerate(requests):
            if not isinstance(request, dict) or len(request) != 1:
                raise bad_request(f"Invalid requests[{i}]: No request set.")
            (kind, args), = request.items()
            handler = getattr(ops, f"op_{kind}", None)
            if handler is None:
                raise bad_field(f"requests[{i}]", f'Invalid JSON payload received. Unknown name '
                                f'"{kind}" at \'requests[{i}]\': Cannot find field.')
            try:
                replies.append(handler(work, args or {}) or {})
            except ValueError as exc:
                raise bad_request(f"Invalid requests[{i}].{kind}: {exc}") from None
        work.reindex()
        self.commit(work)
        try:
            mask = fields.parse(self.param("fields"))
        except fields.MaskError:
            raise bad_request(f"Invalid field selection {self.param('fields')}") from None
        out: dict[str, Any] = {"spreadsheetId": sid, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            # The spreadsheet as it is right after this batch (grid data when asked, or when
            # the field mask asks for it: Google ignores responseIncludeGridData under a mask).
            sub = fields.pick(mask, "updatedSpreadsheet")[1]
            out["updatedSpreadsheet"] = spreadsheet_json(
                self.fake, work, grid=bool(body.get("responseIncludeGridData")), mask=sub)
        return fields.apply(out, mask)

    # -- values

    def _render_params(self) -> tuple[str, str, str]:
        return (self.param("valueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE",
                self.param("dateTimeRenderOption", "SERIAL_NUMBER") or "SERIAL_NUMBER",
                self.param("majorDimension", "ROWS") or "ROWS")

    def _value_range(self, book: Spreadsheet, text: str) -> dict[str, Any]:
        option, dates, major = self._render_params()
        sheet, box = self.resolve(book, text)
        b = self.read_box(sheet, box)
        out: dict[str, Any] = {"range": format_box(sheet.title, b), "majorDimension": major}
        values = render_rows(sheet, b, option, dates, book.locale, major)
        if values:
            out["values"] = values
        return out

    def values_get(self, sid: str, rng: str) -> dict[str, Any]:
        return self._value_range(self.book(sid), rng)

    def values_batchGet(self, sid: str, _rng: str | None = None) -> dict[str, Any]:
        book = self.book(sid)
        out: dict[str, Any] = {"spreadsheetId": sid}
        ranges = self.req.query.get("ranges", [])
        if ranges:
            out["valueRanges"] = [self._value_range(book, r) for r in ranges]
        return out

    def _input_option(self, value: str | None) -> bool:
        if not value or value == "INPUT_VALUE_OPTION_UNSPECIFIED":
            raise bad_request("'valueInputOption' is required but not specified")
        if value not in ("RAW", "USER_ENTERED"):
            raise bad_field("value_input_option", f"Invalid value at 'value_input_option' "
                            f"(type.googleapis.com/google.apps.sheets.v4.ValueInputOption), "
                            f'"{value}"')
        return value == "USER_ENTERED"

    def _update_one(self, book: Spreadsheet, text: str, values: Any, major: str | None,
                    user_entered: bool, where: str) -> dict[str, Any]:
        rows = _check_values(values, where)
        sheet, box = self.resolve(book, text)
        written = write_block(sheet, box, rows, major or "ROWS", user_entered, book.locale,
                              text)
        out: dict[str, Any] = {"spreadsheetId": book.id}
        if written.cells:
            out.update({"updatedRange": format_box(sheet.title, written.box),
                        "updatedRows": written.rows, "updatedColumns": written.cols,
                        "updatedCells": written.cells})
        return out

    def values_update(self, sid: str, rng: str) -> dict[str, Any]:
        book = self.book(sid, write=True)
        body = self.body()
        user_entered = self._input_option(self.param("valueInputOption"))
        work = book.clone()
        out = self._update_one(work, rng, body.get("values"), body.get("majorDimension"),
                               user_entered, "data.values")
        self.commit(work)
        return out

    def values_batchUpdate(self, sid: str, _rng: str | None = None) -> dict[str, Any]:
        book = self.book(sid, write=True)
        body = self.body()
        user_entered = self._input_option(body.get("valueInputOption"))
        work = book.clone()
        responses = []
        for i, item in enumerate(body.get("data") or []):
            responses.append(self._update_one(work, item.get("range", ""), item.get("values"),
                                              item.get("majorDimension"), user_entered,
                                              f"data[{i}].values"))
        self.commit(work)
        out: dict[str, Any] = {"spreadsheetId": sid}
        done = [r for r in responses if "updatedCells" in r]
        if done:
            out.update({
                "totalUpdatedRows": sum(r["updatedRows"] for r in done),
                "totalUpdatedColumns": max(r["updatedColumns"] for r in done),
                "totalUpdatedCells": sum(r["updatedCells"] for r in done),
                "totalUpdatedSheets": len({r["updatedRange"].rpartition("!")[0] for r in done}),
            })
        if responses:
            out["responses"] = responses
        return out

    def _clear_one(self, book: Spreadsheet, text: str) -> str:
        sheet, box = self.resolve(book, text)
        b = self.read_box(sheet, box)
        sheet.clear(b)
        return format_box(sheet.title, b)

    def values_clear(self, sid: str, rng: str) -> dict[str, Any]:
        book = self.book(sid, write=True)
        work = book.clone()
        cleared = self._clear_one(work, rng)
        self.commit(work)
        return {"spreadsheetId": sid, "clearedRange": cleared}

    def values_batchClear(self, sid: str, _rng: str | None = None) -> dict[str, Any]:
        book = self.book(sid, write=True)
        work = book.clone()
        cleared = [self._clear_one(work, r) for r in self.body().get("ranges") or []]
        self.commit(work)
        out: dict[str, Any] = {"spreadsheetId": sid}
        if cleared:
            out["clearedRanges"] = cleared
        return out

    def values_append(self, sid: str, rng: str) -> dict[str, Any]:
        """Appends below the last row holding a value in the range's columns (Google's table
        detection is subtler: it looks for the table that contains the range)."""
        book = self.book(sid, write=True)
        body = self.body()
        user_entered = self._input_option(self.param("valueInputOption"))
        rows = _check_values(body.get("values"), "data.values")
        work = book.clone()
        sheet, box = self.resolve(work, rng)
        col1 = box.col1 if box.col1 is not None else 1 << 30
        last = -1
        first = None
        for r, row in enumerate(sheet.rows):
            if r < box.row0:
                continue
            if any(v is not None for v in row[box.col0:col1]):
                last = r
                first = r if first is None else first
        start = last + 1 if last >= 0 else box.row0
        if self.param("insertDataOption") == "INSERT_ROWS":
            sheet.grow(sheet.row_count + len(rows), 0)
        written = write_block(sheet, Box(start, start + 1, box.col0, box.col0 + 1), rows,
                              body.get("majorDimension") or "ROWS", user_entered, work.locale,
                              rng)
        self.commit(work)
        out: dict[str, Any] = {"spreadsheetId": sid}
        if first is not None:
            width = max(len(r) for r in sheet.rows[first:last + 1])
            out["tableRange"] = format_box(sheet.title, Box(first, last + 1, box.col0,
                                                            max(width, box.col0 + 1)))
        update: dict[str, Any] = {"spreadsheetId": sid}
        if written.cells:
            update.update({"updatedRange": format_box(sheet.title, written.box),
                           "updatedRows": written.rows, "updatedColumns": written.cols,
                           "updatedCells": written.cells})
        out["updates"] = update
        return out


def new_spreadsheet(sid: str) -> Spreadsheet:
    """What Drive's files.create makes: one 1000x26 tab called Sheet1, id 0."""
    props = {"locale": "en_US", "autoRecalc": "ON_CHANGE", "timeZone": "Etc/GMT"}
    sheet = Sheet({"sheetId": 0, "title": "Sheet1", "index": 0, "sheetType": "GRID",
                   "gridProperties": {"rowCount": 1000, "columnCount": 26}})
    return Spreadsheet(sid, props, [sheet])

"""spreadsheets.batchUpdate requests: one method per request kind, each returning its reply.

A ``ValueError`` becomes Google's 400 ``Invalid requests[i].<kind>: <message>``; the caller
applies the requests to a copy and keeps it only if all succeed, as Google does.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fakegoogle import cells, fields
from fakegoogle.a1 import Box
from fakegoogle.grid import check_grid, clean, grid_box, grid_range_json
from fakegoogle.model import Sheet, Spreadsheet

if TYPE_CHECKING:
    from fakegoogle.fake import FakeGoogle


def new_sheet(fake: FakeGoogle, book: Spreadsheet, props: dict[str, Any]) -> Sheet:
    """A tab as addSheet makes it: a fresh id, "SheetN" if untitled, 1000x26 by default."""
    props = copy.deepcopy(props)
    if "sheetId" in props:
        if book.by_id(props["sheetId"]) is not None:
            raise ValueError(f"A sheet with id {props['sheetId']} already exists.")
    else:
        props["sheetId"] = fake.new_sheet_id(book)
    title = props.get("title")
    if not title:
        n = len(book.sheets) + 1
        while book.find(f"Sheet{n}") is not None:
            n += 1
        title = f"Sheet{n}"
    if book.find(title) is not None:
        raise ValueError(f'A sheet with the name "{title}" already exists. '
                         "Please enter another name.")
    grid = {"rowCount": 1000, "columnCount": 26}
    grid.update(props.get("gridProperties") or {})
    ordered = {"sheetId": props.pop("sheetId"), "title": title, "index": 0,
               "sheetType": props.pop("sheetType", "GRID"), "gridProperties": grid}
    props.pop("title", None)
    props.pop("index", None)
    props.pop("gridProperties", None)
    ordered.update(props)
    return Sheet(ordered)


def put_rowdata(sheet: Sheet, r0: int, c0: int, rows: list[dict[str, Any]],
                mask: fields.Mask) -> None:
    """RowData (updateCells, or the data of spreadsheets.create) written from (r0, c0)."""
    want_value, _ = fields.pick(mask, "userEnteredValue")
    want_format, fmt_mask = fields.pick(mask, "userEnteredFormat")
    sheet.grow(r0 + len(rows), c0 + max((len(r.get("values") or []) for r in rows),
                                        default=0))
    for i, row in enumerate(rows):
        for j, cell in enumerate(row.get("values") or []):
            if want_value:
                sheet.put(r0 + i, c0 + j, cells.from_extended(cell.get("userEnteredValue")))
            if want_format and (cell.get("userEnteredFormat") or mask is not None):
                sheet.formats.append((Box(r0 + i, r0 + i + 1, c0 + j, c0 + j + 1),
                                      fmt_mask, cell.get("userEnteredFormat") or {}))
    sheet.trim()


class Ops:
    def __init__(self, fake: FakeGoogle, user: str) -> None:
        self.fake = fake
        self.user = user


    def op_addSheet(self, book: Spreadsheet, args: dict[str, Any]) -> dict[str, Any]:
        props = args.get("properties") or {}
        sheet = new_sheet(self.fake, book, props)
        index = props.get("index")
        if index is None or index > len(book.sheets):
            index = len(book.sheets)
        book.sheets.insert(max(index, 0), sheet)
        book.reindex()
        return {"addSheet": {"properties": copy.deepcopy(sheet.props)}}

    def op_deleteSheet(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        sheet = book.by_id(args.get("sheetId", 0))
        if sheet is None:
            raise ValueError(f"No grid with id: {args.get('sheetId', 0)}")
        if len(book.sheets) == 1:
            raise ValueError("You can't remove all the sheets in a document.")
        book.sheets.remove(sheet)
        book.reindex()

    def op_duplicateSheet(self, book: Spreadsheet, args: dict[str, Any]) -> dict[str, Any]:
        source = book.by_id(args.get("sourceSheetId", 0))
        if source is None:
            raise ValueError(f"No grid with id: {args.get('sourceSheetId', 0)}")
        title = args.get("newSheetName") or f"Copy of {source.title}"
        props = {k: v for k, v in source.props.items() if k not in ("sheetId", "index")}
        props["title"] = title
        if "newSheetId" in args:
            props["sheetId"] = args["newSheetId"]
        sheet = new_sheet(self.fake, book, props)
        copied = copy.deepcopy(source)
        copied.props = sheet.props
        index = args.get("insertSheetIndex", len(book.sheets))
        book.sheets.insert(min(index, len(book.sheets)), copied)
        book.reindex()
        return {"duplicateSheet": {"properties": copy.deepcopy(copied.props)}}

    def op_updateSheetProperties(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        props = args.get("properties") or {}
        sheet = book.by_id(props.get("sheetId", 0))
        if sheet is None:
            raise ValueError(f"No grid with id: {props.get('sheetId', 0)}")
        for keys, value in _masked(props, args.get("fields"), keep=("sheetId",)):
            if keys == ["title"]:
                other = book.find(value or "")
                if not value:
                    raise ValueError("The sheet name cannot be empty.")
                if other is not None and other is not sheet:
                    raise ValueError(f'A sheet with the name "{value}" already exists. '
                                     "Please enter another name.")
            if keys == ["index"]:
                self._move(book, sheet, int(value or 0))
                continue
            if keys == ["gridProperties", "rowCount"]:
                sheet.resize(rows=int(value))
                continue
            if keys == ["gridProperties", "columnCount"]:
                sheet.resize(cols=int(value))
                continue
            _set_path(sheet.props, keys, value)

    def _move(self, book: Spreadsheet, sheet: Sheet, index: int) -> None:
        """Indexes count "before the move": to put S1 after S2, S1's index is 2."""
        old = book.sheets.index(sheet)
        book.sheets.remove(sheet)
        new = index - 1 if index > old else index
        book.sheets.insert(max(0, min(new, len(book.sheets))), sheet)
        book.reindex()

    def op_updateSpreadsheetProperties(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        props = args.get("properties") or {}
        for keys, value in _masked(props, args.get("fields")):
            if keys == ["title"]:
                self.fake.files[book.id].name = value or "Untitled spreadsheet"
                continue
            _set_path(book.props, keys, value)

    def op_updateCells(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        mask = fields.parse(args.get("fields"))
        if mask is None:
            raise ValueError("At least one field must be updated. Specify 'fields'.")
        if "range" in args:
            sheet, box = grid_box(book, args["range"])
            check_grid(sheet, box)
            if fields.pick(mask, "userEnteredValue")[0]:
                sheet.clear(box)
        else:
            start = args.get("start") or {}
            sheet, box = grid_box(book, {"sheetId": start.get("sheetId", 0),
                                         "startRowIndex": start.get("rowIndex", 0),
                                         "startColumnIndex": start.get("columnIndex", 0)})
        put_rowdata(sheet, box.row0, box.col0, args.get("rows") or [], mask)

    def op_repeatCell(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        sheet, box = grid_box(book, args.get("range") or {})
        check_grid(sheet, box)
        mask = fields.parse(args.get("fields"))
        if mask is None:
            raise ValueError("At least one field must be updated. Specify 'fields'.")
        cell = args.get("cell") or {}
        if fields.pick(mask, "userEnteredValue")[0]:
            value = cells.from_extended(cell.get("userEnteredValue"))
            b = box.clip(sheet.row_count, sheet.col_count)
            assert b.row1 is not None and b.col1 is not None
            for r in range(b.row0, b.row1):
                for c in range(b.col0, b.col1):
                    sheet.put(r, c, value)
            sheet.trim()
        want, fmt_mask = fields.pick(mask, "userEnteredFormat")
        if want:
            sheet.formats.append((box, fmt_mask, cell.get("userEnteredFormat") or {}))
        if fields.pick(mask, "dataValidation")[0]:
            sheet.validations.append({"range": grid_range_json(sheet.sheet_id, box),
                                      "rule": cell.get("dataValidation")})

    def op_setDataValidation(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        sheet, box = grid_box(book, args.get("range") or {})
        check_grid(sheet, box)
        sheet.validations.append({"range": grid_range_json(sheet.sheet_id, box),
                                  "rule": copy.deepcopy(args.get("rule"))})

    def op_addProtectedRange(self, book: Spreadsheet, args: dict[str, Any]) -> dict[str, Any]:
        spec = copy.deepcopy(args.get("protectedRange") or {})
        sheet, box = grid_box(book, spec.get("range") or {})
        spec["range"] = grid_range_json(sheet.sheet_id, box)
        pid = spec.get("protectedRangeId") or self.fake.rng.randrange(1, 2**31 - 1)
        spec.pop("protectedRangeId", None)
        spec.pop("requestingUserCanEdit", None)
        reply = {"protectedRangeId": pid, **clean(spec), "requestingUserCanEdit": True}
        editors = clean(spec.get("editors") or {})
        reply["editors"] = editors
        ordered = {k: reply[k] for k in ("protectedRangeId", "range") if k in reply}
        ordered.update({k: v for k, v in reply.items() if k not in ordered})
        stored = copy.deepcopy(ordered)
        if not spec.get("warningOnly"):
            users = stored["editors"].setdefault("users", [])
            if self.user not in users:
                users.append(self.user)
        sheet.protected.append(stored)
        return {"addProtectedRange": {"protectedRange": ordered}}

    def op_deleteProtectedRange(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        pid = args.get("protectedRangeId")
        for sheet in book.sheets:
            for item in sheet.protected:
                if item.get("protectedRangeId") == pid:
                    sheet.protected.remove(item)
                    return
        raise ValueError(f"No protected range with id: {pid}")

    def op_addConditionalFormatRule(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        rule = copy.deepcopy(args.get("rule") or {})
        ranges = rule.get("ranges") or []
        if not ranges:
            raise ValueError("At least one range must be specified.")
        rule["ranges"] = []
        for grid in ranges:
            sheet, box = grid_box(book, grid)
            rule["ranges"].append(grid_range_json(sheet.sheet_id, box))
        index = args.get("index", len(sheet.conditional))
        sheet.conditional.insert(min(index, len(sheet.conditional)), rule)

    def op_deleteConditionalFormatRule(self, book: Spreadsheet, args: dict[str, Any]
                                       ) -> dict[str, Any]:
        sheet = book.by_id(args.get("sheetId", 0))
        index = args.get("index", 0)
        if sheet is None or index >= len(sheet.conditional):
            raise ValueError(f"No conditional format on sheet {args.get('sheetId', 0)} at "
                             f"index {index}")
        return {"deleteConditionalFormatRule": {"rule": sheet.conditional.pop(index)}}

    def op_updateBorders(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        sheet, box = grid_box(book, args.get("range") or {})
        check_grid(sheet, box)
        sheet.borders.append(copy.deepcopy(args))

    def op_mergeCells(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        """Merging keeps only the top-left value of each merged block, as Sheets does."""
        sheet, box = grid_box(book, args.get("range") or {})
        check_grid(sheet, box)
        b = box.clip(sheet.row_count, sheet.col_count)
        assert b.row1 is not None and b.col1 is not None
        kind = args.get("mergeType", "MERGE_ALL")
        blocks: list[Box]
        if kind == "MERGE_COLUMNS":
            blocks = [Box(b.row0, b.row1, c, c + 1) for c in range(b.col0, b.col1)]
        elif kind == "MERGE_ROWS":
            blocks = [Box(r, r + 1, b.col0, b.col1) for r in range(b.row0, b.row1)]
        else:
            blocks = [b]
        for block in blocks:
            assert block.row1 is not None and block.col1 is not None
            for r in range(block.row0, block.row1):
                for c in range(block.col0, block.col1):
                    if (r, c) != (block.row0, block.col0):
                        sheet.put(r, c, None)
            sheet.merges.append(grid_range_json(sheet.sheet_id, block))
        sheet.trim()

    def op_unmergeCells(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        sheet, box = grid_box(book, args.get("range") or {})
        b = box.clip(sheet.row_count, sheet.col_count)
        assert b.row1 is not None and b.col1 is not None
        sheet.merges = [m for m in sheet.merges if not (
            m["startRowIndex"] >= b.row0 and m.get("endRowIndex", 0) <= b.row1
            and m["startColumnIndex"] >= b.col0 and m.get("endColumnIndex", 0) <= b.col1)]

    def op_updateDimensionProperties(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        rng = args.get("range") or {}
        if book.by_id(rng.get("sheetId", 0)) is None:
            raise ValueError(f"No grid with id: {rng.get('sheetId', 0)}")
        book.by_id(rng.get("sheetId", 0)).dimensions.append(copy.deepcopy(args))  # type: ignore[union-attr]

    def op_autoResizeDimensions(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        dims = args.get("dimensions") or {}
        if book.by_id(dims.get("sheetId", 0)) is None:
            raise ValueError(f"No grid with id: {dims.get('sheetId', 0)}")

    def _dimension(self, book: Spreadsheet, rng: dict[str, Any]) -> tuple[Sheet, str, int, int]:
        sheet = book.by_id(rng.get("sheetId", 0))
        if sheet is None:
            raise ValueError(f"No grid with id: {rng.get('sheetId', 0)}")
        return sheet, rng.get("dimension", "ROWS"), rng.get("startIndex", 0), rng.get(
            "endIndex", 0)

    def op_insertDimension(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        """Cells move; a conditional format's range spanning the new rows or columns grows
        and one after them moves, as Sheets does."""
        sheet, dim, start, end = self._dimension(book, args.get("range") or {})
        n = max(end - start, 0)
        side = "Row" if dim == "ROWS" else "Column"
        for rule in sheet.conditional:
            for grid in rule["ranges"]:
                _grow(grid, f"start{side}Index", f"end{side}Index", start, n)
        if dim == "ROWS":
            sheet.grid["rowCount"] = sheet.row_count + n
            if start < len(sheet.rows):
                sheet.rows[start:start] = [[] for _ in range(n)]
        else:
            sheet.grid["columnCount"] = sheet.col_count + n
            for row in sheet.rows:
                if start < len(row):
                    row[start:start] = [None] * n
        sheet.trim()

    def op_deleteDimension(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        sheet, dim, start, end = self._dimension(book, args.get("range") or {})
        if dim == "ROWS":
            if end - start >= sheet.row_count:
                raise ValueError("You can't delete all the rows on the sheet.")
            del sheet.rows[start:end]
            sheet.grid["rowCount"] = sheet.row_count - (end - start)
        else:
            if end - start >= sheet.col_count:
                raise ValueError("You can't delete all the columns on the sheet.")
            for row in sheet.rows:
                del row[start:end]
            sheet.grid["columnCount"] = sheet.col_count - (end - start)
        sheet.trim()

    def op_appendDimension(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        sheet = book.by_id(args.get("sheetId", 0))
        if sheet is None:
            raise ValueError(f"No grid with id: {args.get('sheetId', 0)}")
        key = "rowCount" if args.get("dimension", "ROWS") == "ROWS" else "columnCount"
        sheet.grid[key] = sheet.grid.get(key, 0) + int(args.get("length", 0))

    def op_addNamedRange(self, book: Spreadsheet, args: dict[str, Any]) -> dict[str, Any]:
        named = copy.deepcopy(args.get("namedRange") or {})
        sheet, box = grid_box(book, named.get("range") or {})
        named.setdefault("namedRangeId", f"{self.fake.rng.randrange(10**9):x}")
        named["range"] = grid_range_json(sheet.sheet_id, box)
        book.named_ranges.append(named)
        return {"addNamedRange": {"namedRange": copy.deepcopy(named)}}

    def op_setBasicFilter(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        grid_box(book, (args.get("filter") or {}).get("range") or {})

    def op_clearBasicFilter(self, book: Spreadsheet, args: dict[str, Any]) -> None:
        if book.by_id(args.get("sheetId", 0)) is None:
            raise ValueError(f"No grid with id: {args.get('sheetId', 0)}")


def _grow(grid: dict[str, Any], low: str, high: str, at: int, n: int) -> None:
    """Insert ``n`` rows or columns before index ``at`` into a GridRange."""
    if low in grid and grid[low] >= at:
        grid[low] += n
    if high in grid and grid[high] > at:
        grid[high] += n


def _masked(props: dict[str, Any], mask_text: str | None,
            keep: tuple[str, ...] = ()) -> Iterator[tuple[list[str], Any]]:
    """(key path, value in ``props``) for each field the update's mask names; "*" names every
    property but ``keep`` (the ids that identify what is updated)."""
    mask = fields.parse(mask_text)
    if mask is None:
        raise ValueError("At least one field must be updated. Specify 'fields'.")
    if "*" in mask:
        mask = {k: None for k in props if k not in keep}
    for path in fields.paths(mask):
        keys = path.split(".")
        value: Any = props
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        yield keys, value


def _set_path(target: dict[str, Any], keys: list[str], value: Any) -> None:
    """Set (or, for None, remove) the property at a field-mask path such as a.b.c."""
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    if value is None:
        target.pop(keys[-1], None)
    else:
        target[keys[-1]] = copy.deepcopy(value)

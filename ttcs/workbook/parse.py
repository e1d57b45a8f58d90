"""Parse a commune workbook, whatever backend it came from, into typed values plus issues.

Input is one raw shape for every backend: tab name -> rows of cell values (ragged rows, as the
Sheets API returns them). Tabs are found by normalised name or by content, columns by their
header labels, rows by unit codes (or role labels, section ids) — never by fixed positions —
so inserted rows, moved columns, blank rows or a renamed tab still parse. Whatever cannot be
located becomes an issue; nothing here raises on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ttcs.campaign.registry import Unit, normalise_code
from ttcs.text import clean, fold, key
from ttcs.workbook.form import (
    Form,
    FormField,
    ItemsBlock,
    MatrixBlock,
    SectionsBlock,
    Tab,
    UnitsBlock,
)
from ttcs.workbook.issues import Issue, a1
from ttcs.workbook.readers import read_field
from ttcs.workbook.values import strip_quote_prefix

Raw = dict[str, list[list[Any]]]
HEADER_SCAN_ROWS = 6  # the unit's code and name sit in the first rows of each tab


@dataclass(frozen=True)
class Value:
    value: Any  # typed; None when blank or unreadable
    sheet: str
    cell: str
    blank: bool
    readable: bool = True


@dataclass
class Row:
    """One row of a table: a unit row (before/after) or a matrix row (its role id)."""

    key: str  # unit code, or matrix row id
    period: str  # before | after | matrix
    name: str
    values: dict[str, Value] = field(default_factory=dict)


@dataclass
class Parsed:
    unit: str | None
    tabs: dict[str, str] = field(default_factory=dict)  # tab id -> sheet name in the workbook
    tables: dict[str, list[Row]] = field(default_factory=dict)  # "PL01.stations" -> rows
    items: dict[str, Value] = field(default_factory=dict)  # single fields by id
    sections: dict[str, Value] = field(default_factory=dict)  # assessment answers by id
    issues: list[Issue] = field(default_factory=list)

    @property
    def entered(self) -> bool:
        """Whether the commune typed anything at all (pre-filled codes and names excluded)."""
        values = [v for rows in self.tables.values() for r in rows for v in r.values.values()]
        values += list(self.items.values()) + list(self.sections.values())
        return any(not v.blank for v in values)


def _label_keys(label: str) -> set[str]:
    """A header matches its label with or without the bracketed hint ("(Có/Không)")."""
    short = re.sub(r"\s*\(.*?\)\s*", " ", label)
    return {key(label), key(short)} - {""}


def _text(raw: Any) -> str:
    return clean(raw) if isinstance(raw, str) else ""


def _cell(rows: list[list[Any]], r: int, c: int) -> Any:
    if r < len(rows) and c < len(rows[r]):
        value = rows[r][c]
        return None if isinstance(value, str) and not value.strip() else value
    return None


class _Sheet:
    """One tab's rows with label look-ups."""

    def __init__(self, name: str, rows: list[list[Any]]) -> None:
        self.name = name
        self.rows = rows
        self.keys = [[key(v) if isinstance(v, str) else "" for v in row] for row in rows]

    def find(self, label: str, start: int = 0) -> tuple[int, int] | None:
        wanted = _label_keys(label)
        for r in range(start, len(self.keys)):
            for c, k in enumerate(self.keys[r]):
                if k and k in wanted:
                    return r, c
        return None

    def row_labels(self, r: int) -> dict[str, int]:
        return {k: c for c, k in enumerate(self.keys[r]) if k} if r < len(self.keys) else {}

    def value(self, r: int, c: int) -> Any:
        return _cell(self.rows, r, c)


class Parser:
    """Parses one workbook for one unit of the registry against one form."""

    def __init__(self, form: Form, unit: Unit | None, raw: Raw) -> None:
        self.form = form
        self.unit = unit
        self.sheets = {name: _Sheet(name, rows or []) for name, rows in raw.items()}
        self.parsed = Parsed(unit=unit.code if unit else None)

    # -- issues ---------------------------------------------------------------------------
    def issue(self, sheet: str | None, cell: str | None, field_id: str | None, rule: str,
              kind: str, message: str) -> None:
        self.parsed.issues.append(
            Issue(self.parsed.unit, sheet, cell, field_id, rule, kind, message)  # type: ignore[arg-type]
        )

    # -- driver ---------------------------------------------------------------------------
    def parse(self) -> Parsed:
        placed = self._place_tabs()
        for tab in self.form.tabs:
            sheet = placed.get(tab.id)
            if sheet is None:
                if tab.blocks:
                    self.issue(None, None, None, "tab_missing", "missing",
                               f'Không tìm thấy trang "{tab.name}" ({tab.title}); đề nghị '
                               "không xóa hoặc đổi nội dung tiêu đề của trang")
                continue
            self.parsed.tabs[tab.id] = sheet.name
            for block in tab.blocks:
                self._block(tab, block, sheet)
        return self.parsed

    def _block(self, tab: Tab, block: Any, sheet: _Sheet) -> None:
        if isinstance(block, UnitsBlock):
            self._units(f"{tab.id}.{block.id}", block, sheet)
        elif isinstance(block, MatrixBlock):
            self._matrix(f"{tab.id}.{block.id}", block, sheet)
        elif isinstance(block, ItemsBlock):
            self._items(block, sheet)
        elif isinstance(block, SectionsBlock):
            self._sections(block, sheet)

    # -- tabs -----------------------------------------------------------------------------
    def _place_tabs(self) -> dict[str, _Sheet]:
        """Match tabs by normalised name first, then the rest by the labels they contain."""
        placed: dict[str, _Sheet] = {}
        free = dict(self.sheets)
        for tab in self.form.tabs:
            wanted = {key(tab.name), key(tab.id)}
            name = next((n for n in free if key(n) in wanted), None)
            if name:
                placed[tab.id] = free.pop(name)
        for tab in self.form.tabs:
            if tab.id in placed or not tab.blocks:
                continue
            labels = {k for text in _tab_labels(tab) for k in _label_keys(text)}
            scored = [(len(labels & {k for row in s.keys for k in row}), n)
                      for n, s in free.items()]
            best = max(scored, default=(0, ""))
            if best[0] >= max(2, len(labels) // 3):
                placed[tab.id] = free.pop(best[1])
        return placed

    # -- units tables ---------------------------------------------------------------------
    def _header(self, sheet: _Sheet, first: str, labels: list[str]) -> tuple[int, dict] | None:
        """The row holding ``first`` and the most field labels; field id -> column."""
        best: tuple[int, dict] | None = None
        for r in range(len(sheet.keys)):
            cols = sheet.row_labels(r)
            if not _label_keys(first) & cols.keys():
                continue
            found = {}
            for label in labels:
                col = next((cols[k] for k in _label_keys(label) if k in cols), None)
                if col is not None:
                    found[label] = col
            if found and (best is None or len(found) > len(best[1])):
                best = (r, found)
        return best

    def _columns(self, sheet: _Sheet, table: str, first: str,
                 fields: list[FormField]) -> tuple[int, int, dict[str, int]] | None:
        header = self._header(sheet, first, [f.label for f in fields])
        if header is None:
            self.issue(sheet.name, None, None, "header_missing", "missing",
                       f'Không tìm thấy dòng tiêu đề của bảng (cột "{first}") trong trang '
                       f'"{sheet.name}"; đề nghị không xóa hoặc sửa dòng tiêu đề')
            return None
        r, by_label = header
        key_col = next(c for k, c in sheet.row_labels(r).items() if k in _label_keys(first))
        columns = {}
        for spec in fields:
            if spec.label in by_label:
                columns[spec.id] = by_label[spec.label]
            else:
                self.issue(sheet.name, None, spec.id, "column_missing", "missing",
                           f'Không tìm thấy cột "{spec.label}" trong trang "{sheet.name}"; '
                           "đề nghị không xóa hoặc đổi tên tiêu đề cột")
        return r, key_col, columns

    def _units(self, table: str, block: UnitsBlock, sheet: _Sheet) -> None:
        found = self._columns(sheet, table, block.key_label, block.fields)
        if found is None or self.unit is None:
            return
        header_row, key_col, columns = found
        expected = [(p.code, p.name, "before") for p in self.unit.predecessors]
        expected.append((self.unit.code, self.unit.name, "after"))
        taken: set[int] = set()
        rows: list[tuple[int, Row]] = []
        name_col = next((sheet.row_labels(header_row)[k] for k in _label_keys(block.name_label)
                         if k in sheet.row_labels(header_row)), None)
        period_col = next((sheet.row_labels(header_row)[k]
                           for k in _label_keys(block.period_label)
                           if k in sheet.row_labels(header_row)), None)
        for r in range(header_row + 1, len(sheet.rows)):
            raw_key = sheet.value(r, key_col)
            code = _code(raw_key)
            data_cols = [c for c in columns.values() if sheet.value(r, c) is not None]
            if raw_key is None:
                if data_cols:
                    self.issue(sheet.name, a1(r, key_col), None, "row_without_code", "invalid",
                               f"Dòng {r + 1} có số liệu nhưng không có mã đơn vị; cần ghi mã "
                               "đơn vị (5 chữ số) ở cột đầu")
                continue
            if code is None:
                # Text that is no code: a note, a title or the next block; a row of this
                # table only if it holds data, and then its code is wrong.
                if data_cols:
                    self._stray_row(sheet, r, key_col, raw_key, None, expected)
                continue
            hint = " ".join(_text(sheet.value(r, c)) for c in (name_col, period_col)
                            if c is not None)
            slot = _match(code, hint, expected, taken)
            if slot is None:
                self._stray_row(sheet, r, key_col, raw_key, code, expected)
                continue
            taken.add(slot)
            exp_code, exp_name, period = expected[slot]
            row = Row(exp_code, period, exp_name)
            for spec in block.fields:
                if spec.id in columns and spec.applies_to(period):  # type: ignore[arg-type]
                    row.values[spec.id] = self._read(sheet, r, columns[spec.id], spec)
            rows.append((slot, row))
        for slot, (exp_code, exp_name, period) in enumerate(expected):
            if slot not in taken:
                when = "trước" if period == "before" else "sau"
                self.issue(sheet.name, None, None, "row_missing", "missing",
                           f'Thiếu dòng của {exp_name} (mã {exp_code}, {when} 01/7/2025) trong '
                           f'trang "{sheet.name}"; cần thêm lại dòng này')
        # In the registry's order (old units, then the new unit), wherever the rows were.
        self.parsed.tables[table] = [row for _, row in sorted(rows, key=lambda item: item[0])]

    def _stray_row(self, sheet: _Sheet, r: int, col: int, raw: Any, code: int | None,
                   expected: list[tuple[str, str, str]]) -> None:
        shown = clean(str(raw))
        if code is not None and any(int(c) == code for c, _, _ in expected):
            self.issue(sheet.name, a1(r, col), None, "row_duplicate", "contradiction",
                       f'Mã đơn vị "{shown}" xuất hiện nhiều lần trong trang "{sheet.name}"; '
                       "mỗi đơn vị chỉ điền một dòng")
        else:
            self.issue(sheet.name, a1(r, col), None, "row_unknown", "invalid",
                       f'Mã đơn vị "{shown}" không thuộc các đơn vị của {self.unit.name} '
                       "(đơn vị mới và các xã, phường, thị trấn cũ đã sáp nhập); đề nghị "
                       "kiểm tra lại mã")

    # -- matrix, items, sections ------------------------------------------------------------
    def _matrix(self, table: str, block: MatrixBlock, sheet: _Sheet) -> None:
        found = self._columns(sheet, table, block.row_label, block.fields)
        if found is None:
            return
        header_row, key_col, columns = found
        rows = []
        for matrix_row in block.rows:
            wanted = _label_keys(matrix_row.label)
            r = next((r for r in range(header_row + 1, len(sheet.rows))
                      if key(_text(sheet.value(r, key_col))) in wanted), None)
            if r is None:
                self.issue(sheet.name, None, None, "row_missing", "missing",
                           f'Thiếu dòng "{matrix_row.label}" trong trang "{sheet.name}"; cần '
                           "thêm lại dòng này")
                continue
            row = Row(matrix_row.id, "matrix", matrix_row.label)
            for spec in block.fields:
                if spec.id in columns:
                    row.values[spec.id] = self._read(sheet, r, columns[spec.id], spec)
            rows.append(row)
        self.parsed.tables[table] = rows

    def _items(self, block: ItemsBlock, sheet: _Sheet) -> None:
        for spec in block.fields:
            where = sheet.find(spec.label)
            if where is None:
                self.issue(sheet.name, None, spec.id, "label_missing", "missing",
                           f'Không tìm thấy mục "{spec.label}" trong trang "{sheet.name}"; đề '
                           "nghị không xóa hoặc đổi tên mục này")
                continue
            r, c = where
            self.parsed.items[spec.id] = self._read(sheet, r, c + 1, spec)

    def _sections(self, block: SectionsBlock, sheet: _Sheet) -> None:
        labels = [block.id_label, block.answer_label]
        header = self._header(sheet, block.id_label, labels)
        if header is None or block.answer_label not in header[1]:
            self.issue(sheet.name, None, None, "header_missing", "missing",
                       f'Không tìm thấy dòng tiêu đề "{block.id_label}" / "{block.answer_label}" '
                       f'trong trang "{sheet.name}"')
            return
        header_row, cols = header
        id_col, answer_col = cols[block.id_label], cols[block.answer_label]
        rows = {_section_id(sheet.value(r, id_col)): r
                for r in range(header_row + 1, len(sheet.rows))}
        text_field = FormField(id="section", label=block.answer_label, type="text")
        for section in block.commune_sections:
            r = rows.get(_section_id(section.id))
            if r is None:
                self.issue(sheet.name, None, section.id, "row_missing", "missing",
                           f'Thiếu dòng mục {section.id} ({section.title}) trong trang '
                           f'"{sheet.name}"; cần thêm lại dòng này')
                continue
            label_field = text_field.model_copy(update={"id": section.id,
                                                        "label": f"Mục {section.id}"})
            self.parsed.sections[section.id] = self._read(sheet, r, answer_col, label_field)

    # -- cells ----------------------------------------------------------------------------
    def _read(self, sheet: _Sheet, r: int, c: int, spec: FormField) -> Value:
        raw = sheet.value(r, c)
        reading = read_field(spec, raw, self.form)
        address = a1(r, c)
        if reading.problem:
            self.issue(sheet.name, address, spec.id, f"type_{spec.type}", "invalid",
                       f'Ô {address} ("{spec.label}"): {reading.problem}')
        return Value(reading.value, sheet.name, address, reading.blank, reading.problem is None)


def _tab_labels(tab: Tab) -> Iterable[str]:
    for block in tab.blocks:
        if isinstance(block, SectionsBlock):
            yield from (block.id_label, block.title_label, block.answer_label)
        else:
            yield from (f.label for f in block.fields)


def _code(raw: Any) -> int | None:
    """A unit code as an int, whatever a spreadsheet made of it ("00070", 70, 70.0, "'00070")."""
    raw = strip_quote_prefix(raw)
    if raw is None or isinstance(raw, bool):
        return None
    try:
        return int(normalise_code(clean(str(raw)) if isinstance(raw, str) else raw))
    except (ValueError, TypeError):
        return None


def _match(code: int, hint: str, expected: list[tuple[str, str, str]],
           taken: set[int]) -> int | None:
    """Which expected row a code belongs to. A new unit often keeps the code of one of its old
    units, so a code can fit two rows: the period column or the name decides, else the order."""
    slots = [i for i, (c, _, _) in enumerate(expected) if int(c) == code and i not in taken]
    if len(slots) <= 1:
        return slots[0] if slots else None
    folded = fold(hint)
    for slot in slots:
        period, name = expected[slot][2], fold(expected[slot][1])
        if ("sau" in folded and period == "after") or ("truoc" in folded and period == "before"):
            return slot
        if name and name in folded and ("sau" not in folded and "truoc" not in folded):
            return slot
    return slots[0]


def _section_id(raw: Any) -> str:
    return key(str(raw)) if raw is not None else ""


def find_unit_code(form: Form, raw: Raw) -> str | None:
    """The unit code the template wrote next to its label near the top of any tab."""
    wanted = _label_keys(form.unit_header["code_label"])
    for rows in raw.values():
        for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
            for c, value in enumerate(row):
                if isinstance(value, str) and key(value) in wanted:
                    code = _code(_cell(rows, r, c + 1))
                    if code is not None:
                        return normalise_code(code)
    return None


def parse_workbook(form: Form, unit: Unit | None, raw: Raw) -> Parsed:
    """Typed values and issues for ``unit`` from a workbook's raw cells."""
    return Parser(form, unit, raw).parse()

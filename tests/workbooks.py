"""Build real commune workbooks (.xlsx) for tests, then damage them with openpyxl.

A :class:`Book` is a unit's workbook rendered by
:func:`ttcs.workbook.template.render_workbook`, blank or filled with
:func:`ttcs.workbook.sample.valid_answers` from a seeded ``random.Random``. Tests change cells by
their :data:`ttcs.workbook.layout.Ref` (where the template put them), insert rows and columns,
rename or delete tabs, then :meth:`Book.verdict` saves the file and validates it through the
same path the CLI uses (``read_xlsx`` then ``validate_raw``).
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from ttcs.campaign import registry
from ttcs.workbook.form import Form
from ttcs.workbook.issues import Issue, column_letter
from ttcs.workbook.layout import Ref, workbook_layout
from ttcs.workbook.sample import valid_answers
from ttcs.workbook.template import render_workbook
from ttcs.workbook.validate import Verdict, validate_raw
from ttcs.workbook.xlsx import read_xlsx

TEXTS = {"data_as_of": "30/09/2025", "deadline": "17:00 ngày 30/09/2025"}
# Phường Đồng Thuận keeps the code of one of its old units (Phường Bắc Lý, 18859), so that code
# has two rows (before and after 01/7/2025); its other old units are Xã Quang Phú and Xã Lộc Ninh.
DONG_THUAN = "18859"
BAC_LY, QUANG_PHU, LOC_NINH = "18859", "18883", "18886"
# Đặc khu Cồn Cỏ: one old unit, the island district Huyện Cồn Cỏ with a 3-digit code.
CON_CO = "19742"
CON_CO_DISTRICT = "471"


def station(code: str, period: str, field: str) -> Ref:
    return ("PL01.stations", f"{code}:{period}", field)


def web(code: str, period: str, field: str) -> Ref:
    return ("PL02.web_boards", f"{code}:{period}", field)


def staff(role: str, field: str) -> Ref:
    return ("PL03.staff", role, field)


def training(field: str) -> Ref:
    return ("PL03.training", "", field)


def section(section_id: str) -> Ref:
    return ("sections", section_id, "answer")


def confirm(field: str) -> Ref:
    return ("confirmation.confirm", "", field)


_RENDERED: dict[tuple[int, str, bool, int], bytes] = {}


def _rendered(form: Form, unit_code: str, filled: bool, seed: int) -> bytes:
    key = (id(form), unit_code, filled, seed)
    if key not in _RENDERED:
        with tempfile.TemporaryDirectory() as folder:
            unit = registry.unit(unit_code)
            answers = valid_answers(form, unit, random.Random(seed)) if filled else None
            path = render_workbook(form, unit, TEXTS, Path(folder) / "book.xlsx", answers)
            _RENDERED[key] = path.read_bytes()
    return _RENDERED[key]


class Book:
    """One unit's workbook on disk plus the openpyxl object the test changes."""

    def __init__(self, form: Form, unit_code: str, path: Path, *, filled: bool = True,
                 seed: int = 1, answers: dict[Ref, Any] | None = None) -> None:
        self.form = form
        self.unit = registry.unit(unit_code)
        self.path = path
        self.answers: dict[Ref, Any] = {}
        if filled:
            self.answers = valid_answers(form, self.unit, random.Random(seed))
        self.answers.update(answers or {})
        if answers:
            render_workbook(form, self.unit, TEXTS, path, self.answers)
        else:  # the same file every time: render it once per test session
            path.write_bytes(_rendered(form, unit_code, filled, seed))
        self.book = openpyxl.load_workbook(path)
        self.where: dict[Ref, tuple[str, int, int]] = {}
        for tab in workbook_layout(form, self.unit, TEXTS):
            for cell in tab.cells:
                if cell.ref is not None:
                    self.where[cell.ref] = (tab.name, cell.row, cell.col)

    # -- where things are (as rendered, before any row or column is inserted) ---------------
    def sheet(self, name: str) -> Worksheet:
        return self.book[name]

    def a1(self, ref: Ref) -> str:
        _, row, col = self.where[ref]
        return f"{column_letter(col)}{row}"

    def tab(self, ref: Ref) -> str:
        return self.where[ref][0]

    def cell(self, ref: Ref) -> Cell:
        name, row, col = self.where[ref]
        return self.book[name].cell(row, col)

    def row_of(self, ref: Ref) -> int:
        return self.where[ref][1]

    # -- damage -------------------------------------------------------------------------------
    def set(self, ref: Ref, value: Any) -> Book:
        """Type ``value`` into the cell of ``ref``; text starting with "=" stays text."""
        target = self.cell(ref)
        target.value = value
        if isinstance(value, str) and value.startswith("="):
            target.data_type = "s"
        return self

    def set_error(self, ref: Ref, error: str) -> Book:
        """Make the cell a real error cell (``<c t="e">``), as a broken formula leaves it."""
        target = self.cell(ref)
        target.value = error
        target.data_type = "e"
        return self

    def put(self, sheet: str, address: str, value: Any) -> Book:
        self.book[sheet][address].value = value
        return self

    # -- check --------------------------------------------------------------------------------
    def save(self) -> Path:
        self.book.save(self.path)
        return self.path

    def verdict(self, unit_code: str | None = None) -> Verdict:
        return validate_raw(self.form, read_xlsx(self.save()), unit_code)


def issues_of(verdict: Verdict, rule: str | None = None) -> list[Issue]:
    return [i for i in verdict.issues if rule is None or i.rule == rule]


def summary(verdict: Verdict) -> list[tuple[str | None, str | None, str | None, str, str, str]]:
    """(sheet, cell, field, rule, kind, severity) of every issue, in order."""
    return [(i.sheet, i.cell, i.field, i.rule, i.kind, i.severity) for i in verdict.issues]


def value_at(verdict: Verdict, ref: Ref) -> Any:
    """The typed value the parser read for ``ref`` (KeyError when it read none)."""
    return read_at(verdict, ref).value


def read_at(verdict: Verdict, ref: Ref):
    table, row_key, field = ref
    parsed = verdict.parsed
    if table == "sections":
        return parsed.sections[row_key]
    if row_key == "":
        return parsed.items[field]
    if ":" in row_key:
        code, period = row_key.split(":")
        rows = [r for r in parsed.tables[table] if r.key == code and r.period == period]
    else:
        rows = [r for r in parsed.tables[table] if r.key == row_key]
    (row,) = rows
    return row.values[field]

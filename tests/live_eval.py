"""Evaluate a workbook's live checks the way a spreadsheet does, with the `formulas` package.

A conditional format's formula is written for the first cell of its range; each other cell
gets it shifted (relative references move, ``$`` ones stay), as Excel, LibreOffice and Sheets
do. A formula that gives an error marks nothing, as in a spreadsheet. Cells holding formulas
themselves (the live count) are evaluated when another formula reads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import formulas
import numpy as np
import schedula
from formulas.functions import XlError
from openpyxl.formula.translate import Translator
from openpyxl.utils import column_index_from_string, get_column_letter

_REF = re.compile(r"^(?:(?P<sheet>'(?:[^']|'')+'|[^!]+)!)?\$?(?P<c1>[A-Z]+)\$?(?P<r1>\d+)"
                  r"(?::\$?(?P<c2>[A-Z]+)\$?(?P<r2>\d+))?$")


@dataclass(frozen=True)
class Format:
    """One conditional format as found in a file or a Sheets answer."""

    sheet: str
    first_row: int
    last_row: int
    col: int
    formula: str  # without "="


@cache
def _compiled(formula: str) -> Any:
    return formulas.Parser().ast("=" + formula)[1].compile()


class Grid:
    """Cell values by sheet name and (row, col), 1-based; a value "=..." is a formula."""

    def __init__(self, values: Mapping[str, Mapping[tuple[int, int], Any]]) -> None:
        self.values = values
        self.names = {name.upper(): name for name in values}

    @classmethod
    def from_rows(cls, raw: Mapping[str, list[list[Any]]]) -> Grid:
        return cls({name: {(r + 1, c + 1): v for r, row in enumerate(rows)
                           for c, v in enumerate(row) if v is not None}
                    for name, rows in raw.items()})

    @classmethod
    def from_openpyxl(cls, book: Any) -> Grid:
        return cls({sheet.title: {(cell.row, cell.column): cell.value
                                  for row in sheet.iter_rows() for cell in row
                                  if cell.value is not None}
                    for sheet in book.worksheets})

    def cell(self, sheet: str, row: int, col: int) -> Any:
        value = self.values[sheet].get((row, col))
        if isinstance(value, str) and value.startswith("="):
            return self.evaluate(value[1:], sheet)
        return schedula.EMPTY if value is None or value == "" else value

    def _input(self, ref: str, sheet: str) -> Any:
        match = _REF.match(ref)
        assert match, ref
        if match["sheet"]:
            sheet = self.names[match["sheet"].strip("'").replace("''", "'").upper()]
        r1, c1 = int(match["r1"]), column_index_from_string(match["c1"])
        if not match["c2"]:
            return self.cell(sheet, r1, c1)
        r2, c2 = int(match["r2"]), column_index_from_string(match["c2"])
        return np.array([[self.cell(sheet, r, c) for c in range(c1, c2 + 1)]
                         for r in range(r1, r2 + 1)], dtype=object)

    def evaluate(self, formula: str, sheet: str) -> Any:
        """The value of ``formula`` on ``sheet``; None for an error."""
        function = _compiled(formula)
        value = function(*(self._input(ref, sheet) for ref in function.inputs))
        value = np.asarray(value).item() if np.ndim(value) == 0 else value
        return None if isinstance(value, XlError) else value

    def marked(self, fmt: Format) -> list[str]:
        """A1 addresses of the cells of ``fmt``'s range that it colours."""
        origin = f"{get_column_letter(fmt.col)}{fmt.first_row}"
        found = []
        for row in range(fmt.first_row, fmt.last_row + 1):
            address = f"{get_column_letter(fmt.col)}{row}"
            shifted = Translator("=" + fmt.formula, origin=origin).translate_formula(address)
            value = self.evaluate(shifted[1:], fmt.sheet)
            if value is not None and not isinstance(value, str) and bool(value):
                found.append(address)
        return found


def xlsx_formats(book: Any) -> list[Format]:
    """Every conditional format of an openpyxl workbook (one column per range)."""
    found = []
    for sheet in book.worksheets:
        for cf in sheet.conditional_formatting:
            for cells in cf.sqref.ranges:
                assert cells.min_col == cells.max_col, cells
                for rule in cf.rules:
                    found += [Format(sheet.title, cells.min_row, cells.max_row, cells.min_col,
                                     formula) for formula in rule.formula]
    return found


def sheets_formats(metadata: Mapping[str, Any]) -> list[Format]:
    """Every conditional format of a ``spreadsheets.get`` answer."""
    found = []
    for sheet in metadata["sheets"]:
        for rule in sheet.get("conditionalFormats", []):
            condition = rule["booleanRule"]["condition"]
            assert condition["type"] == "CUSTOM_FORMULA"
            for grid in rule["ranges"]:
                assert grid["endColumnIndex"] - grid["startColumnIndex"] == 1, grid
                found.append(Format(sheet["properties"]["title"], grid["startRowIndex"] + 1,
                                    grid["endRowIndex"], grid["startColumnIndex"] + 1,
                                    condition["values"][0]["userEnteredValue"][1:]))
    return found


def marks_of(grid: Grid, formats: Iterable[Format]) -> dict[Format, list[str]]:
    return {fmt: cells for fmt in formats if (cells := grid.marked(fmt))}

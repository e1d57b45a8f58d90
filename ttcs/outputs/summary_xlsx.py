"""Render the summary model (:mod:`ttcs.outputs.summary`) as a formatted .xlsx with openpyxl.

Every string is written as a string (``data_type = "s"``), never as a formula: commune text
such as ``=IMPORTXML(...)``, ``+84 912``, ``@home`` or ``-5 ý kiến`` stays the text it was.
The file is written to a temporary name in the same folder and then moved into place, so a
reader never sees half a workbook.
"""

from __future__ import annotations

import datetime as dt
from copy import copy
from functools import cache
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ttcs.outputs.atomic import replacing
from ttcs.outputs.summary import Style, SummaryCell, SummaryTab
from ttcs.workbook.print_layout import set_up_page, use_times_new_roman

MAX_CELL_TEXT = 32_767  # Excel's limit for one cell
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


@cache
def _font(style: Style) -> Font:
    return Font(name=style.font, size=style.size, bold=style.bold, italic=style.italic,
                underline="single" if style.underline else None)


@cache
def _alignment(style: Style) -> Alignment:
    return Alignment(horizontal=style.align, vertical="top" if style.valign == "top"
                     else "center", wrap_text=style.wrap)


@cache
def _fill(colour: str) -> PatternFill:
    return PatternFill("solid", fgColor=colour)


def _text(value: str) -> str:
    """Characters Excel cannot store go; over-long text is cut at Excel's cell limit."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value if len(value) <= MAX_CELL_TEXT else value[: MAX_CELL_TEXT - 1] + "…"


def _write(sheet: Worksheet, row: int, col: int, cell: SummaryCell, styles: dict) -> None:
    target = sheet.cell(row, col)
    value = cell.value
    if value is not None and not isinstance(target, MergedCell):
        if isinstance(value, str):
            target.value = _text(value)
            target.data_type = "s"  # data, never a formula or an error value
        elif isinstance(value, bool):
            target.value = int(value)
        else:
            target.value = value
    style = cell.style
    numeric = isinstance(value, (int, float, dt.date)) and not isinstance(value, bool)
    key = (style, cell.fill, numeric and style.number_format)
    known = styles.get(key)
    if known is not None:
        # Setting font, border... one by one re-hashes every style object (most of the time
        # of a large workbook); a cell styled like an earlier one takes its style ids instead.
        target._style = copy(known)
        return
    target.font = _font(style)
    target.alignment = _alignment(style)
    if style.border:
        target.border = BOX
    if cell.fill:
        target.fill = _fill(cell.fill)
    if numeric and style.number_format:
        target.number_format = style.number_format
    styles[key] = copy(target._style)


def _sheet(sheet: Worksheet, tab: SummaryTab, styles: dict) -> None:
    for r1, c1, r2, c2 in tab.merges:
        sheet.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    for r, cells in enumerate(tab.rows, start=1):
        for c, cell in enumerate(cells, start=1):
            _write(sheet, r, c, cell, styles)
    for c, width in enumerate(tab.widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    if tab.freeze_rows:
        sheet.freeze_panes = sheet.cell(tab.freeze_rows + 1, 1)
    set_up_page(sheet, wide=tab.wide, title_rows=tab.header_rows, heights=tab.heights())


def write_summary_xlsx(tabs: list[SummaryTab], path: Path) -> Path:
    """Write the summary workbook to ``path`` atomically (temporary file, then replace)."""
    path = Path(path)
    book = Workbook()
    use_times_new_roman(book)
    book.remove(book.active)
    styles: dict = {}  # style ids are the workbook's: one cache per workbook
    for tab in tabs:
        _sheet(book.create_sheet(tab.name), tab, styles)
    with replacing(path) as temporary:
        book.save(temporary)
    return path

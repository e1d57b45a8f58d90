"""Render a commune's workbook (.xlsx) from the layout with openpyxl."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ttcs.campaign.registry import Unit
from ttcs.campaign.settings import Campaign
from ttcs.workbook.form import Form
from ttcs.workbook.layout import BOLD_ROLES, Cell, Ref, TabLayout, font_size, workbook_layout
from ttcs.workbook.print_layout import set_up_page, use_times_new_roman

FONT = "Times New Roman"
GREY = PatternFill("solid", fgColor="E7E6E6")
HEADER = PatternFill("solid", fgColor="D9E1F2")
NA = PatternFill("solid", fgColor="BFBFBF")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
LOOKS: dict[str, tuple[PatternFill | None, bool]] = {  # role -> fill, boxed
    "title": (None, False), "label": (None, False), "header": (HEADER, True),
    "key": (GREY, True), "input": (None, True), "na": (NA, True), "note": (None, False),
    "remark": (None, True), "live": (None, True),
}
STYLE = {role: (Font(name=FONT, size=font_size(role), bold=role in BOLD_ROLES or role == "live",
                     color="9C0006" if role == "live" else None), fill, boxed)
         for role, (fill, boxed) in LOOKS.items()}
PROMPT_TITLE = "Kiểm tra khi nhập"


def guide_texts(campaign: Campaign) -> dict[str, str]:
    deadline = campaign.deadline.astimezone(campaign.tz)
    return {
        "data_as_of": campaign.data_as_of.strftime("%d/%m/%Y"),
        "deadline": deadline.strftime("%H:%M ngày %d/%m/%Y"),
    }


def render_workbook(form: Form, unit: Unit, texts: dict[str, str], path: Path,
                    answers: Mapping[Ref, Any] | None = None) -> Path:
    """Write the unit's workbook to ``path``: blank, or with ``answers`` typed in."""
    book = Workbook()
    use_times_new_roman(book)
    book.remove(book.active)
    for layout in workbook_layout(form, unit, texts):
        sheet = book.create_sheet(layout.name)
        _sheet(sheet, layout, answers or {})
        for cell in layout.cells:
            if answers and cell.ref in answers:
                # Data, never a formula: text a commune typed as "=..." stays text.
                target = sheet.cell(cell.row, cell.col, answers[cell.ref])
                if isinstance(target.value, str) and target.value.startswith("="):
                    target.data_type = "s"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Built in memory, then written at once: a full disk or an unwritable path is one OSError,
    # never a half-written zip left to a later garbage collection.
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def _sheet(sheet: Worksheet, layout: TabLayout, answers: Mapping[Ref, Any]) -> None:
    validations: dict[tuple, DataValidation] = {}
    for cell in layout.cells:
        _write(sheet, cell)
        hint = layout.hints.get((cell.row, cell.col))
        if cell.validation or hint:
            signature = (cell.validation, cell.choices, cell.bounds, hint)
            if signature not in validations:
                validations[signature] = _validation(cell, hint)
                sheet.add_data_validation(validations[signature])
            validations[signature].add(sheet.cell(cell.row, cell.col))
    for mark in layout.marks:
        cells = f"{_a1(mark.first_row, mark.col)}:{_a1(mark.last_row, mark.col)}"
        colour = PatternFill("solid", start_color=mark.colour, end_color=mark.colour)
        sheet.conditional_formatting.add(cells, FormulaRule(formula=[mark.formula],
                                                            fill=colour))
    for r1, c1, r2, c2 in layout.merges:
        sheet.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    for col, width in layout.widths.items():
        sheet.column_dimensions[get_column_letter(col)].width = width
    if layout.freeze_rows:
        sheet.freeze_panes = sheet.cell(layout.freeze_rows + 1, 1)
    set_up_page(sheet, wide=layout.wide, title_rows=layout.title_rows,
                heights=layout.heights(answers), fitted=layout.fitted_rows)
    # Locked cells (titles, headers, codes, names) are protected; input cells are not.
    # No password: a coordinator may unprotect a sheet to fix a layout by hand.
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    sheet.protection.insertRows = False


def _write(sheet: Worksheet, cell: Cell) -> None:
    target = sheet.cell(cell.row, cell.col)
    if cell.value is not None:
        target.value = cell.value
        if isinstance(cell.value, str) and cell.role == "key":
            target.number_format = "@"  # codes stay text: "00070", never 70
    font, fill, boxed = STYLE[cell.role]
    target.font = font
    if fill:
        target.fill = fill
    if boxed:
        target.border = BOX
    target.alignment = Alignment(wrap_text=cell.wrap, vertical="top")
    target.protection = Protection(locked=cell.role not in ("input",))


def _a1(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def _validation(cell: Cell, hint: str | None) -> DataValidation:
    """The cell's data validation; ``hint`` (what the live checks colour it for) is its input
    message, on a validation that allows anything when the cell has none of its own."""
    rule = _typed_validation(cell) if cell.validation else DataValidation(allow_blank=True)
    if hint:
        rule.showInputMessage = True
        rule.promptTitle = PROMPT_TITLE
        rule.prompt = hint
    return rule


def _typed_validation(cell: Cell) -> DataValidation:
    if cell.validation in ("yesno", "choice"):
        items = ",".join(cell.choices)
        return DataValidation(
            type="list",
            formula1=f'"{items}"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Giá trị không hợp lệ",
            error=f"Chọn một trong: {', '.join(cell.choices)}",
        )
    if cell.validation == "count":
        # The reader's own limits (the field's min and max), so that Excel refuses what the
        # validator would reject.
        low, high = cell.bounds
        low = max(low or 0, 0)
        allowed = f"từ {low:g} đến {high:g}" if high is not None else (
            "không âm" if low == 0 else f"từ {low:g} trở lên")
        return DataValidation(
            type="whole",
            operator="between" if high is not None else "greaterThanOrEqual",
            formula1=f"{low:g}",
            formula2=f"{high:g}" if high is not None else None,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Cần nhập số nguyên",
            error=f"Nhập số nguyên {allowed}, ví dụ 12 (không ghi kèm đơn vị tính).",
        )
    return DataValidation(
        type="date",
        operator="greaterThan",
        formula1="36526",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Cần nhập ngày",
        error="Nhập ngày dạng dd/mm/yyyy.",
    )

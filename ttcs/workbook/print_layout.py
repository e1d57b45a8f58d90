"""Printing a workbook on A4: row heights from wrapped text, and the page setup.

Shared by the commune template and the province summary. A spreadsheet that is opened by
LibreOffice or printed from a file never fits a row to its wrapped text by itself when the
row has no height, or fits it wrongly for merged cells: a wrapped label then runs over the
next row. So every row gets an explicit height, computed by :func:`text_height` from the
cell's text, its width (a column, or the columns of its merge) and its font size.

The rule is deliberately generous (Times New Roman, measured in LibreOffice): a column of
width ``w`` holds ``w`` digits of the workbook's default font (Times New Roman 12, so
``UNIT_POINTS`` points each); a lower-case letter takes ``LETTER_EM`` of the font size, a
capital ``CAPITAL_EM``, a digit ``DIGIT_EM``; words wrap whole, a word longer than a line is broken.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.worksheet.worksheet import Worksheet

FONT = "Times New Roman"
NORMAL_SIZE = 12  # the workbook's default font: the unit of column widths
UNIT_POINTS = 6.0  # one character of column width (a digit of Times New Roman 12), in points
CELL_MARGIN = 4.0  # points of a column's width that text never uses (cell padding)
LETTER_EM = 0.46  # advance of a lower-case letter or punctuation, in font sizes
CAPITAL_EM = 0.7  # a capital letter (Ữ, Ộ: diacritics included)
DIGIT_EM = 0.5
SPACE_EM = 0.25
BOLD_FACTOR = 1.08
LINE_EM = 1.2  # line height in font sizes (stacked Vietnamese diacritics need room)
ROW_PADDING = 4.0  # points above and below the text

# A4 in points, and the margins of Nghị định 30/2020/NĐ-CP (mm): binding edge 30, the other
# sides 15-20. A landscape page is bound along its top edge.
MM = 72 / 25.4
A4 = (210 * MM, 297 * MM)
PORTRAIT_MARGINS = {"left": 30, "right": 15, "top": 20, "bottom": 20}
LANDSCAPE_MARGINS = {"left": 20, "right": 15, "top": 30, "bottom": 20}
HEADER_MARGIN = 10  # mm from the edge to the page number
SMALLEST_PORTRAIT_SCALE = 0.8  # a tab narrower than this at portrait scale prints portrait
PAGE_NUMBER = "Trang &P/&N"
ANSWER_LINES = 5  # the least room a long written answer gets on paper


class FittedRow(RowDimension):
    """A row whose height is a starting point, not fixed (no ``customHeight``): Excel and
    LibreOffice refit it to its text when a cell in it is edited."""

    @property
    def customHeight(self) -> bool:
        return False


@dataclass(frozen=True)
class TextBox:
    """What a cell shows, as far as its height goes."""

    text: str
    width: float  # characters of column width (the sum over a merge)
    size: float = NORMAL_SIZE
    bold: bool = False
    wrap: bool = True


def word_points(word: str, size: float, bold: bool) -> float:
    ems = sum(CAPITAL_EM if ch.isupper() else DIGIT_EM if ch.isdigit() else LETTER_EM
              for ch in word)
    return ems * size * (BOLD_FACTOR if bold else 1.0)


def _paragraph_lines(words: list[str], room: float, size: float, bold: bool) -> int:
    lines, used = 1, 0.0
    for word in words:
        need = word_points(word, size, bold)
        gap = SPACE_EM * size if used else 0.0
        if used + gap + need <= room:
            used += gap + need
            continue
        if used:
            lines += 1
        extra = max(math.ceil(need / room) - 1, 0)  # a word longer than a line breaks
        lines += extra
        used = need - extra * room
    return lines


def text_lines(box: TextBox) -> int:
    """Lines the text takes: one per paragraph when it does not wrap."""
    paragraphs = box.text.split("\n")
    if not box.wrap:
        return len(paragraphs)
    room = max(box.width * UNIT_POINTS - CELL_MARGIN, box.size)
    return sum(_paragraph_lines(p.split(), room, box.size, box.bold) for p in paragraphs)


def text_height(box: TextBox) -> float:
    """Points of row height the text needs."""
    return round(text_lines(box) * box.size * LINE_EM + ROW_PADDING, 1)


def row_heights(boxes: Iterable[tuple[int, TextBox]], empty_size: float = NORMAL_SIZE,
                rows: int = 0) -> dict[int, float]:
    """Row -> the height of its tallest text; rows 1..``rows`` without text get one line."""
    heights = {row: text_height(TextBox("", 1, empty_size)) for row in range(1, rows + 1)}
    for row, box in boxes:
        heights[row] = max(heights.get(row, 0.0), text_height(box))
    return heights


def spans(widths: Mapping[int, float], merges: Iterable[tuple[int, int, int, int]],
          default: float) -> dict[tuple[int, int], float]:
    """(row, col) of each merge's top-left cell -> the width of the columns it spans."""
    return {(r1, c1): sum(widths.get(c, default) for c in range(c1, c2 + 1))
            for r1, c1, _r2, c2 in merges}


def landscape(width_chars: float) -> bool:
    """Whether a tab this wide (in characters) needs a landscape page to stay legible."""
    room = A4[0] - (PORTRAIT_MARGINS["left"] + PORTRAIT_MARGINS["right"]) * MM
    return room / (width_chars * UNIT_POINTS) < SMALLEST_PORTRAIT_SCALE


def use_times_new_roman(book: Workbook) -> None:
    """Times New Roman 12 as the workbook's default font: empty cells match, and column
    widths are counted in its digits (as :data:`UNIT_POINTS` assumes)."""
    font = Font(name=FONT, size=NORMAL_SIZE)
    book._fonts = type(book._fonts)([font])  # no public API for the default font
    book._named_styles["Normal"].font = font


def set_up_page(sheet: Worksheet, *, wide: bool, title_rows: tuple[int, int] | None,
                heights: Mapping[int, float], fitted: Collection[int] = ()) -> None:
    """A4, one page wide, page numbers "Trang x/y" in the top margin, the header rows on
    every page, and every row at its computed height: fixed, but for the ``fitted`` rows."""
    for row, height in heights.items():
        if row in fitted:
            sheet.row_dimensions[row] = FittedRow(sheet, index=row, ht=height)
        else:
            sheet.row_dimensions[row].height = height
    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = "landscape" if wide else "portrait"
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    margins = LANDSCAPE_MARGINS if wide else PORTRAIT_MARGINS
    for side, mm in margins.items():
        setattr(sheet.page_margins, side, mm / 25.4)  # openpyxl takes inches
    sheet.page_margins.header = sheet.page_margins.footer = HEADER_MARGIN / 25.4
    header = sheet.oddHeader.center
    header.text, header.font, header.size = PAGE_NUMBER, f"{FONT},Regular", 11
    if title_rows:
        sheet.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"

"""Printing on A4: the province summary's Phụ lục and the commune workbook, read back with
openpyxl. Page setup (A4, landscape for wide tabs, one page wide, print titles, "Trang x/y"),
every row at least as tall as its wrapped text needs, the signature block, and each figure's
coverage on the summary tab."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.worksheet.worksheet import Worksheet

from tests.test_summary import ISSUES, RECORDS, A, B, C, D, F, _result
from tests.workbooks import TEXTS
from ttcs.campaign import registry
from ttcs.campaign.settings import load_campaign
from ttcs.outputs.consolidate import consolidate
from ttcs.outputs.summary import summary_model
from ttcs.outputs.summary_xlsx import write_summary_xlsx
from ttcs.workbook.layout import workbook_layout
from ttcs.workbook.print_layout import (
    ANSWER_LINES,
    CELL_MARGIN,
    UNIT_POINTS,
    TextBox,
    text_height,
    text_lines,
    word_points,
)
from ttcs.workbook.template import render_workbook

APPENDICES = ["Phụ lục 01", "Phụ lục 02", "Phụ lục 03", "Phụ lục 03 (tiếp)"]
WIDE_TABS = ["PL01", "PL02", "PL03", "Đánh giá"]
NARROW_TABS = ["Hướng dẫn", "Xác nhận"]


@pytest.fixture(scope="module")
def figures(form):
    return consolidate(form, RECORDS, [A, B, C, D, F])


@pytest.fixture(scope="module")
def summary(form, figures, tmp_path_factory) -> openpyxl.Workbook:
    campaign = load_campaign()
    tabs = summary_model(campaign, form, _result(campaign, figures, issues=ISSUES))
    return openpyxl.load_workbook(write_summary_xlsx(
        tabs, tmp_path_factory.mktemp("print") / "tong-hop.xlsx"))


@pytest.fixture(scope="module", params=["18859", "00070"])  # 3 and 11 old units
def template(request, form, tmp_path_factory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("print") / f"{request.param}.xlsx"
    return openpyxl.load_workbook(render_workbook(form, registry.unit(request.param), TEXTS,
                                                  path))


def _assert_a4(ws: Worksheet, orientation: str) -> None:
    setup = ws.page_setup
    assert int(setup.paperSize) == 9, ws.title  # A4
    assert setup.orientation == orientation, ws.title
    assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0), ws.title
    assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
    assert ws.oddHeader.center.text == "Trang &P/&N", ws.title
    assert ws.page_margins.left >= 20 / 25.4 - 1e-6 and ws.page_margins.right >= 15 / 25.4 - 1e-6


def _header_row(ws: Worksheet) -> int:
    first, last = ws.print_title_rows.replace("$", "").split(":")
    assert first == last
    return int(first)


def test_summary_appendices_print_on_a4_landscape_with_titles(summary) -> None:
    for name in APPENDICES:
        ws = summary[name]
        _assert_a4(ws, "landscape")
        header = _header_row(ws)
        assert ws.cell(header, 1).value == "STT"
        # the repeated header is the table's own header, never a data row
        assert ws.cell(header + 1, 1).value in ("I", 1)  # the first period or unit row
    for ws in summary.worksheets:  # every other tab prints the same way
        _assert_a4(ws, "landscape")


def test_template_prints_wide_tabs_landscape_and_the_others_portrait(template) -> None:
    for name in WIDE_TABS:
        _assert_a4(template[name], "landscape")
        header = _header_row(template[name])
        assert template[name].cell(header, 1).value in ("Mã đơn vị", "Mục", "Đối tượng")
    for name in NARROW_TABS:
        _assert_a4(template[name], "portrait")
    assert template["PL01"].print_title_rows == "$4:$4"


def test_appendices_end_with_the_signature_block(summary) -> None:
    for name in APPENDICES:
        ws = summary[name]
        texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
        assert "(Kèm theo Báo cáo số …/BC-SVHTTDL ngày … tháng … năm 2025)" in texts[:8]
        tail = texts[-5:]
        assert tail == ["Quảng Trị, ngày … tháng … năm 2025", "NGƯỜI LẬP BIỂU",
                        "THỦ TRƯỞNG ĐƠN VỊ", "(Ký, ghi rõ họ tên)",
                        "(Ký, ghi rõ họ tên, đóng dấu)"], name
        left = next(c for row in ws.iter_rows() for c in row if c.value == "NGƯỜI LẬP BIỂU")
        right = ws.cell(left.row, next(c.column for c in ws[left.row]
                                       if c.value == "THỦ TRƯỞNG ĐƠN VỊ"))
        assert left.column == 1 and right.column > 2 and left.font.bold and right.font.bold


def test_summary_tab_states_every_figures_coverage(summary, form, figures) -> None:
    ws = summary["Tổng hợp"]
    rows = {ws.cell(r, 3).value: r for r in range(1, ws.max_row + 1)}
    checked = 0
    for ind in form.indicators:
        data = figures.indicators[ind.id]
        row = rows[data["label"]]
        assert ws.cell(row, 5).value == f"{data['covered']}/{data['expected']}", ind.id
        assert data["coverage"] in ws.cell(row, 9).value
        if data.get("rate") is not None:
            assert ws.cell(row, 6).value == pytest.approx(data["rate"], abs=1e-4)
            assert ws.cell(row, 7).value == pytest.approx(data["value"] / data["expected"])
            checked += 1
        for col in (6, 7):  # a percentage column holds percentages only
            cell = ws.cell(row, col)
            assert cell.value is None or (0 <= cell.value <= 1 and cell.number_format == "0.0%")
        if ind.per:
            assert ws.cell(row, 8).value == pytest.approx(data["ratio"], abs=0.01)
    assert checked >= 10
    assert sum(ws.cell(rows[figures.indicators[i.id]["label"]], 8).value is not None
               for i in form.indicators) == sum(bool(i.per) for i in form.indicators) > 0


# --- row heights --------------------------------------------------------------------------------

WORDS = st.text(st.characters(codec="utf-8", categories=("L", "N", "P")), min_size=1,
                max_size=30)
TEXTS_ = st.lists(WORDS, max_size=40).map(" ".join)


@given(TEXTS_, st.floats(4, 120), st.sampled_from([10, 11, 12, 13, 14]), st.booleans())
def test_the_lines_counted_hold_the_text(text: str, width: float, size: int, bold: bool) -> None:
    box = TextBox(text, width, size, bold)
    room = max(width * UNIT_POINTS - CELL_MARGIN, size)
    words = [word_points(w, size, bold) for w in text.split()]
    lines = text_lines(box)
    assert lines * room >= sum(words)  # every word has a place on some line
    assert lines <= max(1, len(words)) + sum(math.ceil(w / room) for w in words)  # no waste
    assert text_height(box) >= lines * size  # each line at least its font size


@given(TEXTS_, TEXTS_, st.floats(4, 120), st.floats(0, 60), st.sampled_from([11, 13]))
def test_more_text_or_a_narrower_column_never_needs_less_height(
        text: str, more: str, width: float, wider: float, size: int) -> None:
    box = TextBox(text, width, size)
    assert text_height(TextBox(f"{text} {more}", width, size)) >= text_height(box)
    assert text_height(TextBox(text, width + wider, size)) <= text_height(box)
    assert text_height(TextBox(text, width, size, wrap=False)) <= text_height(box)


def _widths(ws: Worksheet) -> dict[tuple[int, int], float]:
    """(row, col) of each text cell -> the width it wraps in (its merge's, if merged)."""
    def width(col: int) -> float:
        letter = openpyxl.utils.get_column_letter(col)
        dim = ws.column_dimensions.get(letter)
        return dim.width if dim is not None and dim.width else 9.0

    spans = {(m.min_row, m.min_col): sum(width(c) for c in range(m.min_col, m.max_col + 1))
             for m in ws.merged_cells.ranges}
    return {(cell.row, cell.column): spans.get((cell.row, cell.column), width(cell.column))
            for row in ws.iter_rows() for cell in row if cell.value is not None}


def _sweep(book: openpyxl.Workbook) -> int:
    """Every written row is at least as tall as each of its texts needs; the rows checked."""
    checked = 0
    for ws in book.worksheets:
        for (row, col), width in _widths(ws).items():
            cell = ws.cell(row, col)
            if cell.data_type == "f":
                continue  # a formula's text is the spreadsheet's to compute
            text = cell.value if isinstance(cell.value, str) else "0"
            need = text_height(TextBox(text, width, cell.font.size, bool(cell.font.bold),
                                       bool(cell.alignment.wrap_text)))
            height = ws.row_dimensions[row].height
            assert height is not None and height >= need, (ws.title, cell.coordinate, text)
            checked += 1
    return checked


def test_no_summary_row_is_shorter_than_its_text(summary) -> None:
    assert _sweep(summary) > 500


def test_no_template_row_is_shorter_than_its_text(template) -> None:
    assert _sweep(template) > 100
    confirm = template["Xác nhận"]
    label = next(c for c in confirm["A"] if str(c.value).startswith("Đã hoàn thành"))
    assert confirm.row_dimensions[label.row].height >= 3 * 11  # three lines in column A


def test_print_rule_sees_long_vietnamese_labels() -> None:
    """A 60-character label in a 16-character column takes several lines."""
    label = "Đã chuyển đổi đài có dây/FM sang ứng dụng CNTT-VT (Có/Không)"
    assert text_lines(TextBox(label, 16, 11, bold=True)) >= 4
    assert text_lines(TextBox(label, 200, 11)) == 1
    assert text_lines(TextBox("a\nb\nc", 200, 11, wrap=False)) == 3


LONG = ("Xã đã ban hành Kế hoạch số 12/KH-UBND ngày 15/3/2025 về thông tin cơ sở; tuyên truyền "
        "thường xuyên trên hệ thống loa truyền thanh và trang thông tin điện tử. ") * 6
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _fixed_rows(path: Path) -> dict[str, dict[int, bool]]:
    """Tab -> row -> whether its height is fixed (``customHeight``), as written in the file."""
    with zipfile.ZipFile(path) as archive:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        names = [s.get("name") for s in book.iter(f"{MAIN}sheet")]
        return {name: {int(row.get("r")): row.get("customHeight") == "1"
                       for row in ElementTree.fromstring(archive.read(
                           f"xl/worksheets/sheet{index}.xml")).iter(f"{MAIN}row")}
                for index, name in enumerate(names, start=1)}


def test_long_answers_get_room_and_follow_their_text(form, tmp_path) -> None:
    """A long written answer (assessment, Thuận lợi/Khó khăn/Nguyên nhân, training contents)
    gets several lines even when blank, a row as tall as the text typed in, and a height that
    is not fixed: the spreadsheet refits the row when the commune edits it. Every other row
    keeps its computed, fixed height."""
    unit = registry.unit("18859")
    layouts = workbook_layout(form, unit, TEXTS)
    answers = {c.ref: LONG for t in layouts for c in t.cells if c.answer}
    assert {ref[0] for ref in answers} == {"sections", "PL01.pl01_texts", "PL02.pl02_texts",
                                           "PL03.training", "PL03.pl03_texts"}
    blank = _fixed_rows(render_workbook(form, unit, TEXTS, tmp_path / "blank.xlsx"))
    path = render_workbook(form, unit, TEXTS, tmp_path / "filled.xlsx", answers)
    filled, book = _fixed_rows(path), openpyxl.load_workbook(path)
    assert _sweep(book) > 100  # the typed answers included
    room = text_height(TextBox("\n" * (ANSWER_LINES - 1), 1, 11))
    fitted = 0
    for layout in layouts:
        for row, fixed in blank[layout.name].items():
            assert fixed == (row not in layout.fitted_rows) == filled[layout.name][row]
        for row in layout.fitted_rows:
            assert book[layout.name].row_dimensions[row].height >= room
            fitted += 1
    sections = sum(ref[0] == "sections" for ref in answers)
    assert fitted == len(answers) == sections + 10 > 20  # + 3 x 3 texts, training contents
    assessment = book["Đánh giá"]
    row = next(c.row for c in assessment["C"] if c.value == LONG)
    assert assessment.row_dimensions[row].height > room  # the long text, not the minimum

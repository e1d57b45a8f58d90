"""The commune workbook template (.xlsx): tabs, pre-filled keys, dropdowns, protection, widths."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from tests.conftest import cli
from tests.workbooks import TEXTS, Book
from ttcs.campaign import registry
from ttcs.workbook.layout import workbook_layout
from ttcs.workbook.template import render_workbook
from ttcs.workbook.xlsx import read_xlsx

TABS = ["Hướng dẫn", "PL01", "PL02", "PL03", "Đánh giá", "Xác nhận"]


@pytest.fixture(scope="module")
def dong_thuan(form, tmp_path_factory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("template") / "18859.xlsx"
    render_workbook(form, registry.unit("18859"), TEXTS, path)
    return openpyxl.load_workbook(path)


def _validated(sheet: Worksheet) -> dict[str, list]:
    """Cell address -> the data validations that cover it."""
    covered: dict[str, list] = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            for row in sheet.iter_rows(min_row=cell_range.min_row, max_row=cell_range.max_row,
                                       min_col=cell_range.min_col, max_col=cell_range.max_col):
                for cell in row:
                    covered.setdefault(cell.coordinate, []).append(validation)
    return covered


def test_tabs(dong_thuan) -> None:
    assert dong_thuan.sheetnames == TABS


def test_unit_code_and_name_on_every_tab(dong_thuan) -> None:
    for sheet in dong_thuan.worksheets:
        assert [sheet[a].value for a in ("A2", "B2", "C2", "D2")] == [
            "Mã đơn vị", "18859", "Tên đơn vị", "Phường Đồng Thuận"], sheet.title
        assert sheet["B2"].data_type == "s"
        assert sheet["B2"].protection.locked


@pytest.mark.parametrize("tab", ["PL01", "PL02"])
def test_predecessor_rows_prefilled(dong_thuan, tab: str) -> None:
    sheet = dong_thuan[tab]
    assert [sheet.cell(4, c).value for c in (1, 2, 3)] == ["Mã đơn vị", "Tên đơn vị", "Thời điểm"]
    rows = [tuple(sheet.cell(r, c).value for c in (1, 2, 3)) for r in range(5, 9)]
    assert rows == [
        ("18859", "Phường Bắc Lý", "Trước 01/7/2025"),
        ("18883", "Xã Quang Phú", "Trước 01/7/2025"),
        ("18886", "Xã Lộc Ninh", "Trước 01/7/2025"),
        ("18859", "Phường Đồng Thuận", "Sau 01/7/2025"),
    ]
    assert sheet.cell(9, 1).value is None  # no more unit rows


def test_codes_with_leading_zeros_stored_as_text(form, tmp_path: Path) -> None:
    """Phường Hoàn Kiếm 00070: every code is a text cell, so no spreadsheet drops the zeros."""
    path = render_workbook(form, registry.unit("00070"), TEXTS, tmp_path / "hk.xlsx")
    sheet = openpyxl.load_workbook(path)["PL01"]
    codes = [sheet.cell(r, 1) for r in range(5, 17)]
    assert [c.value for c in codes] == ["00040", "00043", "00046", "00049", "00052", "00055",
                                        "00058", "00061", "00064", "00070", "00076", "00070"]
    assert all(c.data_type == "s" and c.number_format == "@" for c in codes)
    assert sheet["B2"].value == "00070" and sheet["B2"].number_format == "@"
    raw = read_xlsx(path)["PL01"]  # what the parser gets: still text with its zeros
    assert raw[1][1] == "00070" and raw[4][0] == "00040"


def test_island_district_code(form, tmp_path: Path) -> None:
    path = render_workbook(form, registry.unit("19742"), TEXTS, tmp_path / "cc.xlsx")
    sheet = openpyxl.load_workbook(path)["PL02"]
    assert [(sheet.cell(r, 1).value, sheet.cell(r, 2).value) for r in (5, 6)] == [
        ("471", "Huyện Cồn Cỏ"), ("19742", "Đặc khu Cồn Cỏ")]


def test_dropdowns_and_whole_number_validation(form, dong_thuan) -> None:
    layout = workbook_layout(form, registry.unit("18859"), TEXTS)
    checked = {"yesno": 0, "count": 0}
    for tab in layout:
        covered = _validated(dong_thuan[tab.name])
        for cell in tab.cells:
            address = f"{openpyxl.utils.get_column_letter(cell.col)}{cell.row}"
            if cell.validation is None:  # at most the live checks' input message
                assert all(v.type is None and v.prompt for v in covered.get(address, [])), (
                    tab.name, address)
                continue
            (validation,) = covered[address]
            assert validation.allow_blank and validation.showErrorMessage
            if cell.validation == "yesno":
                assert (validation.type, validation.formula1) == ("list", '"Có,Không"')
            else:
                assert cell.validation == "count"
                low = "1" if cell.ref[2] == "villages" else "0"  # villages: min 1 in the form
                assert (validation.type, validation.operator, validation.formula1) == (
                    "whole", "greaterThanOrEqual", low)
            checked[cell.validation] += 1
    # yes/no: PL01 5 x 4 rows, PL02 1 x 4, the completion mark.
    # counts: PL01 2 (after 01/7/2025 only), PL02 2 x 4, PL03 6 x 3 + 2.
    assert checked == {"yesno": 20 + 4 + 1, "count": 2 + 8 + 20}


def test_protection(form, dong_thuan) -> None:
    layout = workbook_layout(form, registry.unit("18859"), TEXTS)
    for tab in layout:
        sheet = dong_thuan[tab.name]
        assert sheet.protection.sheet, tab.name
        assert sheet.protection.password is None  # a coordinator may unprotect by hand
        roles = {cell.role for cell in tab.cells}
        for cell in tab.cells:
            locked = sheet.cell(cell.row, cell.col).protection.locked
            assert locked == (cell.role != "input"), (tab.name, cell.row, cell.col, cell.role)
        if tab.name != "Hướng dẫn":
            assert {"title", "label", "key", "input"} <= roles
    pl01 = dong_thuan["PL01"]
    assert pl01["A5"].protection.locked and pl01["B5"].protection.locked  # code and name
    assert pl01["D4"].protection.locked  # header
    assert not pl01["D5"].protection.locked and not pl01["J8"].protection.locked
    assert pl01["J5"].protection.locked  # villages: not asked before 01/7/2025


def test_widths_wrap_and_frozen_headers(dong_thuan) -> None:
    pl01 = dong_thuan["PL01"]
    assert pl01.column_dimensions["B"].width == 26
    assert all(pl01.column_dimensions[c].width == 16 for c in "EFGHIJ")
    assert all(pl01.cell(4, c).alignment.wrap_text for c in range(1, 11))
    assert len(pl01["H4"].value) > 50  # the long header that needs the wrap
    assert pl01.freeze_panes == "A5"
    sections = dong_thuan["Đánh giá"]
    assert [sections.column_dimensions[c].width for c in "ABC"] == [10, 60, 90]
    assert sections["C5"].alignment.wrap_text and sections["B5"].alignment.wrap_text


def test_guide_in_vietnamese(dong_thuan) -> None:
    guide = dong_thuan["Hướng dẫn"]
    lines = [guide.cell(r, 1).value for r in range(1, guide.max_row + 1)]
    text = "\n".join(line for line in lines if isinstance(line, str))
    assert "HƯỚNG DẪN ĐIỀN BIỂU MẪU" in text
    assert "Số liệu tính đến ngày 30/09/2025. Hạn gửi báo cáo: 17:00 ngày 30/09/2025." in text
    assert 'chọn "Có" ở ô "Đã hoàn thành"' in text


def test_layout_written_as_described(form, dong_thuan) -> None:
    """The .xlsx shows exactly the layout (the description the Sheets renderer shares)."""
    for tab in workbook_layout(form, registry.unit("18859"), TEXTS):
        sheet = dong_thuan[tab.name]
        for cell in tab.cells:
            assert sheet.cell(cell.row, cell.col).value == cell.value
        assert {str(m) for m in sheet.merged_cells.ranges} == {
            f"{openpyxl.utils.get_column_letter(c1)}{r1}:"
            f"{openpyxl.utils.get_column_letter(c2)}{r2}" for r1, c1, r2, c2 in tab.merges}


def test_answers_written_as_typed(form, tmp_path: Path) -> None:
    book = Book(form, "18859", tmp_path / "filled.xlsx", answers={
        ("sections", "D.3", "answer"): "=1+1 là kiến nghị",
        ("PL03.training", "", "training_sessions"): 4,
    })
    assert book.cell(("sections", "D.3", "answer")).value == "=1+1 là kiến nghị"
    assert book.cell(("sections", "D.3", "answer")).data_type == "s"
    assert book.cell(("PL03.training", "", "training_sessions")).value == 4


def test_cli_template(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "dong-thuan.xlsx"
    result = cli("template", "--province", "44", "--unit", "18859", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Phường Đồng Thuận (18859)" in result.stdout
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == TABS
    assert book["PL01"]["A7"].value == "18886"


def test_cli_template_unknown_unit(tmp_path: Path) -> None:
    result = cli("template", "--unit", "99999", "--out", str(tmp_path / "x.xlsx"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "99999" in result.stderr
    assert not (tmp_path / "x.xlsx").exists()

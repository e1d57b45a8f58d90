"""Messy commune workbooks: real .xlsx files damaged with openpyxl, read back and validated.

Every case starts from a completely and correctly filled workbook of Phường Đồng Thuận (18859;
its old units Phường Bắc Lý 18859, Xã Quang Phú 18883, Xã Lộc Ninh 18886), changes what a
commune would change, and asserts either the exact value read or the exact issue (sheet, A1
cell, field, rule, kind, severity). Layout of the rendered workbook:

* PL01 header row 4; rows 5 Bắc Lý (before), 6 Quang Phú, 7 Lộc Ninh, 8 Đồng Thuận (after);
  columns A code, B name, C period, D has_station, E kind_wired, F kind_fm, G kind_it,
  H converted_to_it, I it_clusters, J villages.
* PL02 same rows; D has_website, E website_url, F boards, G boards_connected.
* PL03 header row 4; rows 5-7 culture_officials, station_staff, propagandists; B total,
  C-F education levels, G trained; B10 training_sessions, B11 participants, B12 contents.
* Đánh giá: answers in column C from row 5 (A.1) to row 22 (D.3); B.IV.2 is C12.
* Xác nhận: B4 preparer_name, B5 position, B6 phone, B7 completion mark.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest

from tests.workbooks import (
    BAC_LY,
    CON_CO,
    CON_CO_DISTRICT,
    DONG_THUAN,
    LOC_NINH,
    QUANG_PHU,
    Book,
    confirm,
    read_at,
    section,
    staff,
    station,
    summary,
    training,
    value_at,
    web,
)
from ttcs.workbook.layout import Ref

NBSP = "\u00a0"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.fixture
def book(form, tmp_path: Path) -> Book:
    """A complete, valid workbook of Phường Đồng Thuận."""
    return Book(form, DONG_THUAN, tmp_path / "book.xlsx")


def _yes(book: Book, *refs: Ref) -> None:
    for ref in refs:
        book.set(ref, "Có")


def _no(book: Book, *refs: Ref) -> None:
    for ref in refs:
        book.set(ref, "Không")


def test_filled_workbook_is_submitted_without_issues(book: Book) -> None:
    verdict = book.verdict()
    assert (verdict.unit, verdict.status, verdict.issues) == (DONG_THUAN, "submitted", [])
    rows = verdict.parsed.tables["PL01.stations"]
    assert [(r.key, r.period, r.name) for r in rows] == [
        (BAC_LY, "before", "Phường Bắc Lý"),
        (QUANG_PHU, "before", "Xã Quang Phú"),
        (LOC_NINH, "before", "Xã Lộc Ninh"),
        (DONG_THUAN, "after", "Phường Đồng Thuận"),
    ]
    for ref, typed in book.answers.items():
        expected = {"Có": True, "Không": False}.get(typed, typed)
        assert value_at(verdict, ref) == expected, ref


def test_blank_template_is_not_started(form, tmp_path: Path) -> None:
    verdict = Book(form, DONG_THUAN, tmp_path / "blank.xlsx", filled=False).verdict()
    assert verdict.status == "not_started"
    assert verdict.issues and all(i.kind == "missing" for i in verdict.issues)
    assert ("PL01", "D5", "has_station", "required", "missing", "error") in summary(verdict)
    assert ("Đánh giá", "C5", "A.1", "required", "missing", "error") in summary(verdict)


# -- values read as the commune meant them -----------------------------------------------------

READ_CASES: list[tuple[str, Ref, Any, Any, str]] = [
    # Vietnamese numbers
    ("dot thousands", training("training_participants"), "1.234", 1234, "B11"),
    ("space thousands", training("training_participants"), "1 234", 1234, "B11"),
    ("nbsp thousands", training("training_participants"), f"1{NBSP}234", 1234, "B11"),
    ("decimal comma zero", web(QUANG_PHU, "before", "boards"), "12,0", 12, "F6"),
    ("unit word", web(QUANG_PHU, "before", "boards"), "12 cái", 12, "F6"),
    ("float that is whole", web(QUANG_PHU, "before", "boards"), 3.0, 3, "F6"),
    ("text float that is whole", web(QUANG_PHU, "before", "boards"), "3.0", 3, "F6"),
    ("stray spaces in number", web(QUANG_PHU, "before", "boards"), f" {NBSP}7 {NBSP}", 7, "F6"),
    ("dash is zero", web(QUANG_PHU, "before", "boards"), "-", 0, "F6"),
    ("word zero", web(QUANG_PHU, "before", "boards"), "không có", 0, "F6"),
    # yes / no
    ("Có", station(QUANG_PHU, "before", "kind_wired"), "Có", True, "E6"),
    ("có", station(QUANG_PHU, "before", "kind_wired"), "có", True, "E6"),
    ("CÓ", station(QUANG_PHU, "before", "kind_wired"), "CÓ", True, "E6"),
    ("x", station(QUANG_PHU, "before", "kind_wired"), "x", True, "E6"),
    ("X", station(QUANG_PHU, "before", "kind_wired"), "X", True, "E6"),
    ("number 1", station(QUANG_PHU, "before", "kind_wired"), 1, True, "E6"),
    ("text 1", station(QUANG_PHU, "before", "kind_wired"), "1", True, "E6"),
    ("yes", station(QUANG_PHU, "before", "kind_wired"), "yes", True, "E6"),
    ("rồi", station(QUANG_PHU, "before", "kind_wired"), "rồi", True, "E6"),
    ("checkbox TRUE", station(QUANG_PHU, "before", "kind_wired"), True, True, "E6"),
    ("NFD có", station(QUANG_PHU, "before", "kind_wired"), nfd("có"), True, "E6"),
    ("Có with nbsp", station(QUANG_PHU, "before", "kind_wired"), f"  Có{NBSP}", True, "E6"),
    ("Không", station(QUANG_PHU, "before", "kind_wired"), "Không", False, "E6"),
    ("không", station(QUANG_PHU, "before", "kind_wired"), "không", False, "E6"),
    ("NFD KHÔNG", station(QUANG_PHU, "before", "kind_wired"), nfd("KHÔNG"), False, "E6"),
    ("number 0", station(QUANG_PHU, "before", "kind_wired"), 0, False, "E6"),
    ("ko", station(QUANG_PHU, "before", "kind_wired"), "ko", False, "E6"),
    # text
    ("NFD text", section("B.IV.2"), nfd("Chuyển đổi số"), "Chuyển đổi số", "C12"),
    ("formula-like text", section("B.IV.2"), "=SUM(A1:A3)", "=SUM(A1:A3)", "C12"),
    ("stray spaces in text", confirm("preparer_name"), f" Lê{NBSP} Thị   Hoa ", "Lê Thị Hoa",
     "B4"),
    ("url without scheme", web(QUANG_PHU, "before", "website_url"), "quangphu.gov.vn",
     "quangphu.gov.vn", "E6"),
    ("phone with +84 and dots", confirm("preparer_phone"), "+84 912.345.678",
     "+84 912.345.678", "B6"),
]


@pytest.mark.parametrize(("ref", "typed", "expected", "cell"),
                         [case[1:] for case in READ_CASES], ids=[c[0] for c in READ_CASES])
def test_value_read(book: Book, ref: Ref, typed: Any, expected: Any, cell: str) -> None:
    # Quang Phú has a station with FM radio, no website boards connected and 12 training
    # sessions: every value above is then valid, whatever the sample answers were.
    _yes(book, station(QUANG_PHU, "before", "has_station"), station(QUANG_PHU, "before", "kind_fm"))
    book.set(web(QUANG_PHU, "before", "boards_connected"), 0)
    book.set(training("training_sessions"), 12)
    book.set(ref, typed)
    verdict = book.verdict()
    value = read_at(verdict, ref)
    assert (value.value, value.cell, value.blank, value.readable) == (expected, cell, False, True)
    assert type(value.value) is type(expected)
    assert verdict.issues == []
    assert verdict.status == "submitted"


def test_blank_yesno_where_not_required_reads_none(book: Book) -> None:
    _no(book, *(station(QUANG_PHU, "before", f) for f in ("has_station", "kind_fm", "kind_it",
                                                          "converted_to_it")))
    book.set(station(QUANG_PHU, "before", "kind_wired"), None)
    verdict = book.verdict()
    value = read_at(verdict, station(QUANG_PHU, "before", "kind_wired"))
    assert (value.value, value.blank, value.cell) == (None, True, "E6")
    assert verdict.issues == []


# -- one bad cell, one exact issue -------------------------------------------------------------

ISSUE_CASES: list[tuple[str, Ref, Any, tuple]] = [
    ("half a board", web(QUANG_PHU, "before", "boards"), 2.5,
     ("PL02", "F6", "boards", "type_count", "invalid", "error")),
    ("decimal comma half", web(QUANG_PHU, "before", "boards"), "2,5",
     ("PL02", "F6", "boards", "type_count", "invalid", "error")),
    ("negative number", web(QUANG_PHU, "before", "boards"), -1,
     ("PL02", "F6", "boards", "type_count", "invalid", "error")),
    ("negative text", web(QUANG_PHU, "before", "boards"), "-3",
     ("PL02", "F6", "boards", "type_count", "invalid", "error")),
    ("text in count", web(QUANG_PHU, "before", "boards"), "nhiều",
     ("PL02", "F6", "boards", "type_count", "invalid", "error")),
    ("approximate count", web(QUANG_PHU, "before", "boards"), "khoảng 10",
     ("PL02", "F6", "boards", "type_count", "invalid", "error")),
    ("below the field minimum", station(DONG_THUAN, "after", "villages"), 0,
     ("PL01", "J8", "villages", "type_count", "invalid", "error")),
    ("unclear yes/no", station(QUANG_PHU, "before", "kind_wired"), "có lẽ",
     ("PL01", "E6", "kind_wired", "type_yesno", "invalid", "error")),
    ("implausible website", web(QUANG_PHU, "before", "website_url"), "trang web của xã",
     ("PL02", "E6", "website_url", "type_url", "invalid", "error")),
    ("bad phone", confirm("preparer_phone"), "12345",
     ("Xác nhận", "B6", "preparer_phone", "type_phone", "invalid", "error")),
    ("website Có without address", web(QUANG_PHU, "before", "website_url"), None,
     ("PL02", "E6", "website_url", "required_when", "missing", "error")),
    ("kind blank while station Có", station(QUANG_PHU, "before", "kind_wired"), None,
     ("PL01", "E6", "kind_wired", "required_when", "missing", "error")),
    ("required yes/no blank", station(DONG_THUAN, "after", "has_station"), "  ",
     ("PL01", "D8", "has_station", "required", "missing", "error")),
    ("required count blank", web(LOC_NINH, "before", "boards_connected"), None,
     ("PL02", "G7", "boards_connected", "required", "missing", "error")),
    ("required section blank", section("A.1"), None,
     ("Đánh giá", "C5", "A.1", "required", "missing", "error")),
    ("required section only spaces", section("C.3"), f" {NBSP} ",
     ("Đánh giá", "C19", "C.3", "required", "missing", "error")),
    ("preparer blank", confirm("preparer_name"), None,
     ("Xác nhận", "B4", "preparer_name", "required", "missing", "error")),
    ("training contents blank while sessions > 0", training("training_contents"), None,
     ("PL03", "B12", "training_contents", "required_when", "missing", "error")),
]


@pytest.mark.parametrize(("ref", "typed", "issue"), [case[1:] for case in ISSUE_CASES],
                         ids=[c[0] for c in ISSUE_CASES])
def test_one_bad_cell(book: Book, ref: Ref, typed: Any, issue: tuple) -> None:
    _yes(book, station(QUANG_PHU, "before", "has_station"), station(QUANG_PHU, "before", "kind_fm"),
         web(QUANG_PHU, "before", "has_website"))
    book.set(training("training_sessions"), 12)
    book.set(ref, typed)
    verdict = book.verdict()
    assert summary(verdict) == [issue]
    assert verdict.status == "needs_fix"
    (found,) = verdict.issues
    assert found.unit == DONG_THUAN
    assert found.message.strip()
    value = read_at(verdict, ref)
    assert value.value is None
    assert value.cell == issue[1]


def test_unreadable_value_is_quoted_in_the_message(book: Book) -> None:
    book.set(web(QUANG_PHU, "before", "boards"), "2,5")
    (issue,) = book.verdict().issues
    assert issue.message == ('Ô F6 ("Số bảng tin điện tử công cộng"): giá trị "2,5" không phải '
                             "số nguyên; cần nhập số nguyên không âm (ví dụ 12)")


def test_optional_section_blank_is_fine(book: Book) -> None:
    book.set(section("B.IV.2"), None)
    verdict = book.verdict()
    assert verdict.issues == []
    assert read_at(verdict, section("B.IV.2")).blank


@pytest.mark.parametrize(("ref", "error", "issue"), [
    (web(QUANG_PHU, "before", "boards"), "#REF!",
     ("PL02", "F6", "boards", "type_count", "invalid", "error")),
    (station(DONG_THUAN, "after", "has_station"), "#N/A",
     ("PL01", "D8", "has_station", "type_yesno", "invalid", "error")),
    (training("training_contents"), "#VALUE!",
     ("PL03", "B12", "training_contents", "type_text", "invalid", "error")),
    (section("B.IV.2"), "#DIV/0!",
     ("Đánh giá", "C12", "B.IV.2", "type_text", "invalid", "error")),
], ids=["REF", "NA", "VALUE", "DIV0-optional-section"])
def test_error_value_cell(book: Book, ref: Ref, error: str, issue: tuple) -> None:
    book.set_error(ref, error)
    verdict = book.verdict()
    assert summary(verdict) == [issue]
    assert f'"{error}"' in verdict.issues[0].message
    assert read_at(verdict, ref).value is None


# -- cross-field rules -------------------------------------------------------------------------


def test_connected_boards_more_than_boards(book: Book) -> None:
    book.set(web(QUANG_PHU, "before", "boards"), 2)
    book.set(web(QUANG_PHU, "before", "boards_connected"), 5)
    verdict = book.verdict()
    assert summary(verdict) == [
        ("PL02", "G6", "boards_connected", "pl02_connected_le_boards", "contradiction", "error")]
    assert verdict.issues[0].message.startswith(
        "Ô G6: Số bảng tin kết nối Hệ thống thông tin nguồn tỉnh (5) lớn hơn tổng số bảng tin "
        "điện tử công cộng (2)")
    assert verdict.status == "needs_fix"


def test_converted_without_station(book: Book) -> None:
    row = QUANG_PHU
    _no(book, *(station(row, "before", f) for f in ("has_station", "kind_wired", "kind_fm")))
    _yes(book, station(row, "before", "kind_it"), station(row, "before", "converted_to_it"))
    verdict = book.verdict()
    assert summary(verdict) == [
        ("PL01", "D6", "has_station", "pl01_kind_needs_station", "contradiction", "error"),
        ("PL01", "H6", "converted_to_it", "pl01_converted_needs_station", "contradiction",
         "error"),
    ]


def test_converted_to_it_but_no_it_kind(book: Book) -> None:
    _yes(book, station(BAC_LY, "before", "has_station"), station(BAC_LY, "before", "kind_fm"),
         station(BAC_LY, "before", "converted_to_it"))
    _no(book, station(BAC_LY, "before", "kind_it"))
    verdict = book.verdict()
    assert summary(verdict) == [
        ("PL01", "G5", "kind_it", "pl01_converted_needs_it", "contradiction", "error")]
    assert "Phường Bắc Lý, trước 01/7/2025" in verdict.issues[0].message


def test_station_without_any_kind(book: Book) -> None:
    _yes(book, station(DONG_THUAN, "after", "has_station"))
    _no(book, *(station(DONG_THUAN, "after", f)
                for f in ("kind_wired", "kind_fm", "kind_it", "converted_to_it")))
    book.set(station(DONG_THUAN, "after", "it_clusters"), 0)
    assert summary(book.verdict()) == [
        ("PL01", "D8", "has_station", "pl01_station_needs_kind", "contradiction", "error")]


def test_education_levels_do_not_add_up(book: Book) -> None:
    for field, value in (("total", 10), ("edu_university", 4), ("edu_college", 3),
                         ("edu_intermediate", 2), ("edu_other", 0), ("trained", 5)):
        book.set(staff("propagandists", field), value)
    verdict = book.verdict()
    assert summary(verdict) == [
        ("PL03", "B7", "total", "pl03_education_sum", "contradiction", "error")]
    assert verdict.issues[0].message == (
        "Ô B7: Tổng số người (10) không bằng tổng các trình độ đào tạo (9) "
        "(dòng Tuyên truyền viên cơ sở)")


def test_trained_more_than_total(book: Book) -> None:
    for field, value in (("total", 2), ("edu_university", 2), ("edu_college", 0),
                         ("edu_intermediate", 0), ("edu_other", 0), ("trained", 3)):
        book.set(staff("station_staff", field), value)
    assert summary(book.verdict()) == [
        ("PL03", "G6", "trained", "pl03_trained_le_total", "contradiction", "error")]


def test_fewer_participants_than_sessions_is_a_warning(book: Book) -> None:
    book.set(training("training_sessions"), 12)
    book.set(training("training_participants"), 5)
    verdict = book.verdict()
    assert summary(verdict) == [("PL03", "B11", "training_participants",
                                 "pl03_participants_ge_sessions", "warning", "warning")]
    assert verdict.status == "submitted"  # a warning does not stop a submission
    assert verdict.errors == 0 and verdict.warnings == 1


def test_clusters_above_k_times_villages_is_a_warning(book: Book) -> None:
    _yes(book, station(DONG_THUAN, "after", "has_station"),
         station(DONG_THUAN, "after", "kind_it"))
    book.set(station(DONG_THUAN, "after", "villages"), 10)
    book.set(station(DONG_THUAN, "after", "it_clusters"), 51)  # k = 5 in config/form.yaml
    verdict = book.verdict()
    assert summary(verdict) == [
        ("PL01", "I8", "it_clusters", "pl01_clusters_per_village", "warning", "warning")]
    assert verdict.issues[0].message.startswith(
        "Ô I8: Số cụm thu phát thanh (51) lớn hơn 5 lần số thôn, tổ dân phố (10)")
    book.set(station(DONG_THUAN, "after", "it_clusters"), 50)
    assert book.verdict().issues == []


def test_clusters_without_it_radio(book: Book) -> None:
    _yes(book, station(DONG_THUAN, "after", "has_station"),
         station(DONG_THUAN, "after", "kind_fm"))
    _no(book, station(DONG_THUAN, "after", "kind_it"),
        station(DONG_THUAN, "after", "converted_to_it"))
    book.set(station(DONG_THUAN, "after", "it_clusters"), 3)
    assert summary(book.verdict()) == [
        ("PL01", "I8", "it_clusters", "pl01_clusters_need_it", "contradiction", "error")]


def test_website_address_without_website_is_a_warning(book: Book) -> None:
    _no(book, web(LOC_NINH, "before", "has_website"))
    book.set(web(LOC_NINH, "before", "website_url"), "locninh.gov.vn")
    verdict = book.verdict()
    assert summary(verdict) == [
        ("PL02", "E7", "website_url", "pl02_url_without_website", "warning", "warning")]
    assert '"locninh.gov.vn"' in verdict.issues[0].message


def test_implausible_board_count_is_a_warning(book: Book) -> None:
    book.set(web(QUANG_PHU, "before", "boards"), "1.234")
    book.set(web(QUANG_PHU, "before", "boards_connected"), 0)
    verdict = book.verdict()
    assert value_at(verdict, web(QUANG_PHU, "before", "boards")) == 1234
    assert summary(verdict) == [
        ("PL02", "F6", "boards", "pl02_boards_plausible", "warning", "warning")]


# -- status ------------------------------------------------------------------------------------


def test_marked_complete_with_errors_needs_fix(book: Book) -> None:
    book.set(web(QUANG_PHU, "before", "boards"), "nhiều")
    verdict = book.verdict()
    assert value_at(verdict, confirm("complete")) is True
    assert verdict.status == "needs_fix"


@pytest.mark.parametrize("mark", [None, "Không"])
def test_data_without_completion_mark_is_in_progress(book: Book, mark: Any) -> None:
    book.set(confirm("complete"), mark)
    verdict = book.verdict()
    assert (verdict.status, verdict.issues) == ("in_progress", [])


def test_data_with_errors_and_no_mark_is_in_progress(book: Book) -> None:
    book.set(confirm("complete"), None)
    book.set(section("A.1"), None)
    verdict = book.verdict()
    assert verdict.status == "in_progress"
    assert summary(verdict) == [("Đánh giá", "C5", "A.1", "required", "missing", "error")]


def test_one_value_in_a_blank_template_is_in_progress(form, tmp_path: Path) -> None:
    blank = Book(form, DONG_THUAN, tmp_path / "blank.xlsx", filled=False)
    blank.set(web(LOC_NINH, "before", "boards"), "2")
    verdict = blank.verdict()
    assert verdict.status == "in_progress"
    assert value_at(verdict, web(LOC_NINH, "before", "boards")) == 2


# -- layout changes: rows, columns, tabs -------------------------------------------------------


def test_rows_inserted_above_the_table_and_between_rows(book: Book) -> None:
    book.set(web(LOC_NINH, "before", "boards"), "nhiều")
    book.set(station(LOC_NINH, "before", "kind_fm"), "X")
    book.sheet("PL01").insert_rows(3, 2)  # above the header: rows 5.. move to 7..
    book.sheet("PL01").insert_rows(8, 3)  # blank rows between Bắc Lý (now 7) and Quang Phú
    book.sheet("PL02").insert_rows(6)  # between Bắc Lý and Quang Phú
    verdict = book.verdict()
    fm = read_at(verdict, station(LOC_NINH, "before", "kind_fm"))
    assert (fm.value, fm.cell) == (True, "F12")
    assert read_at(verdict, station(DONG_THUAN, "after", "villages")).cell == "J13"
    assert read_at(verdict, station(BAC_LY, "before", "has_station")).cell == "D7"
    assert summary(verdict) == [("PL02", "F8", "boards", "type_count", "invalid", "error")]
    assert verdict.issues[0].message.startswith('Ô F8 ("Số bảng tin điện tử công cộng")')


def test_extra_blank_rows_and_notes(book: Book) -> None:
    sheet = book.sheet("PL02")
    sheet.insert_rows(7, 2)
    sheet["A7"] = "Ghi chú: xã Lộc Ninh sáp nhập ngày 01/7/2025"  # text, not a code, no data
    sheet["K6"] = "số liệu năm 2024"  # a note in a free column to the right
    sheet.insert_rows(40, 5)
    verdict = book.verdict()
    assert verdict.issues == []
    assert [r.key for r in verdict.parsed.tables["PL02.web_boards"]] == [
        BAC_LY, QUANG_PHU, LOC_NINH, DONG_THUAN]
    assert read_at(verdict, web(LOC_NINH, "before", "boards")).cell == "F9"


def test_column_inserted_before_the_table(book: Book) -> None:
    book.set(station(DONG_THUAN, "after", "villages"), "0")
    book.sheet("PL01").insert_cols(1)
    verdict = book.verdict()
    assert summary(verdict) == [("PL01", "K8", "villages", "type_count", "invalid", "error")]
    assert read_at(verdict, station(QUANG_PHU, "before", "has_station")).cell == "E6"


def test_columns_inserted_and_swapped(book: Book) -> None:
    sheet = book.sheet("PL02")
    book.set(web(QUANG_PHU, "before", "boards"), 4)
    book.set(web(QUANG_PHU, "before", "boards_connected"), 1)
    for row in range(4, 9):  # swap "boards" (F) and "connected" (G), headers included
        sheet[f"F{row}"].value, sheet[f"G{row}"].value = (
            sheet[f"G{row}"].value, sheet[f"F{row}"].value)
    sheet.insert_cols(5)  # a new column between has_website (D) and the address
    verdict = book.verdict()
    assert verdict.issues == []
    boards = read_at(verdict, web(QUANG_PHU, "before", "boards"))
    connected = read_at(verdict, web(QUANG_PHU, "before", "boards_connected"))
    assert (boards.value, boards.cell, connected.value, connected.cell) == (4, "H6", 1, "G6")
    assert read_at(verdict, web(QUANG_PHU, "before", "website_url")).cell == "F6"


def test_matrix_columns_moved(book: Book) -> None:
    sheet = book.sheet("PL03")
    sheet.move_range("G4:G7", cols=3)  # "trained" moved from G to J
    book.set(staff("propagandists", "trained"), None)
    sheet["J7"] = 1
    verdict = book.verdict()
    trained = read_at(verdict, staff("propagandists", "trained"))
    assert (trained.value, trained.cell) == (1, "J7")
    assert verdict.issues == []


def test_header_labels_with_odd_spaces_and_nfd(book: Book) -> None:
    sheet = book.sheet("PL02")
    sheet["F4"] = nfd(f"  Số bảng tin{NBSP}điện tử   công cộng ")
    sheet["D4"] = "Có trang thông tin điện tử của UBND xã"  # the "(Có/Không)" hint dropped
    book.sheet("Xác nhận")["A6"] = f"Số điện thoại{NBSP}liên hệ :"
    book.set(web(QUANG_PHU, "before", "boards"), 3)
    book.set(web(QUANG_PHU, "before", "boards_connected"), 0)
    verdict = book.verdict()
    assert verdict.issues == []
    assert value_at(verdict, web(QUANG_PHU, "before", "boards")) == 3
    assert read_at(verdict, confirm("preparer_phone")).cell == "B6"


def test_header_renamed_beyond_recognition(book: Book) -> None:
    book.sheet("PL02")["F4"] = "Bảng tin"
    verdict = book.verdict()
    assert summary(verdict) == [("PL02", None, "boards", "column_missing", "missing", "error")]
    assert all("boards" not in row.values for row in verdict.parsed.tables["PL02.web_boards"])


def _rename(book: Book, old: str, new: str) -> None:
    book.sheet(old).title = "tmp-rename"  # openpyxl refuses a case-only rename in one step
    book.sheet("tmp-rename").title = new


@pytest.mark.parametrize(("old", "new"), [
    ("PL01", "PL01 "),
    ("PL02", "pl02"),
    ("PL01", "pl01"),
    ("PL03", "Nhân lực TTCS"),  # a totally different name: found by its content
    ("Đánh giá", "Sheet1"),
    ("Xác nhận", nfd("xác nhận")),
])
def test_renamed_tab(book: Book, old: str, new: str) -> None:
    tab_id = next(t.id for t in book.form.tabs if t.name == old)
    _rename(book, old, new)
    verdict = book.verdict()
    assert (verdict.status, verdict.issues) == ("submitted", [])
    assert verdict.parsed.tabs[tab_id] == new
    for ref, typed in book.answers.items():
        if book.tab(ref) == old:
            assert read_at(verdict, ref).sheet == new
            assert value_at(verdict, ref) == {"Có": True, "Không": False}.get(typed, typed)


def test_deleted_tab(book: Book) -> None:
    del book.book["PL02"]
    verdict = book.verdict()
    assert summary(verdict) == [(None, None, None, "tab_missing", "missing", "error")]
    assert '"PL02"' in verdict.issues[0].message
    assert "PL02" not in verdict.parsed.tabs
    assert "PL02.web_boards" not in verdict.parsed.tables
    assert verdict.status == "needs_fix"


def test_deleted_predecessor_row(book: Book) -> None:
    book.sheet("PL01").delete_rows(6)
    verdict = book.verdict()
    assert summary(verdict) == [("PL01", None, None, "row_missing", "missing", "error")]
    assert "Xã Quang Phú (mã 18883, trước 01/7/2025)" in verdict.issues[0].message
    assert [r.key for r in verdict.parsed.tables["PL01.stations"]] == [
        BAC_LY, LOC_NINH, DONG_THUAN]


def test_unknown_unit_code_row(book: Book) -> None:
    book.put("PL02", "A6", "18999")
    verdict = book.verdict()
    assert summary(verdict) == [
        ("PL02", "A6", None, "row_unknown", "invalid", "error"),
        ("PL02", None, None, "row_missing", "missing", "error"),
    ]
    assert '"18999"' in verdict.issues[0].message


def test_name_typed_instead_of_code(book: Book) -> None:
    book.put("PL01", "A7", "Xã Lộc Ninh")
    verdict = book.verdict()
    assert summary(verdict) == [
        ("PL01", "A7", None, "row_unknown", "invalid", "error"),
        ("PL01", None, None, "row_missing", "missing", "error"),
    ]
    # the rows after it are still read
    assert value_at(verdict, station(DONG_THUAN, "after", "villages")) == (
        book.answers[station(DONG_THUAN, "after", "villages")])


def test_data_row_without_code(book: Book) -> None:
    book.put("PL01", "A6", None)
    verdict = book.verdict()
    assert summary(verdict) == [
        ("PL01", "A6", None, "row_without_code", "invalid", "error"),
        ("PL01", None, None, "row_missing", "missing", "error"),
    ]


def test_duplicated_row(book: Book) -> None:
    sheet = book.sheet("PL02")
    sheet.insert_rows(8)
    for col in range(1, 8):
        sheet.cell(8, col).value = sheet.cell(7, col).value
    sheet["F8"] = 99  # the copy is not read
    verdict = book.verdict()
    assert summary(verdict) == [("PL02", "A8", None, "row_duplicate", "contradiction", "error")]
    boards = read_at(verdict, web(LOC_NINH, "before", "boards"))
    assert (boards.value, boards.cell) == (book.answers[web(LOC_NINH, "before", "boards")], "F7")


def test_shared_code_rows_found_by_period_not_position(book: Book) -> None:
    """18859 is both Phường Bắc Lý (before) and Phường Đồng Thuận (after): swap their rows."""
    sheet = book.sheet("PL01")
    book.set(station(BAC_LY, "before", "kind_wired"), "x")
    book.set(station(DONG_THUAN, "after", "villages"), 21)
    first = [sheet.cell(5, c).value for c in range(1, 11)]
    for col in range(1, 11):
        sheet.cell(5, col).value = sheet.cell(8, col).value
        sheet.cell(8, col).value = first[col - 1]
    verdict = book.verdict()
    assert verdict.issues == []
    villages = read_at(verdict, station(DONG_THUAN, "after", "villages"))
    wired = read_at(verdict, station(BAC_LY, "before", "kind_wired"))
    assert (villages.value, villages.cell, wired.value, wired.cell) == (21, "J5", True, "E8")
    assert [(r.key, r.period) for r in verdict.parsed.tables["PL01.stations"]] == [
        (BAC_LY, "before"), (QUANG_PHU, "before"), (LOC_NINH, "before"), (DONG_THUAN, "after")]


def test_codes_with_leading_zeros_stripped(form, tmp_path: Path) -> None:
    """Phường Hoàn Kiếm (00070): codes typed as numbers lose their zeros and still match."""
    book = Book(form, "00070", tmp_path / "hoan-kiem.xlsx")
    book.put("PL01", "A5", 40)  # Phường Đồng Xuân, 00040
    book.put("PL01", "A6", " 43 ")  # Phường Hàng Mã, 00043
    for sheet in book.book.worksheets:
        sheet["B2"] = 70
    verdict = book.verdict()
    assert (verdict.unit, verdict.status, verdict.issues) == ("00070", "submitted", [])
    ref = station("00040", "before", "has_station")
    has = read_at(verdict, ref)
    assert (has.cell, has.value) == ("D5", book.answers[ref] == "Có")
    assert [r.key for r in verdict.parsed.tables["PL01.stations"]][:2] == ["00040", "00043"]


def test_island_unit_with_district_predecessor(form, tmp_path: Path) -> None:
    book = Book(form, CON_CO, tmp_path / "con-co.xlsx")
    book.put("PL01", "A5", 471)  # the district code typed as a number
    book.set(station(CON_CO, "after", "villages"), "3 thôn")
    verdict = book.verdict()
    assert (verdict.unit, verdict.status, verdict.issues) == (CON_CO, "submitted", [])
    assert [(r.key, r.period, r.name) for r in verdict.parsed.tables["PL01.stations"]] == [
        (CON_CO_DISTRICT, "before", "Huyện Cồn Cỏ"), (CON_CO, "after", "Đặc khu Cồn Cỏ")]
    assert value_at(verdict, station(CON_CO, "after", "villages")) == 3


# -- which unit --------------------------------------------------------------------------------


def test_unit_code_emptied_is_read_from_the_argument(book: Book) -> None:
    for sheet in book.book.worksheets:
        sheet["B2"] = None
    verdict = book.verdict()
    assert verdict.unit is None
    assert summary(verdict)[0] == (None, None, None, "unit_unknown", "invalid", "error")
    given = book.verdict(DONG_THUAN)
    assert (given.unit, given.status, given.issues) == (DONG_THUAN, "submitted", [])


def test_unit_code_kept_on_one_tab_is_enough(book: Book) -> None:
    for sheet in book.book.worksheets[:-1]:
        sheet["B2"] = None
    assert book.verdict().unit == DONG_THUAN


def test_mismatching_unit(book: Book) -> None:
    verdict = book.verdict(CON_CO)
    assert verdict.unit == CON_CO
    assert summary(verdict)[0] == (None, None, None, "unit_mismatch", "contradiction", "error")
    assert "18859" in verdict.issues[0].message and "Đặc khu Cồn Cỏ" in verdict.issues[0].message
    assert verdict.status == "needs_fix"


def test_text_starting_with_equals_rendered_as_text(form, tmp_path: Path) -> None:
    """The template writes an answer "=..." as text, and the parser keeps it as text."""
    book = Book(form, DONG_THUAN, tmp_path / "eq.xlsx",
                answers={section("D.3"): "=Cần thêm kinh phí"})
    assert book.cell(section("D.3")).data_type == "s"
    verdict = book.verdict()
    assert value_at(verdict, section("D.3")) == "=Cần thêm kinh phí"
    assert verdict.issues == []

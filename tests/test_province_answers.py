"""What the province answers itself (issue 12): the form says which items, the coordinator's
file round-trips through the project's cell readers, unreadable cells are issues with their
address (and a note for the draft), a missing file is created once and never overwritten, and
the Google tab is created with one request when missing and read with one, through real
gspread over HTTP."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from fakegoogle import FakeGoogle
from tests.workbooks import DONG_THUAN, Book, confirm, issues_of
from ttcs.backends.endpoint import mount_endpoint
from ttcs.backends.province_sheet import PROVINCE_TAB
from ttcs.google.api import Api
from ttcs.google.transport import Pacing, connect
from ttcs.report.province_answers import (
    ProvinceAnswers,
    ProvinceTraining,
    google_province_answers,
    load_province_answers,
    local_province_answers,
    province_items,
    template_rows,
    write_province_answers_template,
)

PROVINCE_IDS = ["A.1", "A.2", "B.I.3.a", "B.I.3.b", "C.1", "C.2", "C.3", "D.1", "D.2", "D.3"]
TITLE = "Tổng kết Chiến lược phát triển lĩnh vực thông tin cơ sở 2021 - 2025"
PLAN = "Kế hoạch số 120/KH-UBND ngày 15/3/2022 của UBND tỉnh"
MERGER = "Sáp nhập 8 Trung tâm Văn hóa, Thông tin và Thể thao cấp huyện vào các xã"
TRAININGS = [(3, 240, "Kỹ năng tuyên truyền trên mạng xã hội"),
             (2, "1.234", "Vận hành đài truyền thanh ứng dụng CNTT-VT")]


def test_form_says_which_items_the_province_answers(form) -> None:
    items = dict(province_items(form))
    assert list(items) == PROVINCE_IDS
    # A.1 asks the province about its own plans, not the communes' question.
    assert items["A.1"].startswith("Kế hoạch, đề án, dự án của tỉnh")
    assert items["B.I.3.a"] == next(s.title for s in form.sections.sections if s.id == "B.I.3.a")
    commune = {s.id for s in form.sections.commune_sections}
    assert {"B.I.3.a", "B.I.3.b"} - commune == {"B.I.3.a", "B.I.3.b"}  # the province's alone
    assert {"A.1", "C.1", "D.3"} <= commune  # both: the communes' answers compiled under it


def _rows_of(sheet, first: str) -> int:
    """The 1-based row whose column A shows ``first``."""
    return next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == first)


def _fill(path: Path, form, sessions_cell: object = 3) -> openpyxl.Workbook:
    book = openpyxl.load_workbook(path)
    sheet = book[PROVINCE_TAB]
    sheet.cell(_rows_of(sheet, "A.1"), 3).value = PLAN
    sheet.cell(_rows_of(sheet, "B.I.3.a"), 3).value = f"  {MERGER} "
    sheet.cell(_rows_of(sheet, "C.1"), 3).value = "   "  # blank: not answered
    header = _rows_of(sheet, form.province.trainings.number_label)
    sheet.insert_rows(header + 1)  # a row the coordinator inserted, still read
    for offset, (sessions, people, content) in enumerate(TRAININGS, start=1):
        sheet.cell(header + offset, 2).value = sessions_cell if offset == 1 else sessions
        sheet.cell(header + offset, 3).value = people
        sheet.cell(header + offset, 4).value = content
    book.save(path)
    return book


def test_template_round_trips_through_the_cell_readers(form, tmp_path: Path) -> None:
    path = tmp_path / "tinh-tra-loi.xlsx"
    write_province_answers_template(path, form, TITLE)
    empty = load_province_answers(path, form)
    assert (empty.answers, empty.trainings, empty.issues) == ({}, [], [])
    sheet = openpyxl.load_workbook(path)[PROVINCE_TAB]
    assert [sheet.cell(r, 1).value for r in range(6, 6 + len(PROVINCE_IDS))] == PROVINCE_IDS
    assert [c.value for c in sheet[5]][:3] == ["Mục", "Nội dung", "Trả lời của tỉnh"]
    _fill(path, form)
    loaded = load_province_answers(path, form)
    assert loaded == ProvinceAnswers(
        answers={"A.1": PLAN, "B.I.3.a": MERGER},  # C.1 blank: absent, a placeholder later
        trainings=[ProvinceTraining(3, 240, TRAININGS[0][2]),
                   ProvinceTraining(2, 1234, TRAININGS[1][2])],
        source=str(path), issues=[])


def test_unreadable_cell_is_an_issue_with_sheet_and_cell(form, tmp_path: Path) -> None:
    path = tmp_path / "tinh-tra-loi.xlsx"
    write_province_answers_template(path, form, TITLE)
    sheet = _fill(path, form, sessions_cell="mười")[PROVINCE_TAB]
    row = _rows_of(sheet, form.province.trainings.number_label) + 1
    loaded = load_province_answers(path, form)
    # The row is left out, never a class of 0 sessions; the other row still counts.
    assert loaded.trainings == [ProvinceTraining(2, 1234, TRAININGS[1][2])]
    assert loaded.answers["A.1"] == PLAN
    [note] = loaded.unreadable["B.III.2"]
    assert note.startswith(f"dòng {row} chưa được tính vì ô B{row} không đọc được: ")
    [issue] = loaded.issues
    assert (issue.sheet, issue.cell, issue.field, issue.kind) == (PROVINCE_TAB, f"B{row}",
                                                                   "sessions", "invalid")
    assert issue.message.startswith(f'Ô B{row} ("Số buổi"): ') and '"mười"' in issue.message


def test_a_missing_file_is_created_once_and_a_lost_header_is_said(form, tmp_path) -> None:
    path = tmp_path / "tinh-tra-loi.xlsx"
    created = local_province_answers(path, form, TITLE)
    assert created == ProvinceAnswers({}, [], str(path), [], created=(
        f"Đã tạo tệp {path} để Sở điền nội dung do tỉnh trả lời"))
    assert openpyxl.load_workbook(path).sheetnames == [PROVINCE_TAB]
    book = openpyxl.load_workbook(path)
    sheet = book[PROVINCE_TAB]
    sheet.cell(_rows_of(sheet, "STT"), 2).value = "Buổi"  # the trainings header retyped
    book.save(path)
    written = path.read_bytes()
    again = local_province_answers(path, form, TITLE)
    assert path.read_bytes() == written and again.created is None  # kept as the Sở left it
    [issue] = again.issues
    assert (issue.sheet, issue.cell, issue.kind) == (PROVINCE_TAB, None, "missing")
    assert '"Số buổi"' in issue.message
    assert again.issue_lines() == [f'Trang "{PROVINCE_TAB}" — {issue.message}']


def test_terminal_lines_are_capped(form, tmp_path: Path) -> None:
    path = tmp_path / "tinh-tra-loi.xlsx"
    write_province_answers_template(path, form, TITLE)
    book = openpyxl.load_workbook(path)
    sheet = book[PROVINCE_TAB]
    first = _rows_of(sheet, "STT") + 1
    for row in range(first, first + 7):
        sheet.cell(row, 2).value = "mười"
    book.save(path)
    loaded = load_province_answers(path, form)
    assert len(loaded.issues) == 7
    lines = loaded.issue_lines()
    assert lines[:5] == [f'Trang "{PROVINCE_TAB}" — {i.message}' for i in loaded.issues[:5]]
    assert lines[5:] == [f"và 2 lỗi khác trong {path}"]
    assert lines[0].startswith(f'Trang "{PROVINCE_TAB}" — Ô B{first} ("Số buổi"): ')
    assert loaded.unreadable["B.III.2"][0].startswith(
        f"dòng {first} chưa được tính vì ô B{first} không đọc được: ")
    assert loaded.trainings == []
    assert len(loaded.unreadable["B.III.2"]) == 7


@pytest.fixture(scope="module")
def google():
    with FakeGoogle() as fake:
        yield fake


def _api(fake: FakeGoogle) -> Api:
    return Api(connect(fake.service_account_info(), Pacing(), mount_endpoint(fake.url)))


def test_google_tab_created_in_one_request_and_read_in_one(form, google) -> None:
    summary_id = google.add_spreadsheet("Tổng hợp TTCS", {"Tổng hợp": [["Tổng hợp"]]})
    api = _api(google)
    google.reset_counts()
    created = google_province_answers(api, summary_id, form, TITLE)  # no tab yet: made empty
    assert google.counts(summary_id) == {"values.get": 1, "sheets.batchUpdate": 1}
    assert google.tabs(summary_id) == ["Tổng hợp", PROVINCE_TAB]
    assert (created.answers, created.trainings, created.issues) == ({}, [], [])
    assert created.created == (f'Đã tạo trang "{PROVINCE_TAB}" của bảng tổng hợp {summary_id} '
                               "để Sở điền nội dung do tỉnh trả lời")
    rows = template_rows(form, TITLE)
    a1_row = next(i for i, row in enumerate(rows) if row[:1] == ["A.1"]) + 1
    google.write(summary_id, f"'{PROVINCE_TAB}'!C{a1_row}", [[PLAN], ["#REF!"]])  # and A.2
    first = next(i for i, row in enumerate(rows) if row[:1] == ["STT"]) + 2
    google.write(summary_id, f"'{PROVINCE_TAB}'!B{first}", [[3, 240, TRAININGS[0][2]]])
    google.write(summary_id, f"'{PROVINCE_TAB}'!B{first + 1}", [["mười", "1.234", "Vận hành"]],
                 value_input="RAW")  # kept as typed text (an en_US sheet would read 1.234)
    google.reset_counts()
    loaded = google_province_answers(api, summary_id, form, TITLE)
    assert google.counts(summary_id) == {"values.get": 1}
    assert loaded.created is None and loaded.answers == {"A.1": PLAN}
    assert loaded.trainings == [ProvinceTraining(3, 240, TRAININGS[0][2])]  # "mười" row out
    assert [(i.sheet, i.cell, i.field) for i in loaded.issues] == [
        (PROVINCE_TAB, f"C{a1_row + 1}", "A.2"), (PROVINCE_TAB, f"B{first + 1}", "sessions")]
    assert [note.split(":")[0] for notes in loaded.unreadable.values() for note in notes] == [
        f"ô C{a1_row + 1} không đọc được", f"dòng {first + 1} chưa được tính vì ô B{first + 1} "
        "không đọc được"]
    assert list(loaded.unreadable) == ["A.2", "B.III.2"]
    assert PROVINCE_TAB in loaded.source and summary_id in loaded.source


def test_leader_who_signs_off_is_required_for_a_submission(form, tmp_path: Path) -> None:
    fields = {f.id: f for f in form.single_fields}
    assert fields["leader_name"].required and fields["leader_position"].required
    assert fields["leader_name"].label == "Họ và tên lãnh đạo UBND xã ký duyệt"
    assert Book(form, DONG_THUAN, tmp_path / "du.xlsx").verdict().status == "submitted"
    book = Book(form, DONG_THUAN, tmp_path / "thieu.xlsx")
    verdict = book.set(confirm("leader_name"), None).set(confirm("leader_position"), " ").verdict()
    assert verdict.status != "submitted"
    missing = [(i.field, i.kind, i.cell) for i in issues_of(verdict) if i.is_error]
    assert missing == [("leader_name", "missing", book.a1(confirm("leader_name"))),
                       ("leader_position", "missing", book.a1(confirm("leader_position")))]

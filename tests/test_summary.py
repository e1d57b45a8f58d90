"""The province summary workbook: a real consolidation of hand-made Quảng Trị responses, written
to .xlsx and read back with openpyxl (values, totals, fonts, fills, and no formula anywhere)."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ttcs.campaign import registry
from ttcs.campaign.settings import load_campaign
from ttcs.outputs.attention import attention_rows, summary_markdown
from ttcs.outputs.consolidate import consolidate
from ttcs.outputs.run_result import RunResult, UnitResult
from ttcs.outputs.summary import (
    STATUS_FILLS,
    STYLES,
    SummaryTab,
    committee_line,
    outline_key,
    summary_model,
    vi_date,
)
from ttcs.outputs.summary_xlsx import write_summary_xlsx
from ttcs.workbook.issues import Issue

TABS = ["Tổng hợp", "Phụ lục 01", "Phụ lục 02", "Phụ lục 03", "Phụ lục 03 (tiếp)", "Tình trạng",
        "Lỗi", "Đánh giá"]
A, B, C = "18904", "18859", "19742"  # Xã Dân Hóa, Phường Đồng Thuận, Đặc khu Cồn Cỏ (huyện đảo)
D, F, E = "18901", "18880", "18871"  # not started, unreachable, excluded
IMPORTXML = '=IMPORTXML("http://x","//a")'
DANGEROUS = [IMPORTXML, "+84 912", "@home", "-5 ý kiến", "=1+1", '=HYPERLINK("http://x")']
# Registry denominators over the expected units A, B, C, D, F (E is excluded): old communes
# before 01/7/2025 (2 + 3 + 0 [Cồn Cỏ's predecessor is a huyện] + 4 + 8) and new units after.
BEFORE_UNITS, AFTER_UNITS = 17, 5


def _station(has, wired=False, fm=False, it=False, converted=False, **after):
    return {"has_station": has, "kind_wired": wired, "kind_fm": fm, "kind_it": it,
            "converted_to_it": converted, **after}


def _web(has, url, boards, connected):
    return {"has_website": has, "website_url": url, "boards": boards,
            "boards_connected": connected}


def _staff(**roles):
    names = ("total", "edu_university", "edu_college", "edu_intermediate", "edu_other", "trained")
    return [{"key": role, "period": "matrix", "values": dict(zip(names, numbers, strict=True))}
            for role, numbers in roles.items()]


def _rows(period, rows):
    return [{"key": key, "period": period, "values": values} for key, values in rows]


RECORDS = {
    A: {
        "tables": {
            "PL01.stations": _rows("before", [("18904", _station(True, wired=True)),
                                              ("18907", _station(False))])
            + _rows("after", [(A, _station(True, it=True, converted=True, it_clusters=12,
                                            villages=10))]),
            "PL02.web_boards": _rows("before", [("18904", _web(True, IMPORTXML, 2, 1)),
                                                ("18907", _web(False, None, 0, 0))])
            + _rows("after", [(A, _web(True, "https://danhoa.quangtri.gov.vn", 3, 3))]),
            "PL03.staff": _staff(culture_officials=(2, 2, 0, 0, 0, 2),
                                 station_staff=(1, 0, 0, 1, 0, 1),
                                 propagandists=(10, 1, 2, 3, 4, 6)),
        },
        "items": {"training_sessions": 4, "training_participants": 40,
                  "training_contents": "Kỹ năng viết tin bài",
                  "pl01_advantages": "Được đầu tư hệ thống loa", "complete": True},
        "sections": {"A.1": IMPORTXML, "C.1": "Thuận lợi chung"},
    },
    B: {
        "tables": {
            "PL01.stations": _rows("before", [("18859", _station(True, it=True, converted=True)),
                                              ("18883", _station(True, fm=True)),
                                              ("18886", _station(False))])
            + _rows("after", [(B, _station(True, wired=True, it=True, converted=True,
                                            it_clusters=30, villages=25))]),
            "PL02.web_boards": _rows("before", [("18859", _web(True, "@home", 5, 2)),
                                                ("18883", _web(False, None, 1, 0)),
                                                ("18886", _web(False, None, 0, 0))])
            + _rows("after", [(B, _web(True, "http://dongthuan.vn", 6, 4))]),
            "PL03.staff": _staff(culture_officials=(3, 3, 0, 0, 0, 3),
                                 station_staff=(2, 1, 1, 0, 0, 2),
                                 propagandists=(20, 5, 5, 5, 5, 15)),
        },
        "items": {"training_sessions": 6, "training_participants": 90,
                  "training_contents": '=HYPERLINK("http://x")', "pl03_causes": "=1+1"},
        "sections": {"A.1": "Đã ban hành Kế hoạch số 12/KH-UBND", "C.1": "+84 912"},
    },
    C: {
        "tables": {
            "PL01.stations": _rows("before", [("471", _station(True, wired=True))])
            + _rows("after", [(C, _station(False, it_clusters=0, villages=3))]),
            "PL02.web_boards": _rows("before", [("471", _web(False, None, 0, 0))])
            + _rows("after", [(C, _web(False, None, 1, 1))]),
            "PL03.staff": _staff(culture_officials=(1, 1, 0, 0, 0, 1),
                                 station_staff=(0, 0, 0, 0, 0, 0),
                                 propagandists=(2, 0, 0, 0, 2, 0)),
        },
        "items": {"training_sessions": 0, "training_participants": 0},
        "sections": {"A.1": "@home", "B.II.1": "-5 ý kiến"},
    },
}


def _time(text):
    return dt.datetime.fromisoformat(text) if text else None


def _unit(code, status, flags=(), errors=0, warnings=0, modified=None, accepted=None,
          reason=None):
    unit = registry.unit(code)
    return UnitResult(code, unit.name, unit.type, status, tuple(flags), errors, warnings,
                      _time(modified), _time(accepted), reason)


UNITS = (
    _unit(A, "submitted", modified="2025-09-28T09:15:00+07:00",
          accepted="2025-09-28T09:15:00+07:00"),
    _unit(B, "needs_fix", ["inconsistent", "warnings", "changed_after_submit"], 2, 1,
          "2025-09-30T20:00:00+07:00", "2025-09-29T14:30:00+07:00"),
    _unit(C, "in_progress", ["late", "submitted_late"], modified="2025-10-01T01:00:00+07:00",
          accepted="2025-09-30T23:00:00+07:00"),
    _unit(D, "not_started", ["late"]),
    _unit(F, "unreachable", ["late"], reason="không tìm thấy tệp"),
    _unit(E, "excluded"),
)
TITLE = "Tổng kết Chiến lược phát triển lĩnh vực thông tin cơ sở giai đoạn 2021 - 2025"


def _result(campaign, figures, units=UNITS, issues=(), notes=(), province="44"):
    return RunResult(7, TITLE, registry.find_province(province),
                     _time("2025-10-01T06:00:00+07:00"), campaign.deadline, None, campaign.tz,
                     tuple(units), tuple(issues), figures, tuple(notes))


ISSUES = [
    Issue(B, "PL02", "J12", "boards_connected", "pl02_connected_le_boards", "contradiction",
          "Số bảng tin kết nối Hệ thống thông tin nguồn tỉnh (5) lớn hơn tổng số bảng tin (3)"),
    Issue(B, "PL01", "L14", "it_clusters", "pl01_it_without_clusters", "warning",
          "Có đài truyền thanh ứng dụng CNTT-VT nhưng số cụm thu phát thanh là 0"),
    Issue(B, "PL03", "E9", "total", "count", "invalid", 'giá trị "=1+1" không phải số'),
    Issue(C, "Đánh giá", "C5", None, "required", "missing", "Chưa trả lời mục A.2"),
    Issue(None, None, None, None, "workbook", "invalid", "Không xác định được đơn vị của tệp"),
]


@pytest.fixture(scope="module")
def campaign():
    return load_campaign()


@pytest.fixture(scope="module")
def figures(form):
    return consolidate(form, RECORDS, [A, B, C, D, F])


@pytest.fixture(scope="module")
def result(campaign, figures) -> RunResult:
    return _result(campaign, figures, issues=ISSUES)


@pytest.fixture(scope="module")
def tabs(campaign, form, result) -> list[SummaryTab]:
    return summary_model(campaign, form, result)


@pytest.fixture(scope="module")
def xlsx(tabs, tmp_path_factory) -> Path:
    return write_summary_xlsx(tabs, tmp_path_factory.mktemp("out") / "tong_hop.xlsx")


@pytest.fixture(scope="module")
def book(xlsx):
    return load_workbook(xlsx)


# --- reading helpers ---------------------------------------------------------------------------


def _header_row(ws) -> int:
    return ws[ws.freeze_panes].row - 1


def _columns(ws, row: int | None = None) -> dict[str, int]:
    row = row or _header_row(ws)
    return {cell.value: cell.column for cell in ws[row] if cell.value is not None}


def _row_of(ws, value, col: int | None = None, start: int = 1) -> int:
    for row in ws.iter_rows(min_row=start):
        for cell in row:
            if cell.value == value and (col is None or cell.column == col):
                return cell.row
    raise AssertionError(f"{value!r} not found in {ws.title}")


def _line(ws, row: int, form, fields: list[str], labels: dict[str, int]) -> list:
    by_id = {f.id: f.label for table in form.tables.values() for f in table.fields}
    return [ws.cell(row, labels[by_id[field]]).value for field in fields]


def _body(ws) -> list[tuple]:
    """The table rows under the header, until the first empty row."""
    out = []
    for values in ws.iter_rows(min_row=_header_row(ws) + 1, values_only=True):
        if all(v is None for v in values):
            break
        out.append(values)
    return out


# --- tabs, title block, fonts ------------------------------------------------------------------


def test_tabs_are_named_in_vietnamese_in_order(book, tabs) -> None:
    assert book.sheetnames == TABS
    assert [tab.name for tab in tabs] == TABS


def test_every_tab_opens_with_the_administrative_title_block(book) -> None:
    titles = {
        "Tổng hợp": "TỔNG HỢP SỐ LIỆU TOÀN TỈNH",
        "Phụ lục 01": "PHỤ LỤC 01. THỐNG KÊ ĐÀI TRUYỀN THANH CẤP XÃ",
        "Phụ lục 02": "PHỤ LỤC 02. THỐNG KÊ TRANG THÔNG TIN ĐIỆN TỬ, BẢNG TIN ĐIỆN TỬ CÔNG CỘNG",
        "Phụ lục 03": "PHỤ LỤC 03. THỐNG KÊ NHÂN LỰC LÀM CÔNG TÁC THÔNG TIN CƠ SỞ",
        "Phụ lục 03 (tiếp)": "PHỤ LỤC 03. THỐNG KÊ NHÂN LỰC LÀM CÔNG TÁC THÔNG TIN CƠ SỞ "
                             "(TIẾP THEO)",
        "Tình trạng": "TÌNH HÌNH NỘP BÁO CÁO CỦA CÁC XÃ, PHƯỜNG, ĐẶC KHU",
        "Lỗi": "DANH SÁCH LỖI VÀ CẢNH BÁO TRONG BÁO CÁO CỦA CÁC ĐƠN VỊ",
        "Đánh giá": "TỔNG HỢP Ý KIẾN ĐÁNH GIÁ CỦA CÁC XÃ, PHƯỜNG, ĐẶC KHU THEO ĐỀ CƯƠNG",
    }
    for name, title in titles.items():
        ws = book[name]
        assert ws["A1"].value == "UBND TỈNH QUẢNG TRỊ"
        assert not ws["A1"].font.bold
        assert ws["A2"].value == "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH"
        assert ws["A2"].font.bold
        nation = next(c for c in ws[1][1:] if c.value)
        motto = next(c for c in ws[2][1:] if c.value)
        assert nation.value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and nation.font.bold
        assert motto.value == "Độc lập - Tự do - Hạnh phúc"
        assert motto.font.bold and motto.font.underline == "single"
        # both halves of the title block are merged ranges of the first two rows
        merged = {str(r) for r in ws.merged_cells.ranges}
        assert any(r.startswith("A1:") for r in merged)
        assert any(r.startswith(f"{nation.coordinate}:") for r in merged)
        assert ws["A4"].value == title
        assert ws["A4"].font.bold and ws["A4"].alignment.horizontal == "center"
        dated = ws.cell(_row_of(ws, "(Số liệu tính đến ngày 30/9/2025)"), 1)
        assert dated.font.italic and dated.column == 1
    assert book["Tổng hợp"]["A5"].value == (
        "Tổng kết Chiến lược phát triển lĩnh vực thông tin cơ sở giai đoạn 2021 - 2025")


def test_status_tabs_say_when_the_figures_were_taken(book) -> None:
    line = "Tình hình lúc: 06:00 ngày 01/10/2025 (hạn nộp: 17:00 ngày 30/9/2025)"
    for name in ("Tổng hợp", "Tình trạng", "Lỗi"):
        assert _row_of(book[name], line, col=1)
    with pytest.raises(AssertionError):
        _row_of(book["Phụ lục 01"], line)


def test_times_new_roman_everywhere_with_frozen_bold_wrapped_headers(book) -> None:
    for ws in book.worksheets:
        written = [c for row in ws.iter_rows() for c in row if c.value is not None]
        assert written
        assert {c.font.name for c in written} == {"Times New Roman"}, ws.title
        header = _header_row(ws)
        assert header > 4
        cells = [c for c in ws[header] if c.value is not None]
        assert cells[0].value == "STT"
        assert all(c.font.bold and c.alignment.wrap_text for c in cells)
        assert all(c.border.left.style == "thin" for c in cells)
        assert ws.print_title_rows == f"${header}:${header}"
        assert all(ws.column_dimensions[c.column_letter].width >= 5 for c in cells)
    # empty cells too: the workbook's default font
    assert book["Lỗi"]["Z99"].font.name == "Times New Roman"


# --- appendices --------------------------------------------------------------------------------

PL01_FIELDS = ["has_station", "kind_wired", "kind_fm", "kind_it", "converted_to_it",
               "it_clusters", "villages"]


def test_pl01_lists_every_unit_row_with_yes_no_in_vietnamese(book, form) -> None:
    ws = book["Phụ lục 01"]
    cols = _columns(ws)
    assert list(cols)[:6] == ["STT", "Đơn vị báo cáo", "Mã đơn vị", "Tên đơn vị", "Loại",
                              "Thời điểm"]
    assert list(cols)[6:] == [f.label for f in form.tables["PL01.stations"].fields]
    body = [row for row in _body(ws) if isinstance(row[0], int)]
    ident = [(r[1], r[2], r[3], r[4], r[5]) for r in body]
    assert ident == [
        ("Phường Đồng Thuận", "18859", "Phường Bắc Lý", "Phường", "Trước 01/7/2025"),
        ("Phường Đồng Thuận", "18883", "Xã Quang Phú", "Xã", "Trước 01/7/2025"),
        ("Phường Đồng Thuận", "18886", "Xã Lộc Ninh", "Xã", "Trước 01/7/2025"),
        ("Xã Dân Hóa", "18904", "Xã Dân Hóa", "Xã", "Trước 01/7/2025"),
        ("Xã Dân Hóa", "18907", "Xã Trọng Hóa", "Xã", "Trước 01/7/2025"),
        ("Đặc khu Cồn Cỏ", "471", "Huyện Cồn Cỏ", "Huyện", "Trước 01/7/2025"),
        ("Phường Đồng Thuận", "18859", "Phường Đồng Thuận", "Phường", "Sau 01/7/2025"),
        ("Xã Dân Hóa", "18904", "Xã Dân Hóa", "Xã", "Sau 01/7/2025"),
        ("Đặc khu Cồn Cỏ", "19742", "Đặc khu Cồn Cỏ", "Đặc khu", "Sau 01/7/2025"),
    ]
    assert [r[0] for r in body] == [1, 2, 3, 4, 5, 6, 1, 2, 3]
    row = _row_of(ws, "Xã Trọng Hóa")
    assert _line(ws, row, form, PL01_FIELDS, cols) == ["Không"] * 5 + [None, None]
    row = _row_of(ws, "Phường Đồng Thuận", col=4)
    assert _line(ws, row, form, PL01_FIELDS, cols) == ["Có", "Có", "Không", "Có", "Có", 30, 25]
    assert isinstance(ws.cell(row, cols["Số cụm thu phát thanh ứng dụng CNTT-VT"]).value, int)


def test_pl01_province_totals_per_period_count_yes_and_sum_counts(book, form) -> None:
    ws = book["Phụ lục 01"]
    cols = _columns(ws)
    before = _row_of(ws, "Cộng trước 01/7/2025", col=1)
    after = _row_of(ws, "Cộng sau 01/7/2025", col=1)
    # before: 18904 (Có, có dây), 18907 (Không), 18859 (Có, CNTT-VT, chuyển đổi),
    # 18883 (Có, FM), 18886 (Không); the island district Huyện Cồn Cỏ is listed, not counted.
    assert _line(ws, before, form, PL01_FIELDS, cols) == [3, 1, 1, 1, 1, None, None]
    # after: Dân Hóa (Có, CNTT-VT, chuyển đổi, 12 cụm, 10 thôn), Đồng Thuận (Có, có dây,
    # CNTT-VT, chuyển đổi, 30, 25), Cồn Cỏ (Không, 0, 3)
    assert _line(ws, after, form, PL01_FIELDS, cols) == [2, 1, 0, 2, 2, 42, 38]
    total = ws.cell(after, cols["Số cụm thu phát thanh ứng dụng CNTT-VT"])
    assert total.font.bold and total.number_format == "#,##0"
    assert f"A{before}:F{before}" in {str(r) for r in ws.merged_cells.ranges}
    # percentages over the old units that reported (5 communes), then over the registry's
    station = cols["Có đài truyền thanh (Có/Không)"]
    assert [(ws.cell(r, 1).value, ws.cell(r, station).value) for r in (before + 1, before + 2)
            ] == [("Tỷ lệ trên số đơn vị cũ đã báo cáo (5)", pytest.approx(3 / 5)),
                  (f"Tỷ lệ trên tổng số {BEFORE_UNITS} đơn vị cũ theo danh mục (đơn vị chưa "
                   "báo cáo tính là Không)", pytest.approx(3 / BEFORE_UNITS))]
    assert ws.cell(before + 1, station).number_format == "0.0%"
    assert [ws.cell(r, station).value for r in (after + 1, after + 2)] == [
        pytest.approx(2 / 3), pytest.approx(2 / AFTER_UNITS)]
    assert ws.cell(after + 2, 1).value.startswith(f"Tỷ lệ trên tổng số {AFTER_UNITS} đơn vị ")
    assert _row_of(ws, "Ghi chú: dòng của huyện đảo (trước 01/7/2025, thuộc mục B.I.3) được "
                       "liệt kê nhưng không cộng vào tổng cấp xã.")


def test_pl02_totals_and_commune_addresses_as_text(book, form) -> None:
    ws = book["Phụ lục 02"]
    cols = _columns(ws)
    fields = ["has_website", "boards", "boards_connected"]
    before = _row_of(ws, "Cộng trước 01/7/2025", col=1)
    after = _row_of(ws, "Cộng sau 01/7/2025", col=1)
    assert _line(ws, before, form, fields, cols) == [2, 8, 3]
    assert _line(ws, after, form, fields, cols) == [2, 10, 8]
    url = ws.cell(_row_of(ws, "18904", col=3), cols["Địa chỉ trang thông tin điện tử"])
    assert url.value == IMPORTXML and url.data_type == "s"
    assert ws.cell(before, cols["Địa chỉ trang thông tin điện tử"]).value is None


def test_pl03_staff_matrix_per_unit_with_totals_and_training(book, form) -> None:
    ws = book["Phụ lục 03"]
    cols = _columns(ws)
    staff = ["total", "edu_university", "edu_college", "edu_intermediate", "edu_other",
             "trained"]
    body = [row for row in _body(ws) if isinstance(row[0], int)]
    assert [(r[2], r[3]) for r in body] == [
        (unit, role) for unit in (B, A, C) for role in (
            "Công chức văn hóa - xã hội cấp xã", "Người phụ trách đài truyền thanh cấp xã",
            "Tuyên truyền viên cơ sở")]
    grand = _row_of(ws, "Cộng toàn tỉnh", col=1)
    assert _line(ws, grand, form, staff, cols) == [41, 13, 8, 9, 11, 30]
    expected = {"Trong đó: công chức văn hóa - xã hội cấp xã": [6, 6, 0, 0, 0, 6],
                "Trong đó: người phụ trách đài truyền thanh cấp xã": [3, 1, 1, 1, 0, 3],
                "Trong đó: tuyên truyền viên cơ sở": [32, 6, 7, 8, 11, 21]}
    for label, numbers in expected.items():
        assert _line(ws, _row_of(ws, label, col=1), form, staff, cols) == numbers
    # the training table on its own sheet: its own header repeats on its printed pages
    ws = book["Phụ lục 03 (tiếp)"]
    block = form.tables["PL03.training"]
    heading = _row_of(ws, block.title)
    training = _columns(ws, heading + 1)
    assert list(training) == ["STT", "Đơn vị báo cáo", "Mã đơn vị"] + [
        f.label for f in block.fields if f.id in ("training_sessions", "training_participants")]
    # the communes' own trainings only: the province's courses are in the report, counted once
    total = _row_of(ws, "Cộng các đơn vị cấp xã (tự tổ chức)", col=1, start=heading)
    assert [ws.cell(total, c).value for c in (4, 5)] == [4 + 6 + 0, 40 + 90 + 0]
    assert ws.cell(total + 1, 1).value == (
        "Ghi chú: bảng chỉ gồm số liệu do các đơn vị cấp xã tự tổ chức; phần do tỉnh tổ chức "
        "được kê trong báo cáo (mục B.III.2), mỗi lớp tính một lần, không cộng vào bảng này.")
    assert "Cộng toàn tỉnh" not in [ws.cell(r, 1).value for r in range(heading, ws.max_row + 1)]
    assert [ws.cell(heading + 2, c).value for c in range(1, 6)] == [1, "Phường Đồng Thuận", B,
                                                                    6, 90]


def test_summary_tab_has_rates_and_every_indicator(book, form, figures) -> None:
    ws = book["Tổng hợp"]
    cols = _columns(ws)
    assert list(cols) == ["STT", "Mục đề cương", "Chỉ tiêu", "Số liệu",
                          "Đơn vị đã báo cáo / theo danh mục", "Tỷ lệ trên số đơn vị đã báo cáo",
                          "Tỷ lệ trên tổng số theo danh mục", "Tỷ số (lần)", "Ghi chú"]

    def line(label):
        row = _row_of(ws, label, col=3)
        return [ws.cell(row, c).value for c in (2, 4, 5, 6, 7, 8)], row

    (_, reported, coverage, _, rate, _), row = line("Số đơn vị đã nộp báo cáo hợp lệ")
    assert (reported, coverage, rate) == (3, "3/5", 0.6)
    assert ws.cell(row, 7).number_format == "0.0%"
    assert line("Số đơn vị nộp báo cáo hợp lệ đúng hạn")[0][1:5] == [2, "3/5",
                                                                      pytest.approx(2 / 3), 0.4]
    assert line("Số đơn vị không yêu cầu báo cáo")[0][1] == 1
    labels = [ws.cell(r, 3).value for r in range(_header_row(ws) + 1, ws.max_row + 1)]
    assert [ind.label for ind in form.indicators] == [
        label for label in labels if label in {ind.label for ind in form.indicators}]
    # before 01/7/2025: 3 of the 5 old communes that reported, 17 in the registry
    (outline, value, coverage, over_reported, over_registry, ratio), _ = line(
        "Số lượng xã, phường, thị trấn có đài truyền thanh trước ngày 01/7/2025")
    assert (outline, value, coverage, ratio) == ("B.I.1.a", 3, f"5/{BEFORE_UNITS}", None)
    assert (over_reported, over_registry) == (pytest.approx(3 / 5),
                                              pytest.approx(3 / BEFORE_UNITS))
    # a ratio is never in a percentage column
    (_, value, _, over_reported, over_registry, ratio), row = line(
        "Số lượng cụm thu phát thanh ứng dụng CNTT-VT")
    assert (value, over_reported, over_registry) == (42, None, None)
    assert ratio == pytest.approx(42 / 38, abs=0.01)
    assert ws.cell(row, 8).number_format == "0.00"
    assert "tỷ số" in ws.cell(row, 9).value
    (_, value, _, over_reported, _, _), _ = line("Số tuyên truyền viên cơ sở")
    assert (value, over_reported) == (32, None)
    (outline, value, _, _, _, _), row = line(form.indicators[-1].label)  # compiled contents
    assert (outline, value) == ("B.III.2", 2)
    assert "Đánh giá" in ws.cell(row, 9).value
    # one count of the registry, shared by the indicators and the appendices
    assert figures.denominators == {"before": BEFORE_UNITS, "after": AFTER_UNITS}
    assert (len(figures.reported), len(figures.expected)) == (3, 5)  # coverage


# --- status, issues, assessments ---------------------------------------------------------------


def test_status_rows_are_filled_by_status(book) -> None:
    ws = book["Tình trạng"]
    cols = _columns(ws)
    assert list(cols) == ["STT", "Mã đơn vị", "Tên đơn vị", "Loại", "Trạng thái", "Cờ", "Số lỗi",
                          "Số cảnh báo", "Sửa lần cuối", "Nộp hợp lệ lần đầu", "Ghi chú"]
    body = _body(ws)
    assert [r[1] for r in body] == [A, B, C, D, F, E]
    status_of = {r[1]: r[4] for r in body}
    assert status_of == {A: "Đã nộp", B: "Cần sửa", C: "Đang nhập", D: "Chưa bắt đầu",
                         F: "Không truy cập được", E: "Không yêu cầu báo cáo"}
    statuses = {A: "submitted", B: "needs_fix", C: "in_progress", D: "not_started",
                F: "unreachable", E: "excluded"}
    header = _header_row(ws)
    for offset, code in enumerate([A, B, C, D, F, E], start=1):
        fills = {ws.cell(header + offset, c).fill.fgColor.rgb[-6:] for c in range(1, 12)}
        assert fills == {STATUS_FILLS[statuses[code]]}, code
    assert len(set(STATUS_FILLS.values())) == 6
    b = body[1]
    assert b[5] == "số liệu mâu thuẫn/sai, có cảnh báo, sửa sau khi đã nộp"
    assert (b[6], b[7]) == (2, 1)
    assert b[8] == dt.datetime(2025, 9, 30, 20, 0) and b[9] == dt.datetime(2025, 9, 29, 14, 30)
    assert ws.cell(header + 2, 9).number_format == "dd/mm/yyyy hh:mm"
    assert body[4][10] == "không tìm thấy tệp" and body[4][5] == "trễ hạn"
    assert body[5][8] is None and body[5][5] is None
    legend = _row_of(ws, "Chú thích màu")
    assert ws.cell(legend + 1, 2).value == "Đã nộp"
    assert ws.cell(legend + 1, 4).value == 1


def test_issues_tab_lists_every_issue_errors_first_per_unit(book) -> None:
    ws = book["Lỗi"]
    assert list(_columns(ws)) == ["STT", "Mã đơn vị", "Tên đơn vị", "Trang", "Ô", "Mức độ",
                                  "Loại", "Nội dung"]
    body = _body(ws)
    assert [r[:7] for r in body] == [
        (1, None, None, None, None, "Lỗi", "Sai giá trị"),
        (2, B, "Phường Đồng Thuận", "PL02", "J12", "Lỗi", "Mâu thuẫn"),
        (3, B, "Phường Đồng Thuận", "PL03", "E9", "Lỗi", "Sai giá trị"),
        (4, B, "Phường Đồng Thuận", "PL01", "L14", "Cảnh báo", "Cảnh báo"),
        (5, C, "Đặc khu Cồn Cỏ", "Đánh giá", "C5", "Lỗi", "Thiếu"),
    ]
    assert body[2][7] == 'giá trị "=1+1" không phải số'
    assert body[1][7] == ISSUES[0].message


def test_assessments_are_compiled_per_section_in_outline_order(book, form) -> None:
    ws = book["Đánh giá"]
    assert list(_columns(ws)) == ["STT", "Mục", "Nội dung đánh giá", "Mã đơn vị", "Đơn vị",
                                  "Đánh giá của đơn vị"]
    body = _body(ws)
    answered = [(r[1], r[3], r[5]) for r in body if r[3]]
    assert answered == [
        ("A.1", B, "Đã ban hành Kế hoạch số 12/KH-UBND"),
        ("A.1", A, IMPORTXML),
        ("A.1", C, "@home"),
        ("B.I.1.b", A, "Được đầu tư hệ thống loa"),
        ("B.II.1", C, "-5 ý kiến"),
        ("B.III.2", B, '=HYPERLINK("http://x")'),
        ("B.III.2", A, "Kỹ năng viết tin bài"),
        ("B.III.3", B, "=1+1"),
        ("C.1", B, "+84 912"),
        ("C.1", A, "Thuận lợi chung"),
    ]
    first = body[0]
    assert first[2] == form.sections.sections[0].title and first[4] == "Phường Đồng Thuận"
    sections = [r[1] for r in body]
    assert sections == sorted(sections, key=outline_key)
    commune = {s.id for s in form.sections.commune_sections}
    assert commune <= set(sections)
    assert "B.I.3.a" not in sections  # answered by the province, not by communes
    unanswered = [r for r in body if r[1] == "D.1"]
    assert unanswered == [(unanswered[0][0], "D.1", "Kiến nghị với Chính phủ, Thủ tướng Chính phủ",
                           None, None, "(Chưa có đơn vị nào trả lời)")]
    causes = [r[2] for r in body if r[1] == "B.III.3"]
    assert causes[0] == "Phụ lục 03 - Thuận lợi, khó khăn, vướng mắc và nguyên nhân: Thuận lợi"


# --- commune text is never a formula -----------------------------------------------------------


def test_commune_text_beginning_with_formula_characters_stays_text(book, xlsx) -> None:
    found = {}
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in DANGEROUS:
                    found.setdefault(cell.value, []).append((ws.title, cell.data_type))
    assert set(found) == set(DANGEROUS)
    assert {t for places in found.values() for _, t in places} == {"s"}
    with zipfile.ZipFile(xlsx) as archive:
        sheets = [n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        xml = "".join(archive.read(name).decode("utf-8") for name in sheets)
        xml += "".join(archive.read(name).decode("utf-8") for name in archive.namelist()
                       if name == "xl/sharedStrings.xml")
    assert len(sheets) == len(TABS)
    assert not re.search(r"<f[ >/]", xml)  # not one formula in the whole workbook
    shown = html.unescape(xml)  # with lxml, openpyxl writes non-ASCII as character references
    for text in DANGEROUS:
        assert f"<t>{text}</t>" in shown
    numbers = book["Phụ lục 01"]
    assert numbers.cell(_row_of(numbers, "Cộng sau 01/7/2025", col=1), 13).data_type == "n"


def test_error_values_and_control_characters_stay_harmless_text(campaign, form, tmp_path) -> None:
    records = {A: {"tables": {}, "items": {}, "sections": {
        "A.1": "#REF!", "C.1": "dòng\x01một\x0b", "C.2": "x" * 40_000}}}
    figures = consolidate(form, records, [A])
    path = write_summary_xlsx(summary_model(campaign, form, _result(campaign, figures, UNITS[:1])),
                              tmp_path / "s.xlsx")
    ws = load_workbook(path)["Đánh giá"]
    values = {r[1]: (r[5], ws.cell(i, 6).data_type) for i, r in enumerate(
        ws.iter_rows(values_only=True), start=1) if r[3] == A}
    assert values["A.1"] == ("#REF!", "s")
    assert values["C.1"] == ("dòngmột", "s")
    assert len(values["C.2"][0]) == 32_767


# --- renderer-neutral model, atomic write, edge cases ------------------------------------------


def test_model_is_consistent_for_any_renderer(tabs) -> None:
    for tab in tabs:
        width = len(tab.widths)
        assert all(len(row) <= width for row in tab.rows), tab.name
        for r1, c1, r2, c2 in tab.merges:
            assert 1 <= r1 <= r2 <= len(tab.rows) and 1 <= c1 <= c2 <= width
            covered = [tab.cell(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
            assert all(cell.value is None for cell in covered[1:]), (tab.name, r1, c1)
        spans = sorted(tab.merges)
        for a, b in itertools.pairwise(spans):
            assert not (a[0] == b[0] and b[1] <= a[3]), (tab.name, a, b)  # no overlaps
        assert tab.freeze_rows == tab.header_rows[0]
        assert tab.cell(tab.freeze_rows, 1).value == "STT"
        for row in tab.rows:
            for cell in row:
                assert cell.style.font == "Times New Roman"
                assert not isinstance(cell.value, bool)


def test_write_is_atomic_and_replaces_an_old_file(tabs, tmp_path) -> None:
    path = tmp_path / "out" / "tong_hop.xlsx"
    path.parent.mkdir()
    path.write_text("old")
    assert write_summary_xlsx(tabs, path) == path
    assert load_workbook(path).sheetnames == TABS
    assert [p.name for p in path.parent.iterdir()] == ["tong_hop.xlsx"]


def test_no_submission_yet_still_gives_every_tab(campaign, form, tmp_path) -> None:
    figures = consolidate(form, {}, [A, B])
    tabs = summary_model(campaign, form, _result(campaign, figures, UNITS[3:5]))
    book = load_workbook(write_summary_xlsx(tabs, tmp_path / "empty.xlsx"))
    assert book.sheetnames == TABS
    ws = book["Phụ lục 01"]
    assert _line(ws, _row_of(ws, "Cộng sau 01/7/2025", col=1), form, PL01_FIELDS,
                 _columns(ws)) == [0, 0, 0, 0, 0, 0, 0]
    assert _row_of(book["Lỗi"], "Không có lỗi hoặc cảnh báo.")
    assert _row_of(book["Tình trạng"],
                   "Tình hình lúc: 06:00 ngày 01/10/2025 (hạn nộp: 17:00 ngày 30/9/2025)")


def test_city_provinces_and_vietnamese_dates() -> None:
    assert committee_line("Quảng Trị") == "UBND TỈNH QUẢNG TRỊ"
    assert committee_line("Thành phố Hà Nội") == "UBND THÀNH PHỐ HÀ NỘI"
    assert committee_line("Thành phố Đà Nẵng") == "UBND THÀNH PHỐ ĐÀ NẴNG"
    assert vi_date(dt.date(2025, 9, 30)) == "30/9/2025"
    assert vi_date(dt.date(2025, 7, 1)) == "01/7/2025"


def test_city_title_block_and_totals_say_thanh_pho(campaign, form) -> None:
    hanoi = registry.units("01")[:1]
    figures = consolidate(form, {}, [u.code for u in hanoi])
    tabs = summary_model(campaign, form, _result(campaign, figures, (), province="01"))
    assert tabs[0].cell(1, 1).value == "UBND THÀNH PHỐ HÀ NỘI"
    assert tabs[0].cell(4, 1).value == "TỔNG HỢP SỐ LIỆU TOÀN THÀNH PHỐ"
    pl03 = tabs[3]
    assert pl03.find("Cộng toàn thành phố")


def test_outline_order() -> None:
    ids = ["C.1", "B.IV.1", "A.2", "B.III.3", "B.I.4.a", "B.I.1.b", "B.II.1", "A.1", "D.3",
           "B.I.2.b", "B.III.2", "B.IV.6"]
    assert sorted(ids, key=outline_key) == [
        "A.1", "A.2", "B.I.1.b", "B.I.2.b", "B.I.4.a", "B.II.1", "B.III.2", "B.III.3",
        "B.IV.1", "B.IV.6", "C.1", "D.3"]


def test_styles_tell_a_sheets_renderer_the_number_type() -> None:
    kinds = {role: STYLES[role].number_kind for role in
             ("count", "percent", "ratio", "date", "datetime", "text")}
    assert kinds == {"count": "number", "percent": "percent", "ratio": "number",
                     "date": "date", "datetime": "datetime", "text": None}


def test_conflicts_and_notes_about_files_reach_the_status_tab_and_the_artifact(
        campaign, form, figures, tmp_path) -> None:
    notes = [f"Đơn vị {A} có 2 tệp cùng ghi mã đơn vị: dùng {A}.xlsx (giữ bản đã nộp hợp lệ), "
             "không dùng ban-sao.xlsx",
             "ban-sao.xlsx: ngày sửa ghi trên tệp 01/01/2030 08:00 là sau lúc được đọc; "
             "tính là 01/10/2025 06:00"]
    units = [replace(u, flags=("conflict",)) if u.code == A else u for u in UNITS]
    result = _result(campaign, figures, units, ISSUES, notes)
    tabs = summary_model(campaign, form, result)
    ws = load_workbook(write_summary_xlsx(tabs, tmp_path / "tong_hop.xlsx"))["Tình trạng"]
    assert _body(ws)[0][5] == "nhiều tệp cùng đơn vị"
    heading = _row_of(ws, "Ghi chú về tệp", col=2)
    assert [ws.cell(heading + n, 2).value for n in (1, 2)] == notes
    markdown = summary_markdown(result, attention_rows(result))
    assert "## Ghi chú về tệp\n\n- " + notes[0] + "\n- " + notes[1] in markdown
    assert f"| {A} | Xã Dân Hóa | đã nộp | nhiều tệp cùng đơn vị |" in markdown
    assert "| nhiều tệp cùng đơn vị | 1 |" in markdown

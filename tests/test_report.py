"""The province report: the draft .docx (opened with python-docx) and the Phụ lục workbook
(openpyxl), built from a real consolidation of hand-made Quảng Trị submissions; the outline's
parser on the real outline and on a typist's variants; `ttcs report` on a real state database."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from openpyxl import load_workbook
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

from tests.conftest import OUTLINE, cli
from tests.report_setup import campaign_with_a_run
from ttcs.campaign import registry
from ttcs.campaign.settings import load_campaign
from ttcs.errors import UserError
from ttcs.outputs.consolidate import consolidate
from ttcs.outputs.run_result import RunResult, UnitResult
from ttcs.report import figures as figure_text
from ttcs.report.build import APPENDIX_NAME, write_appendices, write_report_draft
from ttcs.report.draft import (
    DRAFT_NAME,
    ReportInput,
    coverage_sentence,
    placeholder,
    unanswered,
    write_draft,
)
from ttcs.report.outline import load_outline, parse_outline
from ttcs.report.province_answers import (
    ProvinceAnswers,
    ProvinceTraining,
    default_path,
    load_province_answers,
    province_items,
    write_province_answers_template,
)
from ttcs.vi_format import number, percent

A, B, C = "18904", "18859", "18919"  # Xã Dân Hóa, Phường Đồng Thuận, Xã Tân Thành: accepted
D, F = "18901", "18880"  # Xã Minh Hóa (not started), Phường Đồng Hới (never accepted)
SAME = "Cơ sở vật chất của đài truyền thanh đã xuống cấp, thiếu kinh phí duy tu, bảo dưỡng."
PROVINCE_TRAINING = ProvinceTraining(2, 40, "Kỹ năng tuyên truyền trên mạng xã hội")


def _station(has, it=False, converted=False, **after):
    return {"has_station": has, "kind_wired": has and not it, "kind_fm": False, "kind_it": it,
            "converted_to_it": converted, **after}


def _web(has, boards, connected):
    return {"has_website": has, "website_url": "https://x.gov.vn" if has else None,
            "boards": boards, "boards_connected": connected}


def _rows(period, rows):
    return [{"key": key, "period": period, "values": values} for key, values in rows]


def _staff(n):
    names = ("total", "edu_university", "edu_college", "edu_intermediate", "edu_other", "trained")
    return [{"key": role, "period": "matrix", "values": dict(zip(names, (n, n, 0, 0, 0, n),
                                                                  strict=True))}
            for role in ("culture_officials", "station_staff", "propagandists")]


def _record(code, stations, webs, after_station, after_web, staff, sessions, participants,
            sections, items=None):
    unit = registry.unit(code)
    olds = [p.code for p in unit.predecessors]
    return {
        "tables": {
            "PL01.stations": _rows("before", list(zip(olds, stations, strict=True)))
            + _rows("after", [(code, after_station)]),
            "PL02.web_boards": _rows("before", list(zip(olds, webs, strict=True)))
            + _rows("after", [(code, after_web)]),
            "PL03.staff": _staff(staff),
        },
        "items": {"training_sessions": sessions, "training_participants": participants,
                  "training_contents": "Nghiệp vụ biên tập tin bài" if sessions else None,
                  "complete": True} | (items or {}),
        "sections": sections,
    }


RECORDS = {
    A: _record(A, [_station(True), _station(False)], [_web(True, 2, 1), _web(False, 0, 0)],
               _station(True, it=True, converted=True, it_clusters=12, villages=10),
               _web(True, 3, 3), 2, 4, 40,
               {"A.1": "Đã ban hành Kế hoạch số 12/KH-UBND ngày 15/3/2021.", "C.1": SAME},
               {"pl01_difficulties": SAME}),
    B: _record(B, [_station(True, it=True, converted=True), _station(True), _station(False)],
               [_web(True, 5, 2), _web(False, 1, 0), _web(False, 0, 0)],
               _station(True, it=True, converted=True, it_clusters=30, villages=25),
               _web(True, 6, 4), 3, 6, 90, {"A.1": "Kế hoạch 45/KH-UBND năm 2022.",
                                           "C.1": "  " + SAME.upper() + " "},
               {"pl01_difficulties": SAME}),
    C: _record(C, [_station(False)], [_web(False, 0, 0)],
               _station(False, it_clusters=0, villages=8), _web(False, 1, 0), 1, 0, 0,
               {"B.II.1": "Đã số hóa bản tin."}),
}
UNITS = (A, B, C, D, F)


def _unit(code, status, accepted=None):
    unit = registry.unit(code)
    when = dt.datetime.fromisoformat(accepted) if accepted else None
    return UnitResult(code, unit.name, unit.type, status, (), 0, 0, when, when, None)


@pytest.fixture(scope="module")
def campaign():
    return load_campaign()


@pytest.fixture(scope="module")
def report(campaign, form) -> ReportInput:
    figures = consolidate(form, RECORDS, UNITS)
    units = (_unit(A, "submitted", "2025-09-28T09:00:00+07:00"),
             _unit(B, "submitted", "2025-09-29T09:00:00+07:00"),
             _unit(C, "submitted", "2025-09-30T09:00:00+07:00"),
             _unit(D, "not_started"), _unit(F, "needs_fix"))
    result = RunResult(3, campaign.title, registry.find_province("44"),
                       dt.datetime(2025, 10, 1, 6, tzinfo=campaign.tz), campaign.deadline, None,
                       campaign.tz, units, (), figures)
    province = ProvinceAnswers(
        answers={"B.I.3.a": "Đã sắp xếp 15 Đài Truyền thanh - Truyền hình cấp huyện."},
        trainings=[PROVINCE_TRAINING], source="kiểm thử", issues=[])
    return ReportInput(campaign, result, form, load_outline(OUTLINE), province)


@pytest.fixture(scope="module")
def docx_path(report, tmp_path_factory) -> Path:
    return write_draft(report, tmp_path_factory.mktemp("report") / "bao-cao-du-thao.docx")


@pytest.fixture(scope="module")
def paragraphs(docx_path) -> list[str]:
    return [p.text for p in Document(str(docx_path)).paragraphs]


def _after(paragraphs: list[str], heading: str, count: int = 12) -> list[str]:
    start = paragraphs.index(heading)
    return paragraphs[start + 1:start + 1 + count]


def _bullet(paragraphs: list[str], heading: str) -> str:
    """The line of an outline bullet answered by a figure: "<bullet>: <figure>"."""
    return next(p for p in paragraphs if p.startswith(f"{heading.rstrip('.')}: "))


# --- the outline ---------------------------------------------------------------------------


def test_outline_parser_keeps_every_heading_with_its_numbering_and_form_ids() -> None:
    outline = load_outline(OUTLINE)
    assert [s.heading for s in outline.sections] == [
        "A. CÔNG TÁC CHỈ ĐẠO, HƯỚNG DẪN TRIỂN KHAI THỰC HIỆN",
        "B. KẾT QUẢ THỰC HIỆN (cập nhật số liệu tính đến ngày 30/9/2025)",
        "C. ĐÁNH GIÁ CHUNG", "D. ĐỀ XUẤT, KIẾN NGHỊ"]
    ids = [item.id for item in outline.items()]
    assert len(ids) == len(set(ids)) == 53
    assert outline.find("A.1").heading.startswith("- Ban hành Kế hoạch")
    assert outline.find("B.I.1").heading == "1. Đối với đài truyền thanh cấp xã"
    assert outline.find("B.I.4.b").heading == "b. Thuận lợi, khó khăn, vướng mắc, nguyên nhân."
    assert outline.find("B.I.2.a.7.2").heading == "+ Số lượng được kết nối sau ngày 01/7/2025"
    assert outline.find("B.III.2").notes == ["(Thống kê tại Phụ lục 03 kèm theo)"]
    assert outline.find("B.I.1.b").hints[0].startswith("Lưu ý: Số liệu thống kê")
    assert outline.title[0] == "ĐỀ CƯƠNG"


def test_outline_parser_tolerates_a_typists_variants() -> None:
    outline = parse_outline("Tiêu đề\n---\nA.  PHẦN MỘT\n  - Ý một\n+ ý con\n-Ý hai\n"
                            "B. PHẦN HAI\nII.Mục La Mã\n1)Một\nb.Chữ b\nchú thích\n")
    found = [(item.id, item.heading) for item in outline.items()]
    assert found == [("A", "A. PHẦN MỘT"), ("A.1", "- Ý một"), ("A.1.1", "+ ý con"),
                     ("A.2", "- Ý hai"), ("B", "B. PHẦN HAI"), ("B.II", "II. Mục La Mã"),
                     ("B.II.1", "1) Một"), ("B.II.1.b", "b. Chữ b")]
    assert outline.find("B.II.1.b").notes == ["chú thích"]


def test_every_b_statistic_bullet_gets_its_figure(form) -> None:
    outline = load_outline(OUTLINE)
    indicators = {i.id: {"label": i.label, "outline": i.outline, "per": i.per,
                         "value": [] if i.measure == "compile" else 1} for i in form.indicators}
    placed = {}
    for item_id in ("B.I.1.a", "B.I.2.a"):
        bullets, loose = figure_text.place(outline.find(item_id), indicators)
        assert loose == []
        placed |= bullets
    assert placed == {
        "B.I.1.a.1": ["pl01_before_station"], "B.I.1.a.2": ["pl01_after_station"],
        "B.I.1.a.3": ["pl01_before_converted"], "B.I.1.a.4": ["pl01_after_converted"],
        "B.I.1.a.5": ["pl01_clusters"],
        "B.I.2.a.1": ["pl02_before_website"], "B.I.2.a.2": ["pl02_after_website"],
        "B.I.2.a.3": ["pl02_before_boards_urban"], "B.I.2.a.4": ["pl02_after_boards_urban"],
        "B.I.2.a.5": ["pl02_before_boards_rural"], "B.I.2.a.6": ["pl02_after_boards_rural"],
        "B.I.2.a.7.1": ["pl02_before_connected"], "B.I.2.a.7.2": ["pl02_after_connected"]}


# --- the draft -------------------------------------------------------------------------------


def test_page_is_a4_times_new_roman_with_page_numbers_from_page_two(docx_path) -> None:
    doc = Document(str(docx_path))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.left_margin.mm), round(section.right_margin.mm)) == (30, 15)
    assert doc.styles["Normal"].font.name == "Times New Roman"
    assert doc.styles["Normal"].font.size.pt == 14
    assert section.different_first_page_header_footer
    assert 'w:instr="PAGE"' in section.header._element.xml
    assert "PAGE" not in section.first_page_header._element.xml


def test_heading_block_and_title(docx_path, report) -> None:
    doc = Document(str(docx_path))
    left, right = ([p.text for p in cell.paragraphs] for cell in doc.tables[0].rows[0].cells)
    assert left[:2] == ["UBND TỈNH QUẢNG TRỊ", "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH"]
    assert left[-1].startswith("Số:") and left[-1].endswith("/BC-SVHTTDL")
    assert right[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert right[2] == "Quảng Trị, ngày     tháng     năm 2025"
    assert doc.tables[0].rows[0].cells[0].paragraphs[1].runs[0].bold
    assert doc.tables[0].rows[0].cells[1].paragraphs[1].runs[0].underline
    assert doc.tables[0].rows[0].cells[1].paragraphs[2].runs[0].italic
    texts = [p.text for p in doc.paragraphs]
    title = texts.index("BÁO CÁO")
    assert texts[title + 1] == report.result.campaign_title
    assert doc.paragraphs[title].runs[0].bold and doc.paragraphs[title].runs[0].font.size.pt == 14


def test_every_outline_heading_in_order_with_its_numbering(docx_path) -> None:
    """In order; A–D, I–IV and "1." as Word's Heading 1/2/3 (the navigation pane); a bullet
    answered by a figure starts its figure's line."""
    doc = Document(str(docx_path))
    found = [(p.text, p.style.name) for p in doc.paragraphs]
    items = load_outline(OUTLINE).items()
    levels = {"section": "Heading 1", "part": "Heading 2", "number": "Heading 3"}
    position = -1
    for item in items:  # each after the one before it (some headings repeat)
        position = next(i for i in range(position + 1, len(found))
                        if found[i][0] == item.heading
                        or (item.is_bullet and found[i][0].startswith(
                            f"{item.heading.rstrip('.')}: ")))
        assert found[position][1] == levels.get(item.kind, "Normal"), item.heading
    assert [text for text, style in found if style.startswith("Heading")] == [
        item.heading for item in items if item.kind in levels]
    assert sum(style == "Heading 1" for _, style in found) == 4


def test_headings_look_as_the_body_bold_times_new_roman_black(docx_path) -> None:
    doc = Document(str(docx_path))
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        style = doc.styles[name]
        assert (style.font.name, style.font.size.pt, style.font.bold) == (
            "Times New Roman", 14, True)
        assert str(style.font.color.rgb) == "000000" and style.font.color.theme_color is None
        assert "Theme" not in style.element.rPr.rFonts.xml
        assert style.paragraph_format.space_before.pt == 0
        assert round(style.paragraph_format.first_line_indent.mm, 1) == 12.7
    heading = next(p for p in doc.paragraphs if p.style.name == "Heading 2")
    assert heading.runs[0].bold and heading.runs[0].font.size.pt == 14


def test_each_b_figure_equals_the_consolidation_with_its_coverage(paragraphs, report) -> None:
    figures = report.result.figures
    indicators = figures.indicators
    shown = figure_text.shown(indicators)
    assert len(shown) >= 20
    for key, ind in shown.items():
        scope = figure_text.scope(ind, len(figures.reported), len(figures.expected))
        line = next(p for p in paragraphs
                    if figure_text.result(key, indicators) in p and scope in p)
        assert number(ind["value"]) in line
    station = indicators["pl01_before_station"]
    assert station["value"] == 3  # Dân Hóa, Bắc Lý, Quang Phú
    bullet = _bullet(paragraphs, "- Số lượng xã, phường, thị trấn có đài truyền thanh trước "
                                 "ngày 01/7/2025.")
    assert bullet.endswith("trước ngày 01/7/2025: " + figure_text.result(
        "pl01_before_station", indicators) + ". Phạm vi: "
        + figure_text.scope(station, 3, 5) + ".")
    if "rate" in station:  # the consolidation's per-figure coverage (issue 12)
        assert f"{station['covered']}/{station['expected']}" in bullet
        assert percent(100 * station["rate"]) in bullet
    clusters = _bullet(paragraphs, "- Số lượng cụm thu phát thanh ứng dụng CNTT-VT/tổng số thôn, "
                                   "tổ dân phố, khu dân cư.")
    assert clusters.endswith("dân cư: 42 (trên 43: tổng số thôn, tổ dân phố, khu dân cư; "
                             "tỷ số 0,98 lần). Phạm vi: 3/5 đơn vị đã báo cáo.")
    # B.I.2.a: each "+" bullet with its own figure, never two bare "Kết quả" lines.
    connected = _after(paragraphs, "- Số lượng bảng tin điện tử công cộng được kết nối với Hệ "
                                   "thống thông tin nguồn tỉnh.", 2)
    assert [line.split(" (")[0] for line in connected] == [
        "+ Số lượng được kết nối trước ngày 01/7/2025: 3",
        "+ Số lượng được kết nối sau ngày 01/7/2025: 7"]
    assert "(trên 8: tổng số bảng tin điện tử công cộng trước ngày 01/7/2025; tỷ số 0,38 " \
           "lần)" in connected[0]
    assert not any(p.startswith("Kết quả:") for p in paragraphs)
    assert not [p for p in paragraphs if re.search(r"\([^()]*\(", p) and "Phạm vi" in p]


def test_coverage_sentence_names_the_missing_units_and_never_counts_them(paragraphs,
                                                                          report) -> None:
    sentence = coverage_sentence(report)
    assert sentence == ("Tổng hợp từ 3/5 đơn vị cấp xã đã nộp; chưa nộp: Phường Đồng Hới, "
                        "Xã Minh Hóa.")
    assert sentence in paragraphs
    compiled = "\n".join(paragraphs)
    assert "Phường Đồng Hới:" not in compiled and "Xã Minh Hóa:" not in compiled
    assert "Xã Minh Hóa" not in compiled.replace(sentence, "")


def test_answers_are_grouped_with_names_then_the_units_that_left_them_empty(paragraphs) -> None:
    after = _after(paragraphs, "1. Thuận lợi.", 4)
    assert after[1:] == ["Tổng hợp ý kiến của 2/3 đơn vị cấp xã đã nộp:",
                         f"+ Phường Đồng Thuận, Xã Dân Hóa: {SAME.upper()}",  # same words
                         "Đơn vị để trống: Xã Tân Thành."]
    difficulties = _after(paragraphs, "b) Thuận lợi, khó khăn, vướng mắc và nguyên nhân.", 10)
    assert "Khó khăn, vướng mắc: ý kiến của 2/3 đơn vị cấp xã đã nộp:" in difficulties
    assert f"+ Phường Đồng Thuận, Xã Dân Hóa: {SAME}" in difficulties
    plans = _after(paragraphs, load_outline(OUTLINE).find("A.1").heading, 5)
    assert "+ Xã Dân Hóa: Đã ban hành Kế hoạch số 12/KH-UBND ngày 15/3/2021." in plans
    assert "+ Phường Đồng Thuận: Kế hoạch 45/KH-UBND năm 2022." in plans


def test_an_empty_province_answer_is_a_highlighted_placeholder(docx_path, form) -> None:
    doc = Document(str(docx_path))
    texts = [p.text for p in doc.paragraphs]
    assert "Đã sắp xếp 15 Đài Truyền thanh - Truyền hình cấp huyện." in texts
    asked = dict((s.id, s.province_title or s.title) for s in form.sections.sections
                 if s.answered_by != "commune")
    wanted = placeholder(asked["B.I.3.b"])
    para = next(p for p in doc.paragraphs if p.text == wanted)
    assert para.runs[0].font.highlight_color == WD_COLOR_INDEX.YELLOW
    b_i_3_b = texts.index("b) Thuận lợi, khó khăn, vướng mắc và nguyên nhân.",
                          texts.index("a) Kết quả sắp xếp các Đài Truyền thanh - Truyền hình "
                                      "cấp huyện, Trung tâm Văn hóa, Thông tin và Thể thao, Trung "
                                      "tâm Truyền thông và Văn hóa cấp huyện có hoạt động truyền "
                                      "thanh - truyền hình khi tổ chức chính quyền địa phương 02 "
                                      "cấp (tổ chức bộ máy, con người, cơ sở vật chất...)."))
    assert texts[b_i_3_b + 1] == wanted


def test_a_province_training_is_counted_once(paragraphs, report) -> None:
    indicators = report.result.figures.indicators
    assert (indicators["pl03_sessions"]["value"], indicators["pl03_participants"]["value"]) == (
        10, 130)
    lines = [p for p in paragraphs if p.startswith("- Lớp do tỉnh tổ chức")]
    assert lines == ["- Lớp do tỉnh tổ chức thứ 1: 2 buổi, 40 lượt người; nội dung: "
                     "Kỹ năng tuyên truyền trên mạng xã hội."]
    total = next(p for p in paragraphs if p.startswith("Tổng cộng toàn tỉnh"))
    assert total.startswith("Tổng cộng toàn tỉnh: 12 buổi tập huấn, bồi dưỡng; 170 lượt người")
    # the communes' own training contents, compiled under B.III.2 ("(mục B.III.2; …)" block)
    assert any(p.endswith(": Nghiệp vụ biên tập tin bài") and p.startswith("+ ")
               for p in _after(paragraphs, total, 6))


def test_no_province_training_is_a_placeholder(report, tmp_path) -> None:
    empty = ProvinceAnswers({}, [], "kiểm thử", [])
    path = write_draft(ReportInput(report.campaign, report.result, report.form, report.outline,
                                   empty), tmp_path / "draft.docx")
    texts = [p.text for p in Document(str(path)).paragraphs]
    assert any(t.startswith("[Sở điền: các lớp tập huấn") for t in texts)
    assert next(t for t in texts if t.startswith("Tổng cộng toàn tỉnh")).startswith(
        "Tổng cộng toàn tỉnh: 10 buổi tập huấn, bồi dưỡng; 130 lượt người")


def test_an_unreadable_training_row_is_shown_unread_and_never_counted(report, form,
                                                                      tmp_path) -> None:
    """A real province file: one readable training row, one with "hai buổi" as its sessions,
    and an unreadable answer (a formula error)."""
    path = tmp_path / "tinh-tra-loi.xlsx"
    write_province_answers_template(path, form, "Tổng kết")
    book = load_workbook(path)
    sheet = book.active
    rows = list(sheet.iter_rows())
    first = next(r[0].row for r in rows if r[0].value == "STT") + 1
    for row, values in ((first, (2, 40, PROVINCE_TRAINING.content)),
                        (first + 1, ("hai buổi", 30, "Sử dụng phần mềm biên tập"))):
        for col, value in enumerate(values, start=2):
            sheet.cell(row, col).value = value
    next(r for r in rows if r[0].value == "B.I.3.b")[2].value = "=1/0"
    book.save(path)
    province = load_province_answers(path, form)
    assert province.trainings == [PROVINCE_TRAINING]
    with_notes = ReportInput(report.campaign, report.result, form, report.outline, province)
    texts = [p.text for p in Document(str(write_draft(with_notes, tmp_path / "d.docx"))
                                      ).paragraphs]
    asked = dict(province_items(form))
    assert any(t.startswith(f"[Sở điền: {asked['B.I.3.b']} — ô C") for t in texts)
    unread = next(t for t in texts if t.startswith("[Sở sửa: "))
    assert unread.startswith("[Sở sửa: dòng lớp tập huấn do Sở tổ chức không đọc được")
    assert f"dòng {first + 1} chưa được tính vì ô B{first + 1} không đọc được: " in unread
    assert '"hai buổi"' in unread and not any(t.startswith("[Sở điền: các lớp") for t in texts)
    assert [t for t in texts if t.startswith("- Lớp do tỉnh")] == [
        "- Lớp do tỉnh tổ chức thứ 1: 2 buổi, 40 lượt người; nội dung: "
        f"{PROVINCE_TRAINING.content}."]
    total = next(t for t in texts if t.startswith("Tổng cộng toàn tỉnh"))
    assert total.startswith("Tổng cộng toàn tỉnh: 12 buổi tập huấn, bồi dưỡng; 170 lượt người")
    assert "và 1 lớp do tỉnh tổ chức" in total
    # Still to correct while a row is unreadable; done once every row reads.
    assert {"B.I.3.b", "B.III.2"} <= set(unanswered(with_notes))
    assert "B.III.2" not in unanswered(report)


def test_the_draft_is_written_as_the_other_outputs(report, tmp_path) -> None:
    """Permissions of the umask (0644, as the Phụ lục), a killed run's temporary files
    removed, and a folder that refuses the file is one Vietnamese line."""
    out = tmp_path / "out"
    out.mkdir()
    left = [out / f".{DRAFT_NAME}.4242.tmp", out / f".{APPENDIX_NAME}.4242.tmp"]
    for path in left:
        path.write_bytes(b"half")
    umask = os.umask(0o022)
    try:
        draft = write_report_draft(report, out)
        appendices = write_appendices(report, out)
    finally:
        os.umask(umask)
    assert draft.stat().st_mode & 0o777 == appendices.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in out.iterdir()) == [DRAFT_NAME, APPENDIX_NAME]
    with pytest.raises(UserError) as refused:
        write_draft(report, Path("/sys/ttcs-report/d.docx"))
    assert str(refused.value) == ("không ghi được dự thảo /sys/ttcs-report/d.docx "
                                  "(không có quyền truy cập)")


def test_appendices_recipients_and_signature(docx_path, paragraphs) -> None:
    assert any("Phụ lục 01, Phụ lục 02, Phụ lục 03 kèm theo" in p for p in paragraphs)
    doc = Document(str(docx_path))
    left, right = doc.tables[-1].rows[0].cells
    places = left.paragraphs[0]
    assert places.text == "Nơi nhận:" and places.runs[0].bold and places.runs[0].italic
    assert places.runs[0].font.size.pt == 12
    assert [p.text for p in left.paragraphs[1:]] == ["- Bộ VHTTDL (b/c);", "- UBND tỉnh (b/c);",
                                                      "- Lưu: VT, TTBCXB."]
    assert all(p.runs[0].font.size.pt == 11 for p in left.paragraphs[1:])
    signature = [p.text for p in right.paragraphs]
    assert signature[:2] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    assert signature[-1] == "[Họ và tên người ký]" and signature[2:-1] == [""] * 4


def test_appendix_workbook_holds_the_three_phu_luc(report, tmp_path) -> None:
    path = write_appendices(report, tmp_path)
    assert path.name == APPENDIX_NAME
    book = load_workbook(path)
    assert book.sheetnames == ["Phụ lục 01", "Phụ lục 02", "Phụ lục 03", "Phụ lục 03 (tiếp)"]
    cells = [str(c) for row in book["Phụ lục 01"].iter_rows(values_only=True) for c in row if c]
    assert "Xã Dân Hóa" in cells and "Xã Minh Hóa" not in cells


# --- `ttcs report` on a real state database ---------------------------------------------------


@pytest.fixture(scope="module")
def campaign_file(form, tmp_path_factory) -> Path:
    """A local campaign with one run and no province file yet."""
    return campaign_with_a_run(tmp_path_factory.mktemp("campaign"), form, [A, B, C])


def test_cli_report_writes_the_draft_and_the_appendices(prefect_harness, campaign_file,
                                                        form) -> None:
    out = campaign_file.parent / "bao-cao"
    province_file = default_path(campaign_file)
    done = cli("report", "--config", str(campaign_file), "--out", str(out))
    assert done.returncode == 0, done.stderr
    # No province file yet: written empty, said in one line, every province item a placeholder.
    assert done.stdout.splitlines()[0] == (f"Đã tạo tệp {province_file} để Sở điền nội dung "
                                           "do tỉnh trả lời")
    assert load_province_answers(province_file, form).issues == []
    assert "Tổng hợp từ 3/78 đơn vị cấp xã đã nộp; chưa nộp:" in done.stdout
    assert "Lượt chạy 1 lúc 30/09/2025 22:00\n" in done.stdout  # the run's time, not ISO
    assert "Mục Sở cần điền hoặc sửa (tô vàng trong dự thảo): A.1, A.2, " in done.stdout
    assert "B.I.3.a, B.I.3.b" in done.stdout
    # The Prefect run is named after the run it reports on, not the wall clock.
    name = "report 30/09/2025 22:00 — Quảng Trị"
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            name=FlowRunFilterName(any_=[name])))
    assert [r.parameters["config"] for r in runs] == [str(campaign_file)]
    texts = [p.text for p in Document(str(out / "bao-cao-du-thao.docx")).paragraphs]
    assert "BÁO CÁO" in texts and "Tổng kết thông tin cơ sở" in texts
    asked = province_items(form)
    assert sum(t.startswith("[Sở điền:") for t in texts) == len(asked) + 1  # + its trainings
    assert placeholder(dict(asked)["B.I.3.a"]) in texts
    coverage = next(t for t in texts if t.startswith("Tổng hợp từ 3/78"))
    assert "Xã Minh Hóa" in coverage and "Xã Dân Hóa" not in coverage
    assert load_workbook(out / APPENDIX_NAME).sheetnames == [
        "Phụ lục 01", "Phụ lục 02", "Phụ lục 03", "Phụ lục 03 (tiếp)"]


def test_a_filled_province_file_is_kept_and_read(campaign_file, form, tmp_path) -> None:
    """The next report (what the flow's first task does) reads the file, never rewrites it."""
    from ttcs.report.build import load_report

    province_file = default_path(campaign_file)
    if not province_file.exists():  # this test alone: the file the first report writes
        write_province_answers_template(province_file, form, "Tổng kết thông tin cơ sở")
    book = load_workbook(province_file)
    sheet = book.active
    row = next(r for r in sheet.iter_rows() if r[0].value == "B.I.3.a")
    row[2].value = "Đã sắp xếp 4 Đài Truyền thanh - Truyền hình cấp huyện."
    book.save(province_file)
    written = province_file.read_bytes()
    report = load_report(load_campaign(campaign_file))
    assert province_file.read_bytes() == written
    assert report.province.created is None and report.province.issues == []
    texts = [p.text for p in Document(str(write_draft(report, tmp_path / "d.docx"))).paragraphs]
    assert "Đã sắp xếp 4 Đài Truyền thanh - Truyền hình cấp huyện." in texts
    assert placeholder(dict(province_items(form))["B.I.3.a"]) not in texts


@pytest.mark.parametrize(("args", "words"), [
    (["--as-of", "hôm qua"], "--as-of 'hôm qua' không đúng dạng ISO 8601"),
    (["--as-of", "2025-01-01T00:00:00"], "chưa có lượt chạy nào trước 2025-01-01T00:00:00+07:00"),
    (["--out", "/sys/ttcs-report"], "không ghi được vào thư mục /sys/ttcs-report (không có "
                                    "quyền truy cập)"),  # before any run: no failure alert
])
def test_cli_report_bad_input_is_one_line_exit_2(campaign_file, args, words) -> None:
    done = cli("report", "--config", str(campaign_file), *args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and words in done.stderr
    assert done.stdout == ""

"""`ttcs report` on a Google Sheets campaign, against the fake Google through real gspread and
google-auth over HTTP: the province's answers live in the "Tỉnh trả lời" tab of the summary
spreadsheet, created (one request) when missing, read (one request) each report; what the Sở
types there reaches the .docx, an unreadable cell is said on the terminal and at its
placeholder, and Google out of reach is one line, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from fakegoogle import FakeGoogle
from tests.conftest import cli
from tests.gsheets_setup import google_settings
from tests.report_setup import TITLE, campaign_with_a_run
from ttcs.labels import PROVINCE_TAB
from ttcs.report.draft import DRAFT_NAME, placeholder
from ttcs.report.province_answers import default_path, province_items, template_rows

CODES = ["18904", "18859", "18919"]  # Xã Dân Hóa, Phường Đồng Thuận, Xã Tân Thành
PLAN = "Kế hoạch số 120/KH-UBND ngày 15/3/2022 của UBND tỉnh"
MERGER = "Sáp nhập 8 Trung tâm Văn hóa, Thông tin và Thể thao cấp huyện vào các xã"
TRAINING = "Kỹ năng tuyên truyền trên mạng xã hội"
TRAININGS_ASKED = "các lớp tập huấn, bồi dưỡng do Sở tổ chức (số buổi, số lượt người, nội dung)"


@pytest.fixture(scope="module")
def fake():
    with FakeGoogle() as google:
        yield google


def _campaign(fake: FakeGoogle, folder: Path, form, **pacing) -> tuple[Path, str]:
    summary_id = fake.add_spreadsheet("Tổng hợp TTCS", {"Tổng hợp": [["Tổng hợp"]]})
    backend = google_settings(fake, folder / "key.json", fake.add_folder("TTCS 44"),
                              summary_id, **pacing)
    return campaign_with_a_run(folder, form, CODES, backend), summary_id


def _report(config: Path) -> tuple[list[str], list[str]]:
    """`ttcs report` (exit 0): its stdout lines and the draft's paragraphs."""
    out = config.parent / "bao-cao"
    done = cli("report", "--config", str(config), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines(), [p.text for p in Document(str(out / DRAFT_NAME)).paragraphs]


def _row(form, first: str) -> int:
    """The 1-based row of the tab whose column A shows ``first``."""
    return next(i for i, row in enumerate(template_rows(form, TITLE)) if row[:1] == [first]) + 1


def test_answers_typed_in_the_summary_tab_reach_the_draft(prefect_harness, fake, form,
                                                          tmp_path) -> None:
    config, summary_id = _campaign(fake, tmp_path, form)
    fake.reset_counts()
    lines, texts = _report(config)
    # No tab yet: laid out empty in one request after the one read, said in one line.
    assert fake.counts(summary_id) == {"values.get": 1, "sheets.batchUpdate": 1}
    assert {k: n for k, n in fake.counts().items() if k != "token"} == fake.counts(summary_id)
    assert fake.tabs(summary_id) == ["Tổng hợp", PROVINCE_TAB]
    assert lines[0] == (f'Đã tạo trang "{PROVINCE_TAB}" của bảng tổng hợp {summary_id} để Sở '
                        "điền nội dung do tỉnh trả lời")
    assert not default_path(config).exists()  # the tab is the only place
    asked = dict(province_items(form))
    assert sum(t.startswith("[Sở điền:") for t in texts) == len(asked) + 1
    assert placeholder(asked["B.I.3.a"]) in texts

    # The Sở types its answers in the browser; one answer and one number it mistypes.
    tab = f"'{PROVINCE_TAB}'"
    fake.write(summary_id, f"{tab}!C{_row(form, 'A.1')}", [[PLAN]])
    fake.write(summary_id, f"{tab}!C{_row(form, 'B.I.3.a')}", [[MERGER], ["#REF!"]],
               value_input="RAW")  # B.I.3.b: an error value, unreadable
    first = _row(form, "STT") + 1
    fake.write(summary_id, f"{tab}!B{first}", [[3, 240, TRAINING], ["mười", 12, "Vận hành"]],
               value_input="RAW")
    fake.reset_counts()
    lines, texts = _report(config)
    assert fake.counts(summary_id) == {"values.get": 1}
    assert {k: n for k, n in fake.counts().items() if k != "token"} == {"values.get": 1}
    b_i_3_b, sessions = f"C{_row(form, 'B.I.3.b')}", f"B{first + 1}"
    assert [line.split(": ", 1)[0] for line in lines[:2]] == [
        f'Trang "{PROVINCE_TAB}" — Ô {b_i_3_b} ("Mục B.I.3.b")',
        f'Trang "{PROVINCE_TAB}" — Ô {sessions} ("Số buổi")']
    assert "#REF!" in lines[0] and '"mười"' in lines[1]
    assert not any(line.startswith("Đã tạo") for line in lines)
    unanswered = next(line for line in lines if line.startswith("Mục Sở cần điền"))
    assert "B.I.3.b" in unanswered and "B.III.2" in unanswered and "B.I.3.a," not in unanswered
    assert PLAN in texts and MERGER in texts
    assert placeholder(asked["B.I.3.a"]) not in texts
    noted = [t for t in texts if t.startswith("[Sở điền:") and "không đọc được" in t]
    reasons = [line.split('"): ', 1)[1] for line in lines[:2]]  # the same words as above
    assert [t.partition(" không đọc được: ")[::2] for t in noted] == [
        (f"[Sở điền: {asked['B.I.3.b']} — ô {b_i_3_b}", f"{reasons[0]}]")]
    # The "mười" row: shown unread with its cell, never a class; the readable row counts.
    unread = next(t for t in texts if t.startswith("[Sở sửa:"))
    assert unread.endswith(f"dòng {first + 1} chưa được tính vì ô {sessions} không đọc được: "
                           f"{reasons[1]}]")
    assert not any(t.startswith(f"[Sở điền: {TRAININGS_ASKED}") for t in texts)
    assert [t for t in texts if t.startswith("- Lớp do tỉnh")] == [
        f"- Lớp do tỉnh tổ chức thứ 1: 3 buổi, 240 lượt người; nội dung: {TRAINING}."]


def test_google_out_of_reach_is_one_line_exit_1(prefect_harness, fake, form, tmp_path) -> None:
    config, summary_id = _campaign(fake, tmp_path, form, max_retries=1)
    fake.inject_faults(1.0, ("503",), only=("values.get",))
    try:
        done = cli("report", "--config", str(config), "--out", str(tmp_path / "bao-cao"))
    finally:
        fake.clear_faults()
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("Lỗi: Lượt chạy report không thành công: ")
    assert "Google" in done.stderr and "Traceback" not in done.stderr
    assert fake.counts(summary_id) == {"values.get": 2}  # the read and its one retry
    assert PROVINCE_TAB not in fake.tabs(summary_id)
    assert not (tmp_path / "bao-cao" / DRAFT_NAME).exists()

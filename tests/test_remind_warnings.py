"""The night's review reaches the reminders for real: workbooks collected by the nightly flow
(a too-short assessment on a unit that has not submitted, the same text pasted by two units
that did), then `ttcs remind` sending to an aiosmtpd server on 127.0.0.1 that keeps every
message as an .eml file (the demo's mail folder). The .eml files are read back as a mail client
would: the warning is in the unit's message as a thing to check, in its attachment as
"Cảnh báo", and the submitted units are in the coordinators' digest, never reminded.
"""

from __future__ import annotations

import email
import email.policy
import io
import re
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller

from tests.conftest import cli
from tests.smtp_sinks import free_port
from tests.test_remind import (
    COORDINATOR,
    EXCLUDED,
    FORM,
    answers,
    book,
    local,
    mail,
    write_campaign,
    write_contacts,
)
from ttcs.campaign import registry
from ttcs.demo import MailFolder

SHORT, PASTED_A, PASTED_B = [u.code for u in registry.units("44") if u.code != EXCLUDED][:3]
SHORT_TEXT = "Đã ban hành kế hoạch."  # 21 characters: under min_assessment_chars (50)
PASTED = ("Trong năm, đơn vị đã triển khai đầy đủ các nhiệm vụ thông tin cơ sở theo kế "
          "hoạch của tỉnh, bảo đảm kịp thời và hiệu quả.")
SECTION = ("sections", "C.1", "answer")  # required: "Đánh giá chung: Thuận lợi"


def eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def plain(message: email.message.EmailMessage) -> str:
    return " ".join(message.get_body(("plain",)).get_content().split())


@pytest.fixture(scope="module")
def mailed(prefect_harness, tmp_path_factory) -> dict[str, Path]:
    """One night (the three workbooks), one morning's reminders (stage -3): the .eml files."""
    from flows.nightly import nightly

    tmp = tmp_path_factory.mktemp("remind-warnings")
    port = free_port()
    config = write_campaign(tmp, port)
    write_contacts(tmp / "contacts.csv", [{"code": code, "email": mail(code)}
                                         for code in (SHORT, PASTED_A, PASTED_B)])
    short = answers(SHORT) | {SECTION: SHORT_TEXT}
    del short[("confirmation.confirm", "", "complete")]  # not marked done: it owes its report
    book(tmp, SHORT, local(25, 10), short)
    for code in (PASTED_A, PASTED_B):
        book(tmp, code, local(25, 11), answers(code) | {SECTION: PASTED})
    nightly(str(config), local(26, 22))
    folder = tmp / "mail"
    controller = Controller(MailFolder(folder), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = cli("remind", "--config", str(config), "--now", local(27, 8).isoformat())
    finally:
        controller.stop()
    assert result.returncode == 0, result.stderr
    return {path.stem: path for path in folder.glob("*.eml")}


def test_a_warning_reaches_the_units_eml_as_a_thing_to_check(mailed) -> None:
    assert set(mailed) == {f"{SHORT}-moc-3", "tong-hop"}  # the submitted units are done
    message = eml(mailed[f"{SHORT}-moc-3"])
    assert message["To"] == mail(SHORT)
    text = plain(message)
    found = re.search(r"1\. (Trang (.+?), ô ([A-Z]+\d+): đánh giá mục C\.1 \(Đánh giá chung: "
                      r"Thuận lợi\) chỉ có 21 ký tự, quá ngắn so với yêu cầu \(ít nhất 50\); đề "
                      r"nghị viết rõ kết quả, số liệu và nguyên nhân)", text)
    assert found, text
    line, sheet, cell = found.groups()
    for sentence in (
            f"Có 1 cảnh báo cần xem lại (không bắt buộc sửa để nộp): {sheet}: 1 cảnh báo.",
            "Cảnh báo không phải lỗi: xin xem lại; nếu nội dung, số liệu đã đúng thì giữ nguyên.",
            "Các cảnh báo, theo thứ tự trong bảng tính:",
            f"Danh sách đầy đủ, theo trang và ô: tệp đính kèm “ket-qua-kiem-tra-{SHORT}.xlsx”.",
            "đang nhập — không còn lỗi nhưng chưa đánh dấu \"Đã hoàn thành\".",
            "Bảng tính không còn lỗi nào, các cảnh báo trên không ngăn việc nộp: đơn vị có thể "
            "nộp ngay bằng cách chọn \"Có\" ở mục \"Đã hoàn thành\" của bảng tính rồi gửi lại tệp "
            f"qua email tới {COORDINATOR}."):
        assert sentence in text, (sentence, text)
    for sentence in ("Cần bổ sung hoặc sửa", "Các lỗi", "lỗi khác", "hết lỗi"):
        assert sentence not in text
    (attached,) = list(message.iter_attachments())
    assert attached.get_filename() == f"ket-qua-kiem-tra-{SHORT}.xlsx"
    rows = list(openpyxl.load_workbook(io.BytesIO(attached.get_content())).active
                .iter_rows(values_only=True))
    assert rows[0][0].endswith(": 0 lỗi, 1 cảnh báo")
    assert rows[2][1:4] == (sheet, cell, "Cảnh báo") and len(rows) == 3
    assert line == f"Trang {rows[2][1]}, ô {rows[2][2]}: {rows[2][4].split(': ', 1)[1]}"
    assert sheet in [tab.name for tab in FORM.tabs]


def test_the_digest_lists_the_submitted_units_the_review_warns_about(mailed) -> None:
    digest = eml(mailed["tong-hop"])
    assert digest["To"] == COORDINATOR
    text = plain(digest)
    assert ("Đơn vị đã nộp có cảnh báo cần xem lại: 2 (không nhắc các đơn vị này; danh sách "
            "đầy đủ ở trang “Lỗi” của bảng tổng hợp)") in text
    for code, other in ((PASTED_A, PASTED_B), (PASTED_B, PASTED_A)):
        assert (f"{code} {registry.unit(code).name} — 1 cảnh báo; đầu tiên: Trang ") in text
        assert f"trùng hoàn toàn với nội dung của 1 đơn vị khác: {registry.unit(other).name}" \
            in text
    assert "Tình hình:" in text and "đã nộp 2" in text
    assert SHORT not in text.split("Đơn vị đã nộp có cảnh báo")[1]

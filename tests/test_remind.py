"""Reminders for real: the remind flow on the Prefect test server, real SQLite, real workbooks
collected by the real nightly flow, and every message to a real SMTP server on 127.0.0.1
(aiosmtpd) that can refuse a recipient with 550 (e-mail over smtplib, one unit through apprise).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
from pathlib import Path

import pytest
import yaml
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from tests.conftest import CONFIG
from tests.smtp_sinks import Mailbox, Received, serving
from tests.workbooks import Book
from ttcs.campaign import registry
from ttcs.campaign.contacts import COLUMNS
from ttcs.campaign.settings import load_campaign
from ttcs.reminders.notify import Channels, Mailer, smtp_password
from ttcs.reminders.remind import plan_from_store, voice
from ttcs.reminders.reminder_log import ReminderLog, deliver, reminder_log
from ttcs.state.store import open_store
from ttcs.workbook.form import load_form
from ttcs.workbook.sample import valid_answers
from ttcs.workbook.template import render_workbook

TZ = dt.timezone(dt.timedelta(hours=7))
DEADLINE = dt.datetime(2025, 9, 30, 17, 0, tzinfo=TZ)
TEXTS = {"data_as_of": "30/09/2025", "deadline": "17:00 ngày 30/09/2025"}
FORM = load_form(CONFIG / "form.yaml")
UNITS = [u.code for u in registry.units("44")]
SUBMITTED, BLANK, NEEDS_FIX, PARTIAL, CORRUPT, FAILING, VIA_APPRISE, NO_CONTACT = UNITS[:8]
EXCLUDED = "19742"
COORDINATOR = "dieuphoi@so.example"
SHEET_ID = "1AbCdEf-sheet_of_needs_fix"
SCRIPT = "<script>alert('x')</script>"


def mail(code: str) -> str:
    return f"u{code}@xa.example"


@pytest.fixture(scope="module")
def smtp():
    mailbox = Mailbox()
    with serving(mailbox) as port:
        yield mailbox, port


def write_campaign(tmp: Path, port: int, **changes) -> Path:
    data = {
        "title": "Tổng kết thông tin cơ sở (thử)", "province": "44",
        "data_as_of": "2025-09-30", "deadline": DEADLINE.isoformat(),
        "form": str(CONFIG / "form.yaml"), "contacts": "contacts.csv", "output_dir": "out",
        "database": "sqlite:///state.db", "excluded_units": [EXCLUDED],
        "coordinators": [{"name": "Phòng Thông tin cơ sở", "email": COORDINATOR,
                          "phone": "0233 3852 000"}],
        "reminders": {"stages": [-7, -3, -1, 0, 1, 3], "window_start": "07:30",
                      "window_end": "17:00", "cc_coordinators_from": 2, "errors_listed": 3,
                      "collect_if_older_than_hours": 12},
        "smtp": {"host": "127.0.0.1", "port": port, "sender": "ttcs@so.example"},
        "backend": {"kind": "local", "local": {"folder": "communes"}},
    } | changes
    path = tmp / "campaign.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (tmp / "communes").mkdir(exist_ok=True)
    return path


def write_contacts(path: Path, rows: list[dict[str, str]]) -> None:
    import csv

    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
        writer.writerow({col: col for col in COLUMNS})
        writer.writerows(rows)


def book(tmp: Path, code: str, when: dt.datetime, answers: dict | None = None,
         name: str | None = None) -> Path:
    path = render_workbook(FORM, registry.unit(code), TEXTS,
                           tmp / "communes" / (name or f"{code}.xlsx"), answers)
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def answers(code: str) -> dict:
    return valid_answers(FORM, registry.unit(code), random.Random(code))


def local(day: int, hour: int, minute: int = 0, month: int = 9) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=TZ)


def run_remind(config: Path, now: dt.datetime) -> dict:
    from flows.remind import remind

    return remind(str(config), now)


@pytest.fixture(scope="module")
def campaign_state(prefect_harness, smtp, tmp_path_factory):
    """A week of reminders: several mornings, a refused address, a submission, a crash."""
    from flows.nightly import nightly

    mailbox, port = smtp
    tmp = tmp_path_factory.mktemp("remind")
    config = write_campaign(tmp, port)
    bridge = f"mailto://127.0.0.1:{port}/zalo-{VIA_APPRISE}@bridge.example?from=ttcs@so.example"
    write_contacts(tmp / "contacts.csv", [
        {"code": code, "person": f"Cán bộ {code}", "email": mail(code)}
        for code in (SUBMITTED, BLANK, PARTIAL, CORRUPT, FAILING, EXCLUDED)
    ] + [
        {"code": NEEDS_FIX, "person": "Nguyễn Văn <b>A</b>", "email": mail(NEEDS_FIX),
         "spreadsheet": f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=0"},
        {"code": VIA_APPRISE, "email": mail(VIA_APPRISE), "apprise_url": bridge},
    ])
    book(tmp, SUBMITTED, local(25, 10), answers(SUBMITTED))
    book(tmp, BLANK, local(24, 9))
    broken = answers(NEEDS_FIX)
    connected = ("PL02.web_boards", f"{NEEDS_FIX}:after", "boards_connected")
    villages = ("PL01.stations", f"{NEEDS_FIX}:after", "villages")
    broken[connected] = 99
    broken[villages] = SCRIPT
    book(tmp, NEEDS_FIX, local(26, 9), broken)
    partial = {k: v for k, v in answers(PARTIAL).items() if k[0] == "PL01.stations"}
    book(tmp, PARTIAL, local(25, 11), partial)
    (tmp / "communes" / f"{CORRUPT}-hong.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    book(tmp, FAILING, local(24, 9))
    via = {k: v for k, v in answers(VIA_APPRISE).items() if k[0] == "PL01.stations"}
    book(tmp, VIA_APPRISE, local(25, 9), via)
    where = Book(FORM, NEEDS_FIX, tmp / "layout.xlsx")
    cells = {"connected": (where.tab(connected), where.a1(connected)),
             "villages": (where.tab(villages), where.a1(villages))}

    nightly(str(config), local(26, 22))
    mailbox.take()
    mailbox.reject = {mail(FAILING)}
    runs = {}
    runs["r1"] = run_remind(config, local(27, 8))  # stage -3, data 10 h old: no collection
    runs["r1_mail"] = mailbox.take()
    runs["r2"] = run_remind(config, local(27, 9, 30))  # the same morning again
    runs["r2_mail"] = mailbox.take()
    runs["evening"] = run_remind(config, local(27, 18))  # outside the sending window
    runs["evening_mail"] = mailbox.take()
    # Between runs: the address works again, and PARTIAL completes its sheet.
    mailbox.reject = set()
    book(tmp, PARTIAL, local(27, 20), answers(PARTIAL))
    runs["r3"] = run_remind(config, local(28, 8))  # still stage -3; data 34 h old: collects
    runs["r3_mail"] = mailbox.take()
    # A run that dies between reserving BLANK's stage -1 e-mail and confirming it.
    campaign = load_campaign(config)
    store = open_store(campaign.database)
    crash_at = local(29, 7, 45)
    due = plan_from_store(voice(campaign), store, crash_at)
    doomed = [r for r in due.reminders if r.unit == BLANK]

    def dies(_reminder) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        deliver(ReminderLog(store), doomed, dies, crash_at, due.run_id)
    runs["r4"] = run_remind(config, local(29, 8))  # stage -1
    runs["r4_mail"] = mailbox.take()
    runs["r5"] = run_remind(config, local(1, 8, month=10))  # stage +1, after the deadline
    runs["r5_mail"] = mailbox.take()
    return {"tmp": tmp, "config": config, "store": store, "cells": cells, "runs": runs,
            "campaign": campaign}


def unit_mail(received: list[Received], code: str) -> Received:
    (found,) = [r for r in received if r.to == mail(code)]
    return found


def digest_of(received: list[Received]) -> Received:
    (found,) = [r for r in received if r.to == COORDINATOR]
    return found


def test_first_morning_reminds_exactly_the_units_that_owe(campaign_state) -> None:
    runs = campaign_state["runs"]
    assert runs["r1"]["stage"] == -3 and runs["r1"]["collected"] is False
    received = runs["r1_mail"]
    units = {r.to for r in received} - {COORDINATOR}
    assert units == {mail(BLANK), mail(NEEDS_FIX), mail(PARTIAL), mail(CORRUPT),
                     mail(VIA_APPRISE), f"zalo-{VIA_APPRISE}@bridge.example"}
    results = {(r["unit"], r["channel"]): r["result"] for r in runs["r1"]["reminders"]}
    assert results[(FAILING, "email")] == "failed"
    assert all(r["stage"] == -3 for r in runs["r1"]["reminders"])
    assert {u for u, _ in results} == {BLANK, NEEDS_FIX, PARTIAL, CORRUPT, FAILING, VIA_APPRISE}


def test_message_content_names_cells_link_and_days_left(campaign_state) -> None:
    received = campaign_state["runs"]["r1_mail"]
    fix = unit_mail(received, NEEDS_FIX)
    name = registry.unit(NEEDS_FIX).name
    assert name in fix.subject and "còn 3 ngày" in fix.subject
    text = fix.message.get_body(("html",)).get_content()
    for tab, cell in campaign_state["cells"].values():
        assert f"Trang {tab}, ô {cell}" in text
    assert f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit" in text
    assert "Hạn nộp: 17:00 ngày 30/09/2025 — còn 3 ngày." in text
    assert "0233 3852 000" in text and COORDINATOR in text
    assert "lần nhắc thứ 1" in text and fix.cc == ""
    assert fix.message["From"].addresses[0].display_name == (
        "Sở Văn hóa, Thể thao và Du lịch Quảng Trị")
    assert fix.message["Reply-To"].addresses[0].addr_spec == COORDINATOR
    blank = unit_mail(received, BLANK)
    assert f"{BLANK}.xlsx" in blank.text  # local backend: the workbook's file name
    assert "chưa bắt đầu" in blank.text and "Trang PL01, ô D" in blank.text
    assert "lỗi khác." in blank.text  # only the first 3 errors are listed
    assert blank.text.count("Trang PL") == 3
    corrupt = unit_mail(received, CORRUPT)
    assert "chưa đọc được tệp báo cáo" in corrupt.subject
    assert "không đọc được bảng tính" in corrupt.text and f"{CORRUPT}-hong.xlsx" in corrupt.text


def test_html_escapes_what_communes_typed(campaign_state) -> None:
    fix = unit_mail(campaign_state["runs"]["r1_mail"], NEEDS_FIX)
    html = fix.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<script" not in html and "<b>A</b>" not in html
    assert "Nguyễn Văn &lt;b&gt;A&lt;/b&gt;" in html
    plan = [r for r in campaign_state["runs"]["r1"]["reminders"] if r["unit"] == NEEDS_FIX]
    assert SCRIPT in plan[0]["text"]  # the plain text keeps it as typed


def test_any_apprise_url_per_unit_gets_the_plain_text(campaign_state) -> None:
    received = campaign_state["runs"]["r1_mail"]
    (bridged,) = [r for r in received if r.to == f"zalo-{VIA_APPRISE}@bridge.example"]
    assert bridged.message.get_body(("html",)) is None
    assert registry.unit(VIA_APPRISE).name in bridged.text
    shown = [r for r in campaign_state["runs"]["r1"]["reminders"] if r["channel"] == "apprise"]
    assert shown[0]["to"][0].startswith("mailto://")


def test_digest_goes_to_the_coordinator(campaign_state) -> None:
    runs = campaign_state["runs"]
    digest = digest_of(runs["r1_mail"])
    text = digest.text
    assert "Tình hình:" in text and "đã nộp 1" in text and "không yêu cầu báo cáo 1" in text
    assert f"{BLANK} {registry.unit(BLANK).name} — mốc -3 (trước hạn 3 ngày)" in text
    assert "Gửi không thành công" in text and FAILING in text and "550" in text
    assert "Chưa có địa chỉ liên lạc" in text and NO_CONTACT in text
    assert runs["r1"]["digest"]["sent"] is True


def test_second_run_sends_nothing_new(campaign_state) -> None:
    runs = campaign_state["runs"]
    assert [r.to for r in runs["r2_mail"]] == [COORDINATOR]  # the digest only
    assert [(r["unit"], r["result"]) for r in runs["r2"]["reminders"]] == [(FAILING, "failed")]
    entries = ReminderLog(campaign_state["store"]).entries()
    assert entries[(FAILING, -3, "email")].attempts >= 2


def test_outside_the_window_nothing_is_sent_or_collected(campaign_state) -> None:
    runs = campaign_state["runs"]
    assert runs["evening"]["in_window"] is False and runs["evening"]["collected"] is False
    assert runs["evening_mail"] == []


def test_failed_recipient_is_retried_while_its_stage_is_current(campaign_state) -> None:
    runs = campaign_state["runs"]
    assert runs["r3"]["stage"] == -3 and runs["r3"]["collected"] is True
    assert {r.to for r in runs["r3_mail"]} == {mail(FAILING), COORDINATOR}
    entry = ReminderLog(campaign_state["store"]).entries()[(FAILING, -3, "email")]
    assert entry.status == "sent" and entry.attempts == 3 and entry.error is None


def test_later_stage_skips_the_unit_that_submitted_and_escalates(campaign_state) -> None:
    runs = campaign_state["runs"]
    assert runs["r4"]["stage"] == -1
    units = {r.to for r in runs["r4_mail"]} - {COORDINATOR}
    assert units == {mail(NEEDS_FIX), mail(CORRUPT), mail(FAILING), mail(VIA_APPRISE),
                     f"zalo-{VIA_APPRISE}@bridge.example"}
    assert mail(PARTIAL) not in units  # submitted between the runs
    fix = unit_mail(runs["r4_mail"], NEEDS_FIX)
    assert fix.cc == COORDINATOR and COORDINATOR in fix.message.get("Cc")  # 2nd reminder
    assert COORDINATOR in unit_mail(runs["r4_mail"], FAILING).cc
    assert "còn 1 ngày" in fix.subject and "lần nhắc thứ 2" in fix.text


def test_crash_between_reserve_and_confirm_is_reported_not_resent(campaign_state) -> None:
    runs = campaign_state["runs"]
    assert mail(BLANK) not in {r.to for r in runs["r4_mail"]}
    entry = ReminderLog(campaign_state["store"]).entries()[(BLANK, -1, "email")]
    assert entry.status == "reserved"
    digest = digest_of(runs["r4_mail"]).text
    assert "Chưa xác nhận đã gửi (1 tin" in digest
    assert f"{BLANK} {registry.unit(BLANK).name} — mốc -1 (trước hạn 1 ngày) — email" in digest
    assert [BLANK, -1, "email"] in runs["r4"]["unconfirmed"]


def test_after_the_deadline_overdue_stage_and_digest(campaign_state) -> None:
    runs = campaign_state["runs"]
    assert runs["r5"]["stage"] == 1
    blank = unit_mail(runs["r5_mail"], BLANK)  # a new stage: sent, 3rd reminder
    assert "đã quá hạn 1 ngày" in blank.subject and "lần nhắc thứ 3" in blank.text
    digest = digest_of(runs["r5_mail"]).text
    assert "Quá hạn, chưa nộp" in digest
    overdue = digest.split("Quá hạn, chưa nộp")[1].split("\n\n")[0]
    assert BLANK in overdue and NEEDS_FIX in overdue
    assert PARTIAL not in overdue and SUBMITTED not in overdue


def test_every_unit_stage_channel_is_logged_once(campaign_state) -> None:
    store = campaign_state["store"]
    with store.begin() as conn:
        keys = [(r.unit, r.stage, r.channel) for r in conn.execute(select(reminder_log))]
    assert len(keys) == len(set(keys))
    assert not {k for k in keys if k[0] in (SUBMITTED, EXCLUDED)}


def test_two_concurrent_runs_send_each_message_once(campaign_state, smtp, tmp_path) -> None:
    mailbox, _port = smtp
    campaign = campaign_state["campaign"]
    now = local(3, 8, month=10)
    due = plan_from_store(voice(campaign), campaign_state["store"], now, log={})
    assert len(due.reminders) >= 5
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    open_store(url)
    start = threading.Barrier(2)
    outcomes: dict[str, list] = {}

    def run(name: str, order: list) -> None:
        log = ReminderLog(open_store(url))  # each "run" has its own engine and connections
        channels = Channels(Mailer.from_campaign(campaign))
        start.wait()
        outcomes[name] = deliver(log, order, channels.send, now)

    threads = [threading.Thread(target=run, args=("a", due.reminders)),
               threading.Thread(target=run, args=("b", list(reversed(due.reminders))))]
    mailbox.take()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    received = mailbox.take()
    expected = sorted(r.target for r in due.reminders if r.channel == "email")
    assert sorted(r.to for r in received if "@xa.example" in r.to) == expected
    results = {}
    for name in ("a", "b"):
        for outcome in outcomes[name]:
            results.setdefault(outcome.reminder.key, []).append(outcome.result)
    assert all(sorted(found) == ["sent", "taken"] for found in results.values())
    assert len(results) == len(due.reminders)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_credentials_from_the_environment(monkeypatch, tmp_path) -> None:
    """Login with the user from the settings and the password from the named variable."""
    logins: list[tuple[bytes, bytes]] = []
    mailbox = Mailbox()
    password = "p@ss:w/rd%?&"  # characters an apprise URL must quote

    def authenticator(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            logins.append((auth_data.login, auth_data.password))
            return AuthResult(success=auth_data.password == password.encode())
        return AuthResult(success=False)

    with serving(mailbox, authenticator=authenticator, auth_require_tls=False) as port:
        monkeypatch.setenv("TTCS_TEST_SMTP_PASSWORD", password)
        campaign = load_campaign(write_campaign(
            tmp_path, port, smtp={"host": "127.0.0.1", "port": port,
                                  "sender": "ttcs@so.example", "username": "so@so.example",
                                  "password_env": "TTCS_TEST_SMTP_PASSWORD"}))
        mailer = Mailer.from_campaign(campaign, smtp_password(campaign.smtp))
        mailer.send(["a@xa.example"], [], "Thử", "Xin chào", "<p>Xin chào</p>")
    assert logins[0] == (b"so@so.example", password.encode())
    (received,) = mailbox.received
    assert received.to == "a@xa.example" and "Sở Văn hóa" in str(received.message["From"])


def test_the_full_list_of_errors_is_attached_for_an_xlsx_campaign(campaign_state) -> None:
    import io
    import re

    import openpyxl

    blank = unit_mail(campaign_state["runs"]["r1_mail"], BLANK)
    total = int(re.search(r"Cần bổ sung hoặc sửa (\d+) lỗi \(", blank.text)[1])
    assert f"tệp đính kèm “ket-qua-kiem-tra-{BLANK}.xlsx”" in blank.text
    (attached,) = list(blank.message.iter_attachments())
    assert attached.get_filename() == f"ket-qua-kiem-tra-{BLANK}.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(attached.get_content())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("STT", "Trang", "Ô", "Loại", "Nội dung")
    assert len(rows) == 2 + total > 2 + 3  # more than the 3 errors the message lists
    lines = blank.text.splitlines()
    first = lines[lines.index("Các lỗi đầu tiên, theo thứ tự trong bảng tính:") + 1]
    assert first == f"  1. Trang {rows[2][1]}, ô {rows[2][2]}: {rows[2][4].split(': ', 1)[1]}"
    passed = unit_mail(campaign_state["runs"]["r1_mail"], CORRUPT)
    assert list(passed.message.iter_attachments()) == []  # no errors to list

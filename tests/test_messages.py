"""What a commune reads, for every situation × before/after the deadline × backend (local .xlsx and
Google Sheets), rendered from the templates of config/messages: the exact sentences that must
appear and those that must not. And a broken template is one line, at start.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import CONFIG
from tests.test_remind import DEADLINE, local, write_campaign
from ttcs.campaign import registry
from ttcs.campaign.contacts import Contact, Contacts
from ttcs.campaign.settings import load_campaign
from ttcs.cli.app import app
from ttcs.errors import ConfigError
from ttcs.reminders.remind import (
    UnitState,
    compose,
    dry_digest,
    plan,
    reading_order,
    voice,
)
from ttcs.workbook.issues import Issue

CODE = registry.units("44")[3].code
NAME = registry.unit(CODE).name
SHEET_ID = "1SheetOfTheUnit"
SERVICE_ACCOUNT = "ttcs-nhac@du-an.iam.gserviceaccount.com"
RETURN_TO = "baocao@so.example"
BEFORE, AFTER = local(27, 8), local(2, 8, month=10)  # stage -3; stage +1, two days over
ACCEPTED = local(25, 10)  # on time
PATH_REASON = f"/srv/ttcs/data/communes/{CODE}.xlsx: không đọc được (File is not a zip file)"
# 12 errors on PL02 and 3 on PL01, given out of order: PL01 comes first in reading order.
ERRORS = [Issue(CODE, "PL02", f"G{row}", None, "r", "contradiction", f"Ô G{row}: mâu thuẫn")
          for row in range(20, 8, -1)] + [
          Issue(CODE, "PL01", f"D{row}", None, "r", "missing", f"Ô D{row}: chưa nhập")
          for row in (12, 10, 11)]
SITUATIONS = ("not_started", "in_progress", "needs_fix", "unreachable", "unreachable_accepted",
              "changed_after_submit")
PATH = re.compile(r"(?:^|[\s(“\"'])(?:/|[A-Za-z]:\\)\w")


@pytest.fixture(scope="module", params=["local", "gsheets"])
def backend(request) -> str:
    return request.param


def campaign_for(kind: str, tmp: Path):
    key = tmp / "key.json"
    key.write_text(json.dumps({"type": "service_account", "client_email": SERVICE_ACCOUNT}),
                   encoding="utf-8")
    backends = {"local": {"kind": "local", "local": {"folder": "communes"}},
                "gsheets": {"kind": "gsheets", "gsheets": {"credentials_file": str(key)}}}
    config = write_campaign(tmp, 25, backend=backends[kind], reminders={
        "stages": [-7, -3, -1, 0, 1, 3], "errors_listed": 10, "return_to": RETURN_TO})
    return load_campaign(config)


def unit_in(situation: str, when: dt.datetime, kind: str) -> UnitState:
    """The unit as the nightly run would leave it at ``when``."""
    after = when > DEADLINE
    order = reading_order(CONFIG / "form.yaml")
    errors = tuple(sorted(ERRORS, key=order))
    sheet = (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit" if kind == "gsheets"
             else f"{CODE}.xlsx")
    if situation.startswith("unreachable"):
        accepted = ACCEPTED if situation == "unreachable_accepted" else None
        late = ("late",) if after and accepted is None else ()
        return UnitState(CODE, NAME, "unreachable", late, (), PATH_REASON, sheet, accepted)
    if situation == "changed_after_submit":
        return UnitState(CODE, NAME, "needs_fix", ("changed_after_submit", "inconsistent"),
                         errors, None, sheet, ACCEPTED)
    flags = ("late",) if after else ()
    found = errors if situation == "needs_fix" else errors[:3]
    return UnitState(CODE, NAME, situation, flags, found, None, sheet)


def contact(kind: str) -> Contact:
    return Contact(code=CODE, person=f"Cán bộ {NAME}", email="xa@xa.example",
                   spreadsheet_id=SHEET_ID if kind == "gsheets" else "")


def readable(page: str) -> str:
    """The HTML as a reader sees it: tags out, entities decoded, lines joined."""
    blocks = re.sub(r"<(?:br|/?p|/?li|/?ul|/?ol|/?body|/?html)\b[^>]*>", " ", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", blocks)).split())


def must(situation: str, when: dt.datetime, kind: str) -> list[str]:
    after = when > DEADLINE
    sentences = [f"Kính gửi: Cán bộ {NAME} (mã {CODE})."]
    accepted = situation in ("unreachable_accepted", "changed_after_submit")
    if accepted:
        sentences.append("Báo cáo của đơn vị đã được chấp nhận lúc 10:00 ngày 25/09/2025 (đúng "
                         "hạn) và vẫn là báo cáo Sở dùng để tổng hợp.")
    elif after:
        sentences.append("Hạn nộp: 17:00 ngày 30/09/2025 — đã quá hạn 2 ngày.")
    else:
        sentences.append("Hạn nộp: 17:00 ngày 30/09/2025 — còn 3 ngày.")
    if situation.startswith("unreachable"):
        sentences.append(f"Lý do: {CODE}.xlsx: không đọc được (File is not a zip file).")
        sentences.append(
            "Xin kiểm tra bảng tính của đơn vị còn tồn tại, đúng biểu mẫu và đã được chia sẻ "
            f"quyền chỉnh sửa cho {SERVICE_ACCOUNT}." if kind == "gsheets" else
            "Xin mở tệp trên máy để kiểm tra, lưu lại đúng biểu mẫu (.xlsx) rồi gửi lại tệp "
            f"qua email tới {RETURN_TO}.")
        if not accepted and not after:
            sentences.append("Đây không phải thông báo trễ hạn: hệ thống chỉ chưa đọc được số "
                             "liệu.")
        return sentences
    if kind == "gsheets":
        sentences.append("Xin nhập đủ và sửa ngay trong bảng tính của đơn vị: "
                         f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit")
    else:
        sentences.append(f"Tệp của đơn vị: {CODE}.xlsx. Xin nhập đủ và sửa trong tệp này rồi "
                         f"gửi lại tệp qua email tới {RETURN_TO}.")
    if situation in ("needs_fix", "changed_after_submit"):
        sentences += ["Cần bổ sung hoặc sửa 15 lỗi (PL01: 3 lỗi, PL02: 12 lỗi).",
                      "1. Trang PL01, ô D10: chưa nhập", "4. Trang PL02, ô G9: mâu thuẫn",
                      "và 5 lỗi khác.",
                      f"Danh sách đầy đủ ở thẻ “Kết quả kiểm tra” của bảng tính: https://docs."
                      f"google.com/spreadsheets/d/{SHEET_ID}/edit#gid=901117001"
                      if kind == "gsheets" else
                      f"Danh sách đầy đủ, theo trang và ô: tệp đính kèm “ket-qua-kiem-tra-{CODE}"
                      ".xlsx”."]
    return sentences


def must_not(situation: str, when: dt.datetime, kind: str) -> list[str]:
    after = when > DEADLINE
    sentences = ["/srv/", "communes/", ", " + NAME]
    if situation in ("unreachable_accepted", "changed_after_submit") or not after:
        sentences.append("quá hạn")
    if after and situation == "unreachable":
        sentences.append("Đây không phải thông báo trễ hạn")
    sentences.append("gửi lại tệp" if kind == "gsheets" else "chia sẻ")
    if situation != "needs_fix" and situation != "changed_after_submit":
        sentences.append("lỗi khác")
    return sentences


@pytest.mark.parametrize("when", [BEFORE, AFTER], ids=["before", "after"])
@pytest.mark.parametrize("situation", SITUATIONS)
def test_every_situation_says_the_right_sentences(backend, situation, when, tmp_path) -> None:
    campaign = campaign_for(backend, tmp_path)
    message = compose(voice(campaign), unit_in(situation, when, backend), contact(backend),
                      when, when - dt.timedelta(hours=10), 1)
    text, page = " ".join(message.text.split()), readable(message.html)
    for sentence in must(situation, when, backend):
        assert sentence in text, (sentence, message.text)
        assert re.sub(r"^\d+\. ", "", sentence) in page, (sentence, page)  # <ol> numbers
    for sentence in must_not(situation, when, backend):
        for part in (message.subject, text, page):
            assert sentence not in part, (sentence, part)
    for part in (message.subject, message.text, page):
        assert not PATH.search(part.replace("https://", "")), part
    greeting = message.text.splitlines()[0]
    assert greeting.count(NAME) == 1
    assert NAME in message.subject and "TTCS" in message.subject


@pytest.mark.parametrize(("situation", "when", "subject"), [
    ("not_started", BEFORE, "còn 3 ngày đến hạn nộp báo cáo (30/09/2025)"),
    ("needs_fix", AFTER, "báo cáo đã quá hạn 2 ngày"),
    ("changed_after_submit", AFTER, "bảng tính đã nộp nay cần sửa lại"),
    ("unreachable", BEFORE, "chưa đọc được tệp báo cáo (còn 3 ngày)"),
    ("unreachable_accepted", AFTER, "chưa đọc được tệp báo cáo"),
])
def test_subject_of_each_situation(situation, when, subject, tmp_path) -> None:
    campaign = campaign_for("local", tmp_path)
    message = compose(voice(campaign), unit_in(situation, when, "local"), contact("local"),
                      when, when, 1)
    assert message.subject == f"[Nhắc báo cáo TTCS] {NAME}: {subject}"


@pytest.mark.parametrize(("person", "greeting"), [
    ("", f"Kính gửi: {NAME} (mã {CODE})."),
    ("Nguyễn Văn A", f"Kính gửi: Nguyễn Văn A, {NAME} (mã {CODE})."),
    (f"Cán bộ  {NAME.upper()}", f"Kính gửi: Cán bộ {NAME.upper()} (mã {CODE})."),
])
def test_greeting_names_the_unit_once(person, greeting, tmp_path) -> None:
    campaign = campaign_for("local", tmp_path)
    who = Contact(code=CODE, person=person, email="xa@xa.example")
    message = compose(voice(campaign), unit_in("not_started", BEFORE, "local"), who, BEFORE,
                      BEFORE, 1)
    assert message.text.splitlines()[0] == greeting


def templates_copy(tmp: Path) -> Path:
    folder = tmp / "messages"
    shutil.copytree(CONFIG / "messages", folder)
    return folder


@pytest.mark.parametrize(("name", "change", "expected"), [
    ("reminder.txt", ("{{ countdown }}", "{{ countdown }"), "reminder.txt, dòng 14: mẫu tin "
     "nhắn sai cú pháp Jinja2 (unexpected '}')"),
    ("reminder.html", ("{{ share_with", "{{ share_wit"), "reminder.html, dòng 21: mẫu tin nhắn "
     "dùng giá trị không có ('share_wit' is undefined)"),
    ("digest.txt", ("{{ r.note }}", "{{ r.note | nosuchfilter }}"), "digest.txt, dòng 27: mẫu "
     "tin nhắn sai cú pháp Jinja2 (No filter named 'nosuchfilter'.)"),
    # Branches only a unit with more warnings than listed, or a submitted unit with warnings,
    # reaches: the rehearsal renders them before anything is sent.
    ("reminder.txt", ("{{ warnings.more }} cảnh báo", "{{ warnings.mor }} cảnh báo"),
     "reminder.txt, dòng 54: mẫu tin nhắn dùng giá trị không có ('dict object' has no "
     "attribute 'mor')"),
    ("digest.html", ("{{ u.first }}", "{{ u.firs }}"), "digest.html, dòng 55: mẫu tin nhắn "
     "dùng giá trị không có ('dict object' has no attribute 'firs')"),
])
def test_a_broken_template_is_one_line_naming_file_and_line(name, change, expected,
                                                            tmp_path) -> None:
    folder = templates_copy(tmp_path)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    config = write_campaign(tmp_path, 25, reminders={"messages": str(folder)})
    with pytest.raises(ConfigError) as raised:
        voice(load_campaign(config))
    assert str(raised.value) == f"{folder / name}{expected.removeprefix(name)}"
    result = CliRunner().invoke(app, ["remind", "--config", str(config), "--now",
                                      BEFORE.isoformat(), "--dry-run"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and name in result.stderr


def test_a_missing_template_is_one_line(tmp_path) -> None:
    folder = templates_copy(tmp_path)
    (folder / "digest.html").unlink()
    config = write_campaign(tmp_path, 25, reminders={"messages": str(folder)})
    with pytest.raises(ConfigError, match=r"thiếu tệp mẫu tin nhắn .*digest\.html$"):
        voice(load_campaign(config))


# -- warnings: things to check, never errors ----------------------------------------------------
# 9 warnings on PL03 and 3 on PL02, given out of order: PL02 comes first in reading order.
WARNINGS = [Issue(CODE, "PL03", f"C{row}", None, "assessment_too_short", "warning",
                  f"Ô C{row}: đánh giá quá ngắn (cảnh báo {row})") for row in range(40, 31, -1)] + [
            Issue(CODE, "PL02", None, None, "outlier", "warning",
                  f"Trang PL02: số bảng tin khác xa các xã (cảnh báo {n})") for n in (3, 1, 2)]
WARNED = ("warnings_only", "errors_and_warnings", "changed_can_submit", "no_error_no_warning")


def warned_unit(case: str, kind: str) -> UnitState:
    order = reading_order(CONFIG / "form.yaml")
    warnings = tuple(sorted(WARNINGS, key=order))
    base = unit_in("in_progress", BEFORE, kind)
    if case == "errors_and_warnings":
        return replace(unit_in("needs_fix", BEFORE, kind), warnings=warnings)
    if case == "changed_can_submit":
        return replace(base, flags=("changed_after_submit",), errors=(), warnings=warnings,
                       accepted_at=ACCEPTED)
    return replace(base, errors=(), warnings=warnings if case == "warnings_only" else ())


def warned_must(case: str, kind: str) -> list[str]:
    send_back = "" if kind == "gsheets" else f" rồi gửi lại tệp qua email tới {RETURN_TO}"
    full_list = (f"Danh sách đầy đủ ở thẻ “Kết quả kiểm tra” của bảng tính: https://docs."
                 f"google.com/spreadsheets/d/{SHEET_ID}/edit#gid=901117001" if kind == "gsheets"
                 else f"Danh sách đầy đủ, theo trang và ô: tệp đính kèm “ket-qua-kiem-tra-{CODE}"
                 ".xlsx”.")
    submit = ("Bảng tính không còn lỗi nào{}: đơn vị có thể nộp ngay bằng cách chọn \"Có\" ở "
              "mục \"Đã hoàn thành\" của bảng tính" + send_back + ".")
    listing = ["Cảnh báo không phải lỗi: xin xem lại; nếu nội dung, số liệu đã đúng thì giữ "
               "nguyên.", "Các cảnh báo đầu tiên, theo thứ tự trong bảng tính:",
               "1. Trang PL02: số bảng tin khác xa các xã (cảnh báo 3)",
               "4. Trang PL03, ô C32: đánh giá quá ngắn (cảnh báo 32)",
               "và 2 cảnh báo khác.", full_list]
    counts = "12 cảnh báo cần xem lại (không bắt buộc sửa để nộp): PL02: 3 cảnh báo, PL03: 9 " \
             "cảnh báo."
    if case == "no_error_no_warning":
        return ["đang nhập — không còn lỗi nhưng chưa đánh dấu \"Đã hoàn thành\".",
                submit.format("")]
    if case == "errors_and_warnings":
        return ["Cần bổ sung hoặc sửa 15 lỗi (PL01: 3 lỗi, PL02: 12 lỗi).", "và 5 lỗi khác.",
                "Ngoài ra có " + counts, *listing,
                "Khi đã nhập đủ và hết lỗi, chọn \"Có\" ở mục \"Đã hoàn thành\" của bảng tính."]
    out = ["Có " + counts, *listing,
           submit.format(", các cảnh báo trên không ngăn việc nộp")]
    if case == "changed_can_submit":
        out.append("hiện không còn lỗi nhưng chưa đánh dấu \"Đã hoàn thành\". Trong lúc đó Sở "
                   "vẫn dùng báo cáo đã nộp.")
    return out


def warned_must_not(case: str) -> list[str]:
    never = ["27 lỗi", "lỗi (cảnh báo", "cảnh báo lỗi", "12 lỗi (PL02: 3", "9 lỗi"]
    if case == "errors_and_warnings":
        return [*never, "nộp ngay", "Có 12 cảnh báo"]
    never += ["Cần bổ sung hoặc sửa", "lỗi khác", "Các lỗi", "Ngoài ra", "hết lỗi",
              "Xin nhập đủ và sửa", "Xin sửa lại cho đầy đủ", "đã nhập một phần"]
    return [*never, "cảnh báo", "Danh sách đầy đủ"] if case == "no_error_no_warning" else never


@pytest.mark.parametrize("case", WARNED)
def test_warnings_come_after_the_errors_as_things_to_check(backend, case, tmp_path) -> None:
    message = compose(voice(campaign_for(backend, tmp_path)), warned_unit(case, backend),
                      contact(backend), BEFORE, BEFORE, 1)
    text, page = " ".join(message.text.split()), readable(message.html)
    for sentence in warned_must(case, backend):
        assert sentence in text, (sentence, message.text)
        assert re.sub(r"^\d+\. ", "", sentence) in page, (sentence, page)
    for sentence in warned_must_not(case):
        for part in (message.subject, text, page):
            assert sentence not in part, (sentence, part)
    if case == "no_error_no_warning":
        return
    for part in (text, page):  # errors, then warnings (10 listed), then where the full list is
        marks = ["cảnh báo cần xem lại", "(cảnh báo ", "cảnh báo khác", "Danh sách đầy đủ"]
        if case == "errors_and_warnings":
            marks = ["Cần bổ sung hoặc sửa", "lỗi khác", *marks]
        places = [part.index(mark) for mark in marks]
        assert places == sorted(places), part
        assert part.count("(cảnh báo ") == 10
        if case != "errors_and_warnings":  # "lỗi" only to say there is none
            spoken = part.replace("không phải lỗi", "").replace("không còn lỗi", "")
            assert "lỗi" not in spoken
    assert message.issues[-len(WARNINGS):] == tuple(sorted(
        WARNINGS, key=reading_order(CONFIG / "form.yaml")))  # the full list: errors, warnings


def test_the_attached_list_counts_errors_and_warnings_apart() -> None:
    from openpyxl import load_workbook

    from ttcs.reminders.messages import issues_workbook

    book = load_workbook(io.BytesIO(issues_workbook(CODE, NAME, (*ERRORS[:2], WARNINGS[0]))))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == f"Kết quả kiểm tra — {NAME} (mã {CODE}): 2 lỗi, 1 cảnh báo"
    assert [row[3] for row in rows[2:]] == ["Mâu thuẫn", "Mâu thuẫn", "Cảnh báo"]
    assert rows[4][4] == "Ô C40: đánh giá quá ngắn (cảnh báo 40)"


def submitted_with_warnings(count: int) -> list[UnitState]:
    """``count`` units of province 44 that submitted, each with two warnings."""
    units = []
    for unit in registry.units("44")[10:10 + count]:
        found = tuple(replace(w, unit=unit.code) for w in (WARNINGS[0], WARNINGS[-1]))
        units.append(UnitState(unit.code, unit.name, "submitted", (), (), None,
                               f"{unit.code}.xlsx", ACCEPTED, found))
    return units


@pytest.mark.parametrize("count", [3, 12])
def test_the_digest_lists_submitted_units_with_warnings_and_never_reminds_them(
        count, tmp_path) -> None:
    campaign = campaign_for("local", tmp_path)
    done = submitted_with_warnings(count)
    owing = warned_unit("warnings_only", "local")
    contacts = Contacts({u.code: Contact(code=u.code, email=f"u{u.code}@xa.example")
                         for u in [*done, owing]})
    result = plan(voice(campaign), BEFORE, 1, BEFORE, [*done, owing], contacts, {})
    assert [r.unit for r in result.reminders] == [CODE]  # the submitted units are done
    sent = dry_digest(result)
    text, page = " ".join(sent.text.split()), readable(sent.html)
    first = sorted(done, key=lambda u: u.code)[0]
    for part in (text, page):
        assert (f"Đơn vị đã nộp có cảnh báo cần xem lại: {count} (không nhắc các đơn vị này; "
                "danh sách đầy đủ ở trang “Lỗi” của bảng tổng hợp)") in part
        assert (f"{first.code} {first.name} — 2 cảnh báo; đầu tiên: Trang PL03, ô C40: đánh giá "
                "quá ngắn (cảnh báo 40)") in part
        assert part.count("2 cảnh báo; đầu tiên") == min(count, 10)
        assert ("và 2 đơn vị khác." in part) == (count == 12)
        assert CODE not in part.split("Đơn vị đã nộp có cảnh báo")[1]  # it owes: reminded
    quiet = dry_digest(plan(voice(campaign), BEFORE, 1, BEFORE, [owing], contacts, {}))
    assert "Đơn vị đã nộp có cảnh báo" not in quiet.text + quiet.html

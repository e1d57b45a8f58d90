"""The demo: a province's campaign replayed night by night, reproducibly.

Every unit gets a story (an archetype) drawn with a fixed seed: most fill their sheet and
submit before the deadline, some late, some never start, some stay in progress, some submit
with errors or warnings, one file becomes unreadable, one commune breaks its sheet after
submitting, one types odd formats and text beginning with "=", one sends its file twice (a copy
under another name: a conflict). Each night the workbooks whose
story moves are rewritten with their modification time set to the simulated edit time; the
nightly flow then runs with that night's ``--now``. Each morning the real reminders go to an SMTP
server of the demo's own (:func:`mail_sink`, aiosmtpd on 127.0.0.1), which keeps every message it
receives as an ``.eml`` file in ``out/mail/<day>/``.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import random
import socket
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiosmtpd.controller import Controller
from openpyxl import load_workbook

from ttcs.campaign import registry
from ttcs.campaign.contacts import Contact, Contacts, write_template
from ttcs.campaign.settings import Campaign
from ttcs.report.province_answers import default_path, write_province_answers_template
from ttcs.workbook.form import Form
from ttcs.workbook.layout import Ref
from ttcs.workbook.sample import valid_answers
from ttcs.workbook.template import render_workbook

SEED = 2025
NIGHT_HOUR = 22  # the nightly run's local time
NIGHTS_BEFORE, NIGHTS_AFTER = 7, 3

# archetype -> how many units get it (the rest are "on_time")
SPECIAL = {"unreadable": 1, "regret": 1, "odd": 1, "copied": 1}
SHARE = {"never": 0.06, "stuck": 0.06, "needs_fix": 0.05, "fixed": 0.04, "warnings": 0.06,
         "late": 0.08}


@dataclass
class Story:
    code: str
    archetype: str
    events: dict[int, str] = field(default_factory=dict)  # night index -> state
    answers: dict[Ref, Any] = field(default_factory=dict)  # the complete, valid answers


@dataclass
class Demo:
    folder: Path
    campaign_path: Path
    nights: list[dt.datetime]
    stories: dict[str, Story]
    excluded: list[str]


def nights(deadline: dt.datetime, tz: dt.tzinfo) -> list[dt.datetime]:
    day = deadline.astimezone(tz).date()
    first = day - dt.timedelta(days=NIGHTS_BEFORE)
    return [dt.datetime.combine(first + dt.timedelta(days=i), dt.time(NIGHT_HOUR), tz)
            for i in range(NIGHTS_BEFORE + NIGHTS_AFTER + 1)]


def excluded_unit(units: list[registry.Unit]) -> str:
    """Hoàng Sa where the province has it, else a đặc khu, else the last unit."""
    special = [u for u in units if u.type == "đặc khu"]
    hoang_sa = [u for u in special if "Hoàng Sa" in u.name]
    return (hoang_sa or special or units)[-1].code


def _stories(units: list[registry.Unit], rng: random.Random, deadline_night: int,
             last: int) -> dict[str, Story]:
    codes = [u.code for u in units]
    rng.shuffle(codes)
    kinds: list[str] = []
    for kind, count in SPECIAL.items():
        kinds += [kind] * count
    for kind, share in SHARE.items():
        kinds += [kind] * max(1, round(share * len(codes)))
    kinds += ["on_time"] * (len(codes) - len(kinds))
    stories = {}
    for code, kind in zip(codes, kinds, strict=False):
        start = rng.randint(0, deadline_night - 3)
        done = rng.randint(start + 1, deadline_night)
        late = rng.randint(deadline_night + 1, last)
        events = {
            "on_time": {start: "partial", done: "valid"},
            "copied": {start: "partial", done: "valid"},
            "late": {start: "partial", late: "valid"},
            "never": {},
            "stuck": {start: "partial"},
            "needs_fix": {start: "partial", done: "error"},
            "fixed": {start: "partial", done - 1: "error", done: "valid"},
            "warnings": {start: "partial", done: "warnings"},
            "unreadable": {start: "valid", deadline_night + 1: "corrupt"},
            "regret": {start: "valid", last: "error"},
            "odd": {start: "partial", done: "odd"},
        }[kind]
        stories[code] = Story(code, kind, events)
    return stories


def _with_error(answers: dict[Ref, Any], code: str) -> dict[Ref, Any]:
    """Connected boards above all boards: a contradiction the commune must fix."""
    broken = dict(answers)
    ref = ("PL02.web_boards", f"{code}:after", "boards")
    broken[("PL02.web_boards", f"{code}:after", "boards_connected")] = broken[ref] + 3
    return broken


def _with_warning(answers: dict[Ref, Any], code: str) -> dict[Ref, Any]:
    """Unusually many villages: plausible enough to submit, worth a second look."""
    warned = dict(answers)
    warned[("PL01.stations", f"{code}:after", "villages")] = 180
    return warned


# Two communes paste the same long assessment (the night's review warns on both).
PASTED = ("Khó khăn: kinh phí cho hoạt động thông tin cơ sở còn hạn chế, thiết bị xuống cấp, "
          "đội ngũ làm công tác thông tin cơ sở kiêm nhiệm nhiều việc.")
TOO_SHORT = "Thuận lợi."  # a required assessment, below the form's minimum length
BOARDS_WRITTEN = 12  # "có 12 bảng tin" in a text, against the unit's own table


def _with_review_findings(form: Form, on_time: list[registry.Unit],
                          stories: dict[str, Story]) -> None:
    """Five units that submit on time what the night's review warns about: a pasted text (two
    units), a too-short assessment, a count in a text against the table, a merger that lost
    its station."""
    merged = next(u for u in on_time if u.predecessors)
    rest = [u for u in on_time if u is not merged]
    mismatched = next(u for u in rest[3:] if BOARDS_WRITTEN not in _boards(stories[u.code]))
    for unit in rest[:2]:
        stories[unit.code].answers[("sections", "C.2", "answer")] = PASTED
    stories[rest[2].code].answers[("sections", "C.1", "answer")] = TOO_SHORT
    answers = stories[mismatched.code].answers
    answers[("sections", "B.I.4.a", "answer")] += (
        f" Toàn xã có {BOARDS_WRITTEN} bảng tin điện tử công cộng đặt tại các nhà văn hóa.")
    _lost_station(form, merged, stories[merged.code].answers)


def _boards(story: Story) -> set[int]:
    """Every bulletin-board count the review may read a text's number as."""
    counts = {v for ref, v in story.answers.items()
              if ref[0] == "PL02.web_boards" and ref[2] in ("boards", "boards_connected")}
    before = [v for ref, v in story.answers.items()
              if ref[0] == "PL02.web_boards" and ref[2] == "boards" and ref[1].endswith(":before")]
    return counts | {sum(before)}


def _lost_station(form: Form, unit: registry.Unit, answers: dict[Ref, Any]) -> None:
    """The new unit declares no station though its first old unit had one."""
    first = f"{unit.predecessors[0].code}:before"
    if answers[("PL01.stations", first, "has_station")] == form.no_label:
        answers.update({("PL01.stations", first, "has_station"): form.yes_label,
                        ("PL01.stations", first, "kind_fm"): form.yes_label})
        for kind in ("kind_wired", "kind_it", "converted_to_it"):
            answers[("PL01.stations", first, kind)] = form.no_label
    after = f"{unit.code}:after"
    for name in ("has_station", "kind_wired", "kind_fm", "kind_it", "converted_to_it"):
        answers[("PL01.stations", after, name)] = form.no_label
    answers[("PL01.stations", after, "it_clusters")] = 0


def _odd(answers: dict[Ref, Any], form: Form) -> dict[Ref, Any]:
    """What communes really type: units after numbers, x for yes, NFD text, '=' in text."""
    odd: dict[Ref, Any] = {}
    for ref, value in answers.items():
        if value == form.yes_label:
            odd[ref] = "x"
        elif value == form.no_label:
            odd[ref] = "không"
        elif isinstance(value, int) and not isinstance(value, bool):
            odd[ref] = f"{value:,}".replace(",", ".") if value >= 1000 else f"{value} cái"
        elif isinstance(value, str):
            odd[ref] = unicodedata.normalize("NFD", value)
        else:
            odd[ref] = value
    odd[("sections", "A.1", "answer")] = "=Đã ban hành Kế hoạch số 12/KH-UBND ngày 15/3/2021"
    odd[("confirmation.confirm", "", "preparer_phone")] = "+84 912.345.678"
    return odd


def _state_answers(story: Story, state: str, form: Form) -> dict[Ref, Any] | None:
    if state == "partial":
        return {ref: v for ref, v in story.answers.items() if ref[0] == "PL01.stations"}
    return {
        "valid": story.answers,
        "error": _with_error(story.answers, story.code),
        "warnings": story.answers,
        "odd": _odd(story.answers, form),
    }.get(state)


def _edit_time(night: dt.datetime, rng: random.Random, deadline: dt.datetime) -> dt.datetime:
    moment = night.replace(hour=8) + dt.timedelta(minutes=rng.randint(0, 8 * 60))
    # An edit on the deadline day counts as on time only before the deadline hour.
    return min(moment, deadline - dt.timedelta(minutes=rng.randint(5, 120))) \
        if night.date() == deadline.astimezone(night.tzinfo).date() else moment


def write_state(form: Form, unit: registry.Unit, story: Story, state: str, path: Path,
                texts: dict[str, str], when: dt.datetime) -> None:
    if state == "corrupt":
        path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)  # a broken upload
    else:
        render_workbook(form, unit, texts, path, _state_answers(story, state, form))
    os.utime(path, (when.timestamp(), when.timestamp()))


def prepare(folder: Path, campaign: Campaign, form: Form, province: str,
            texts: dict[str, str]) -> Demo:
    """Create the demo folder: campaign, contacts, blank workbooks and every unit's story."""
    rng = random.Random(SEED)
    info = registry.find_province(province)
    units = registry.units(info.code)
    excluded = [excluded_unit(units)]
    expected = [u for u in units if u.code not in excluded]
    night_times = nights(campaign.deadline, campaign.tz)
    deadline_night = NIGHTS_BEFORE
    stories = _stories(expected, rng, deadline_night, len(night_times) - 1)
    for unit in expected:
        stories[unit.code].answers = valid_answers(form, unit, rng)
        if stories[unit.code].archetype == "warnings":
            stories[unit.code].answers = _with_warning(stories[unit.code].answers, unit.code)
    _with_review_findings(form, [u for u in expected if stories[u.code].archetype == "on_time"],
                          stories)
    campaign_path = _write_campaign(folder, campaign, info.code, excluded)
    _write_province_answers(campaign_path, form, campaign.title)
    _write_contacts(folder / "contacts.csv", units)
    before = night_times[0] - dt.timedelta(days=1)
    for unit in units:
        path = workbook_path(folder, unit)
        render_workbook(form, unit, texts, path)
        os.utime(path, (before.timestamp(), before.timestamp()))
    return Demo(folder, campaign_path, night_times, stories, excluded)


def workbook_path(folder: Path, unit: registry.Unit) -> Path:
    return folder / "communes" / f"{unit.code}.xlsx"


def edits(demo: Demo, form: Form, night: int, deadline: dt.datetime,
          texts: dict[str, str]) -> Iterator[str]:
    """Rewrite the workbooks whose story moves on ``night``; yields their unit codes."""
    rng = random.Random(SEED * 1000 + night)
    for code in sorted(demo.stories):
        story = demo.stories[code]
        state = story.events.get(night)
        if state is None:
            continue
        unit = registry.unit(code)
        when = _edit_time(demo.nights[night], rng, deadline)
        write_state(form, unit, story, state, workbook_path(demo.folder, unit), texts, when)
        if story.archetype == "copied" and state == "valid":
            copy = demo.folder / "communes" / f"{code} (bản sao).xlsx"
            write_state(form, unit, story, state, copy, texts, when)
        yield code


def _write_campaign(folder: Path, campaign: Campaign, province: str,
                    excluded: list[str]) -> Path:
    data = {
        "title": campaign.title,
        "province": province,
        "department": campaign.department,
        "data_as_of": campaign.data_as_of.isoformat(),
        "deadline": campaign.deadline.isoformat(),
        "timezone": campaign.timezone,
        "reform_date": campaign.reform_date.isoformat(),
        "form": str(campaign.form),
        "contacts": "contacts.csv",
        "output_dir": "out",
        "database": "sqlite:///state/ttcs.db",
        "excluded_units": excluded,
        "coordinators": [{"name": "Điều phối viên (demo)", "email": "dieuphoi@demo.invalid"}],
        "reminders": campaign.reminders.model_dump(mode="json"),
        "smtp": campaign.smtp.model_dump(mode="json"),
        "backend": {"kind": "local", "local": {"folder": "communes"}},
    }
    path = folder / "campaign.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text("# Demo campaign written by `ttcs demo`; recreated on every run.\n"
                    + yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


# What the demo's Department has written in its own file: one answer and one training; the
# other items stay empty, so the draft shows both an answer and the "[Sở điền: …]" placeholders.
PROVINCE_ANSWERS = {"B.I.3.a": "Đã sắp xếp các Đài Truyền thanh - Truyền hình cấp huyện vào "
                               "Trung tâm Văn hóa, Thông tin và Thể thao của tỉnh (demo)."}
PROVINCE_TRAINING = (2, 120, "Kỹ năng tuyên truyền trên mạng xã hội (demo)")


def _write_province_answers(campaign_path: Path, form: Form, title: str) -> None:
    """The province's file beside the demo's campaign.yaml, partly filled."""
    path = default_path(campaign_path)
    write_province_answers_template(path, form, title)
    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None
    numbered = [row for row in sheet.iter_rows() if row[0].value == 1]
    for row in sheet.iter_rows():
        if row[0].value in PROVINCE_ANSWERS:
            row[2].value = PROVINCE_ANSWERS[row[0].value]
    for cell, value in zip(numbered[-1][1:4], PROVINCE_TRAINING, strict=True):
        cell.value = value
    book.save(path)


def _write_contacts(path: Path, units: list[registry.Unit]) -> None:
    contacts = Contacts(by_code={
        u.code: Contact(code=u.code, person=f"Cán bộ {u.name}",
                        email=f"u{u.code}@demo.invalid", phone="0912 345 678")
        for u in units})
    write_template(path, units, contacts)


# -- the demo's own mail server -------------------------------------------------------------------
SENDER = "ttcs@demo.invalid"


class MailFolder:
    """An aiosmtpd handler that keeps every message as it arrived, one ``.eml`` file each, in
    ``folder`` (set before each morning's run): ``<unit>-moc<stage>.eml``, the digest
    ``tong-hop.eml``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if message["X-TTCS-Digest"]:
            name = "tong-hop"
        else:
            name = f"{message['X-TTCS-Unit']}-moc{message['X-TTCS-Stage']}"
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.eml"
        copy = 1
        while path.exists():  # never overwrite: a second copy must show
            copy += 1
            path = self.folder / f"{name}-{copy}.eml"
        path.write_bytes(envelope.content)
        return "250 OK"


@contextmanager
def mail_sink(campaign_path: Path, folder: Path) -> Iterator[MailFolder]:
    """An SMTP server on a free port of 127.0.0.1 for the duration of the block; the demo's
    campaign file is pointed at it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = MailFolder(folder)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        _use_smtp(campaign_path, port)
        yield handler
    finally:
        controller.stop()


def _use_smtp(campaign_path: Path, port: int) -> None:
    text = campaign_path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n")
    data = yaml.safe_load(body)
    data["smtp"] = {"host": "127.0.0.1", "port": port, "starttls": False, "sender": SENDER}
    campaign_path.write_text(head + "\n" + yaml.safe_dump(data, allow_unicode=True,
                                                          sort_keys=False), encoding="utf-8")

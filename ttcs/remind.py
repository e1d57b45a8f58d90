"""Reminders: which unit gets which stage, and what it is told (Vietnamese, plain text and HTML).

Stages are whole calendar days from the deadline in the campaign's time zone (−7 … 0 … +3).
On a run every unit that still owes its report — any status but ``submitted`` and ``excluded``
— gets the most recent stage that is due, on each of its channels, unless the reminder log
already has that (unit, stage, channel); stages missed earlier are never sent late. The log
(:mod:`ttcs.reminder_log`) makes sending at most once; this module only decides and writes.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ttcs import registry
from ttcs.attention import STATUS_VI
from ttcs.campaign import Campaign, Coordinator
from ttcs.contacts import Contact, Contacts, read_contacts
from ttcs.errors import UserError
from ttcs.issues import Issue
from ttcs.reminder_log import FAILED, SENT, UNCONFIRMED, Entry, Key, Outcome, ReminderLog
from ttcs.store import Store

NOT_REMINDED = ("submitted", "excluded")
SHEET_URL = "https://docs.google.com/spreadsheets/d/{id}/edit"
TAG = "[Nhắc báo cáo TTCS]"
# Errors a commune must correct before those it has not filled in yet.
_KIND_ORDER = {"contradiction": 0, "invalid": 1, "missing": 2}
STATUS_SENTENCE = {
    "not_started": "chưa nhập số liệu",
    "in_progress": 'đã nhập một phần, chưa đánh dấu "Đã hoàn thành"',
    "needs_fix": 'đã đánh dấu "Đã hoàn thành" nhưng còn lỗi phải sửa',
    "unreachable": "hệ thống chưa mở được bảng tính của đơn vị",
}


class NoCollection(UserError):
    """No nightly run exists at or before the reminder time."""


# -- time -------------------------------------------------------------------------------------
def day_offset(now: dt.datetime, campaign: Campaign) -> int:
    """Calendar days from the deadline's day to ``now``'s day, in the campaign's time zone."""
    tz = campaign.tz
    return (now.astimezone(tz).date() - campaign.deadline.astimezone(tz).date()).days


def current_stage(stages: Sequence[int], offset: int) -> int | None:
    """The most recent stage due on day ``offset`` (None before the first)."""
    return max((stage for stage in stages if stage <= offset), default=None)


def in_window(now: dt.datetime, campaign: Campaign) -> bool:
    """Whether ``now`` falls in the sending window (local time, start included, end not)."""
    local = now.astimezone(campaign.tz).time()
    settings = campaign.reminders
    return settings.window_start <= local < settings.window_end


def collection_due(latest_as_of: dt.datetime | None, now: dt.datetime,
                   campaign: Campaign) -> bool:
    """Whether the nightly collection must run first: no run yet, or the latest is too old."""
    if latest_as_of is None:
        return True
    age = now - latest_as_of
    return age > dt.timedelta(hours=campaign.reminders.collect_if_older_than_hours)


def when_text(moment: dt.datetime, campaign: Campaign) -> str:
    local = moment.astimezone(campaign.tz)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def time_left(now: dt.datetime, campaign: Campaign) -> str:
    """"còn 3 ngày", "hôm nay là hạn cuối", "đã quá hạn 2 ngày"."""
    offset = day_offset(now, campaign)
    if offset < 0:
        return f"còn {-offset} ngày"
    if offset == 0:
        return "hôm nay là hạn cuối" if now < campaign.deadline else "đã quá giờ hạn nộp hôm nay"
    return f"đã quá hạn {offset} ngày"


def stage_label(stage: int) -> str:
    if stage < 0:
        return f"{stage} (trước hạn {-stage} ngày)"
    if stage == 0:
        return "0 (ngày hạn nộp)"
    return f"+{stage} (quá hạn {stage} ngày)"


# -- what the run knows of each unit -------------------------------------------------------------
@dataclass(frozen=True)
class UnitState:
    code: str
    name: str
    status: str
    flags: tuple[str, ...] = ()
    errors: tuple[Issue, ...] = ()  # every error, most important first
    reason: str | None = None  # why the sheet could not be opened
    sheet: str | None = None  # the spreadsheet URL, or the workbook's file name

    @property
    def owes(self) -> bool:
        return self.status not in NOT_REMINDED

    @property
    def overdue(self) -> bool:
        return self.owes and "late" in self.flags


def sheet_link(contact: Contact | None, file_name: str | None) -> str | None:
    if contact and contact.spreadsheet_id:
        return SHEET_URL.format(id=contact.spreadsheet_id)
    return file_name


def gather(store: Store, campaign: Campaign, run_id: int, contacts: Contacts) -> list[UnitState]:
    """Every unit of the run with its status, flags, errors and sheet."""
    rows = store.unit_runs(run_id)
    owing = [r for r in rows if r.status not in NOT_REMINDED]
    issues = store.verdict_issues(r.verdict_id for r in owing if r.verdict_id)
    files = {unit: snap.locator for unit, snap in store.latest_snapshots().items()}
    for locator, source in store.sources().items():
        if source.unit and source.unit not in files:
            files[source.unit] = locator
    states = []
    for row in rows:
        errors = [i for i in issues.get(row.verdict_id or -1, []) if i.is_error]
        errors.sort(key=lambda issue: _KIND_ORDER.get(issue.kind, 3))
        locator = files.get(row.unit)
        states.append(UnitState(
            code=row.unit, name=registry.unit(row.unit).name, status=row.status,
            flags=tuple(row.flags), errors=tuple(errors), reason=row.reason,
            sheet=sheet_link(contacts.get(row.unit), Path(locator).name if locator else None)))
    return states


# -- the plan -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reminder:
    unit: str
    unit_name: str
    stage: int
    channel: str  # email | apprise
    to: list[str]  # as shown (an apprise URL is masked)
    cc: list[str]
    subject: str
    text: str
    html: str
    number: int  # this is the unit's n-th reminder
    target: str  # where it really goes: the address, or the apprise URL
    retry: bool = False  # an earlier attempt at this (unit, stage, channel) failed

    @property
    def key(self) -> Key:
        return (self.unit, self.stage, self.channel)

    def public(self) -> dict[str, Any]:
        """The `ttcs remind --json` object."""
        return {"unit": self.unit, "stage": self.stage, "channel": self.channel,
                "to": list(self.to), "cc": list(self.cc), "subject": self.subject,
                "text": self.text}


@dataclass
class Plan:
    now: dt.datetime
    run_id: int
    run_as_of: dt.datetime
    offset: int
    stage: int | None
    units: list[UnitState]
    reminders: list[Reminder] = field(default_factory=list)
    already_sent: list[Key] = field(default_factory=list)
    blocked: list[Entry] = field(default_factory=list)  # due now, left unconfirmed earlier
    unconfirmed: list[Entry] = field(default_factory=list)  # every send that may have gone
    no_contact: list[UnitState] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def by_status(self) -> Counter[str]:
        return Counter(unit.status for unit in self.units)

    @property
    def overdue(self) -> list[UnitState]:
        return [unit for unit in self.units if unit.overdue]


def plan(campaign: Campaign, now: dt.datetime, run_id: int, run_as_of: dt.datetime,
         units: Sequence[UnitState], contacts: Contacts, log: Mapping[Key, Entry],
         describe: Any = None) -> Plan:
    """Who gets which stage on which channel at ``now``; pure (reads nothing, writes nothing).

    ``describe`` turns an apprise URL into what is shown for it (default: the URL's scheme);
    :func:`ttcs.notify.describe` masks its secrets.
    """
    describe = describe or (lambda url: url.split("://")[0] + "://…")
    offset = day_offset(now, campaign)
    stage = current_stage(campaign.reminders.stages, offset)
    result = Plan(now, run_id, run_as_of, offset, stage, list(units),
                  notes=list(contacts.problems))
    result.unconfirmed = [e for e in log.values() if e.may_have_gone]
    reached: dict[str, set[int]] = {}
    for entry in log.values():
        if entry.status == SENT or entry.may_have_gone:
            reached.setdefault(entry.unit, set()).add(entry.stage)
    coordinators = [c.email for c in campaign.coordinators if c.email]
    for unit in units:
        if not unit.owes:
            continue
        contact = contacts.get(unit.code)
        channels = _channels(contact, describe)
        if not channels:
            result.no_contact.append(unit)
        if stage is None:
            continue
        number = 1 + len(reached.get(unit.code, set()) - {stage})
        escalate = number >= campaign.reminders.cc_coordinators_from
        for channel, target, shown in channels:
            entry = log.get((unit.code, stage, channel))
            if entry is not None and entry.status == SENT:
                result.already_sent.append(entry.key)
                continue
            if entry is not None and entry.may_have_gone:
                result.blocked.append(entry)
                continue
            cc = [c for c in coordinators if c != target] if escalate and channel == "email" else []
            subject, text, body = compose(campaign, unit, contact, now, result.run_as_of, number)
            result.reminders.append(Reminder(
                unit=unit.code, unit_name=unit.name, stage=stage, channel=channel, to=[shown],
                cc=cc, subject=subject, text=text, html=body, number=number, target=target,
                retry=entry is not None and entry.status == FAILED))
    return result


def _channels(contact: Contact | None, describe: Any) -> list[tuple[str, str, str]]:
    """(channel, target, shown) for each way to reach a unit."""
    out = []
    if contact and contact.email:
        out.append(("email", contact.email, contact.email))
    if contact and contact.apprise_url:
        out.append(("apprise", contact.apprise_url, describe(contact.apprise_url)))
    return out


def plan_from_store(campaign: Campaign, store: Store, now: dt.datetime,
                    contacts: Contacts | None = None, log: Mapping[Key, Entry] | None = None,
                    describe: Any = None) -> Plan:
    """The plan from the latest nightly run at or before ``now`` and the reminder log.

    ``log`` replaces the stored log (dry runs and the demo keep one in memory).
    """
    run_id = store.latest_run(now)
    if run_id is None:
        raise NoCollection(f"chưa có lượt thu thập (nightly) nào trước {now.isoformat()}; "
                           "hãy chạy 'ttcs nightly' trước")
    if contacts is None:
        contacts = read_contacts(campaign.contacts, campaign.province_code)
    units = gather(store, campaign, run_id, contacts)
    entries = ReminderLog(store).entries() if log is None else log
    return plan(campaign, now, run_id, store.run(run_id)["as_of"], units, contacts, entries,
                describe)


# -- messages -------------------------------------------------------------------------------------
def _sender(campaign: Campaign) -> str:
    return f"{campaign.department} {campaign.province_info.name}"


def issue_line(issue: Issue) -> str:
    """'Trang PL02, ô G8: …' from an issue (whose message may already start with 'Ô G8:')."""
    message = issue.message
    if issue.cell and message.startswith(f"Ô {issue.cell}"):
        message = "ô" + message[1:]
        return f"Trang {issue.sheet}, {message}" if issue.sheet else message
    if issue.cell:
        return f"Trang {issue.sheet}, ô {issue.cell}: {message}"
    return f"Trang {issue.sheet}: {message}" if issue.sheet else message


def subject_of(campaign: Campaign, unit: UnitState, now: dt.datetime) -> str:
    offset = day_offset(now, campaign)
    if unit.status == "unreachable":
        return f"{TAG} {unit.name}: chưa mở được bảng tính báo cáo ({time_left(now, campaign)})"
    if offset < 0:
        deadline = campaign.deadline.astimezone(campaign.tz)
        return f"{TAG} {unit.name}: còn {-offset} ngày đến hạn nộp ({deadline:%d/%m/%Y})"
    if offset == 0:
        return f"{TAG} {unit.name}: hôm nay là hạn nộp báo cáo"
    return f"{TAG} {unit.name}: báo cáo đã quá hạn {offset} ngày"


def _who_to_call(coordinators: Sequence[Coordinator]) -> list[str]:
    lines = []
    for person in coordinators:
        parts = [person.name]
        if person.phone:
            parts.append(f"điện thoại {person.phone}")
        if person.email:
            parts.append(f"email {person.email}")
        lines.append(" — ".join(parts))
    return lines


@dataclass(frozen=True)
class _Content:
    """The parts of a message, as plain strings; text and HTML are both rendered from it."""

    greeting: str
    intro: str
    deadline: str
    status: str
    changed: str | None
    problem_title: str | None
    problems: list[str]
    more: str | None
    advice: str
    sheet: str | None
    sheet_is_url: bool
    finish: str | None
    contacts: list[str]
    footer: str


def _content(campaign: Campaign, unit: UnitState, contact: Contact | None, now: dt.datetime,
             run_as_of: dt.datetime, number: int) -> _Content:
    person = contact.person if contact and contact.person else "cán bộ phụ trách"
    limit = campaign.reminders.errors_listed
    unreachable = unit.status == "unreachable"
    if unreachable:
        title = None
        problems = [f"Lý do: {unit.reason}"] if unit.reason else []
        more = None
        advice = ("Xin kiểm tra bảng tính của đơn vị còn tồn tại, đúng biểu mẫu và đã được chia sẻ "
                  "cho Sở; nếu cần hỗ trợ, xin liên hệ cán bộ điều phối dưới đây. Đây không phải "
                  "thông báo trễ hạn: hệ thống chỉ chưa đọc được số liệu.")
    else:
        count = len(unit.errors)
        title = f"Cần bổ sung hoặc sửa ({count} lỗi):" if count else None
        problems = [issue_line(issue) for issue in unit.errors[:limit]]
        more = f"và {count - limit} lỗi khác." if count > limit else None
        advice = "Xin nhập đủ và sửa các mục trên ngay trong bảng tính của đơn vị."
    return _Content(
        greeting=f"Kính gửi: {person}, {unit.name} (mã {unit.code}).",
        intro=f"{_sender(campaign)} nhắc đơn vị về báo cáo “{campaign.title}”.",
        deadline=(f"Hạn nộp: {when_text(campaign.deadline, campaign)} — "
                  f"{time_left(now, campaign)}."),
        status=(f"Tình trạng (theo lần kiểm tra lúc {when_text(run_as_of, campaign)}): "
                f"{STATUS_VI.get(unit.status, unit.status)} — "
                f"{STATUS_SENTENCE.get(unit.status, '')}."),
        changed=("Bảng tính đã thay đổi sau khi được chấp nhận và hiện không còn đầy đủ, hợp lệ."
                 if "changed_after_submit" in unit.flags else None),
        problem_title=title,
        problems=problems,
        more=more,
        advice=advice,
        sheet=unit.sheet,
        sheet_is_url=bool(unit.sheet and unit.sheet.startswith(("https://", "http://"))),
        finish=(None if unreachable else
                'Khi đã nhập đủ và hết lỗi, chọn "Có" ở mục "Đã hoàn thành" của bảng tính.'),
        contacts=_who_to_call(campaign.coordinators),
        footer=(f"Đây là lần nhắc thứ {number}. Tin nhắn tự động của hệ thống tổng hợp báo cáo "
                "thông tin cơ sở; đơn vị đã nộp đầy đủ, hợp lệ sẽ không nhận thêm tin nhắc."),
    )


def compose(campaign: Campaign, unit: UnitState, contact: Contact | None, now: dt.datetime,
            run_as_of: dt.datetime, number: int) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a unit's reminder."""
    content = _content(campaign, unit, contact, now, run_as_of, number)
    return subject_of(campaign, unit, now), _text(content), _html(content)


def _text(c: _Content) -> str:
    lines = [c.greeting, "", c.intro, "", c.deadline, c.status]
    if c.changed:
        lines.append(c.changed)
    if c.problem_title or c.problems:
        lines.append("")
        if c.problem_title:
            lines.append(c.problem_title)
        lines += [f"  {n}. {line}" for n, line in enumerate(c.problems, start=1)]
        if c.more:
            lines.append(f"  {c.more}")
    lines += ["", c.advice]
    lines.append(f"Bảng tính của đơn vị: {c.sheet}" if c.sheet else
                 "Bảng tính của đơn vị: chưa có (chưa đăng ký hoặc chưa tìm thấy).")
    if c.finish:
        lines.append(c.finish)
    if c.contacts:
        lines += ["", "Cần hỗ trợ, xin liên hệ:"] + [f"  - {line}" for line in c.contacts]
    lines += ["", c.footer]
    return "\n".join(lines) + "\n"


def _html(c: _Content) -> str:
    e = html.escape
    parts = [f"<p>{e(c.greeting)}</p>", f"<p>{e(c.intro)}</p>",
             f"<p><strong>{e(c.deadline)}</strong><br>{e(c.status)}"
             + (f"<br>{e(c.changed)}" if c.changed else "") + "</p>"]
    if c.problem_title or c.problems:
        if c.problem_title:
            parts.append(f"<p>{e(c.problem_title)}</p>")
        items = "".join(f"<li>{e(line)}</li>" for line in c.problems)
        plain = f"<p>{e(' '.join(c.problems))}</p>"
        parts.append(f"<ol>{items}</ol>" if c.problem_title else plain)
        if c.more:
            parts.append(f"<p>{e(c.more)}</p>")
    parts.append(f"<p>{e(c.advice)}</p>")
    if c.sheet and c.sheet_is_url:
        sheet = f'<a href="{e(c.sheet)}">{e(c.sheet)}</a>'
    elif c.sheet:
        sheet = f"<code>{e(c.sheet)}</code>"
    else:
        sheet = "chưa có (chưa đăng ký hoặc chưa tìm thấy)."
    parts.append(f"<p>Bảng tính của đơn vị: {sheet}"
                 + (f"<br>{e(c.finish)}" if c.finish else "") + "</p>")
    if c.contacts:
        items = "".join(f"<li>{e(line)}</li>" for line in c.contacts)
        parts.append(f"<p>Cần hỗ trợ, xin liên hệ:</p><ul>{items}</ul>")
    parts.append(f'<p style="color:#666;font-size:small">{e(c.footer)}</p>')
    return "<html><body>" + "\n".join(parts) + "</body></html>\n"


# -- the coordinator's digest --------------------------------------------------------------------
@dataclass(frozen=True)
class Digest:
    to: list[str]
    subject: str
    text: str
    html: str


def _unit_line(code: str, name: str, *rest: str) -> str:
    return " — ".join([f"{code} {name}", *[part for part in rest if part]])


def _unconfirmed_note(entry: Entry, campaign: Campaign) -> str:
    """When and why a send logged earlier may have gone out."""
    lost_reply = entry.status == UNCONFIRMED
    at = entry.finished_at if lost_reply else entry.reserved_at
    when = when_text(at, campaign) if at else "?"
    if lost_reply:
        return f"gửi lúc {when}: {entry.error}"
    return f"giữ chỗ lúc {when}, lượt chạy dừng trước khi xác nhận"


def digest(campaign: Campaign, result: Plan, outcomes: Sequence[Outcome]) -> Digest:
    """The coordinators' summary of one run: counts, reminded, overdue, without contact, failed,
    left unconfirmed."""
    sent = [o for o in outcomes if o.result == SENT]
    failed = [o for o in outcomes if o.result == FAILED]
    copy_refused = [o for o in sent if o.error]
    unconfirmed = [(o.reminder.unit, o.reminder.stage, o.reminder.channel,
                    o.error or "") for o in outcomes if o.result == UNCONFIRMED]
    unconfirmed += [(e.unit, e.stage, e.channel, _unconfirmed_note(e, campaign))
                    for e in result.unconfirmed]
    names = {unit.code: unit.name for unit in result.units}
    counts = result.by_status
    sections: list[tuple[str, list[str]]] = []
    reached: dict[tuple[str, int], list[str]] = {}
    for outcome in sent:
        r = outcome.reminder
        reached.setdefault((r.unit, r.stage), []).append(
            f"{r.channel} {', '.join(r.to)}" + (f" (cc {', '.join(r.cc)})" if r.cc else ""))
    sections.append((f"Đã nhắc {len(reached)} đơn vị ({len(sent)} tin):", [
        _unit_line(unit, names.get(unit, ""), f"mốc {stage_label(stage)}", "; ".join(ways))
        for (unit, stage), ways in sorted(reached.items())]))
    if failed:
        sections.append((f"Gửi không thành công ({len(failed)} tin; sẽ thử lại ở lượt sau nếu "
                         "mốc này vẫn là mốc hiện hành):", [
            _unit_line(o.reminder.unit, o.reminder.unit_name,
                       f"mốc {stage_label(o.reminder.stage)}",
                       f"{o.reminder.channel} {', '.join(o.reminder.to)}", f"lỗi: {o.error}")
            for o in failed]))
    if copy_refused:
        sections.append((f"Bản sao (cc) không gửi được ({len(copy_refused)} tin; đơn vị đã nhận "
                         "tin nhắc nên sẽ không gửi lại):", [
            _unit_line(o.reminder.unit, o.reminder.unit_name,
                       f"mốc {stage_label(o.reminder.stage)}",
                       f"{o.reminder.channel} {', '.join(o.reminder.to)}", f"lỗi: {o.error}")
            for o in copy_refused]))
    if unconfirmed:
        sections.append((f"Chưa xác nhận đã gửi ({len(unconfirmed)} tin; máy chủ không trả lời "
                         "sau khi nhận nội dung, hoặc lượt chạy dừng giữa chừng: tin có thể đã "
                         "đi nên sẽ không gửi lại — xin kiểm tra với đơn vị):", [
            _unit_line(unit, names.get(unit, ""), f"mốc {stage_label(stage)}", channel, note)
            for unit, stage, channel, note in sorted(unconfirmed)]))
    overdue = result.overdue
    if overdue:
        sections.append((f"Quá hạn, chưa nộp ({len(overdue)} đơn vị):", [
            _unit_line(u.code, u.name, STATUS_VI.get(u.status, u.status)) for u in overdue]))
    if result.no_contact:
        sections.append((f"Chưa có địa chỉ liên lạc trong danh bạ ({len(result.no_contact)} đơn "
                         "vị chưa nộp, không nhắc được):", [
            _unit_line(u.code, u.name, STATUS_VI.get(u.status, u.status))
            for u in result.no_contact]))
    if result.notes:
        sections.append(("Ghi chú về danh bạ:", list(result.notes)))
    when = when_text(result.now, campaign)
    stage = (f"mốc hiện hành {stage_label(result.stage)}" if result.stage is not None
             else "chưa đến mốc nhắc đầu tiên")
    head = [
        f"Tổng hợp lượt nhắc lúc {when}; số liệu theo lượt thu thập lúc "
        f"{when_text(result.run_as_of, campaign)} (lượt {result.run_id}).",
        f"Hạn nộp: {when_text(campaign.deadline, campaign)} — {time_left(result.now, campaign)}; "
        f"{stage}.",
        "Tình hình: " + ", ".join(f"{STATUS_VI[s]} {n}" for s, n in counts.items() if n) + ".",
    ]
    text = "\n".join(head) + "\n"
    for title, lines in sections:
        text += "\n" + title + "\n" + "".join(f"  - {line}\n" for line in lines)
    e = html.escape
    body = "<html><body>" + "".join(f"<p>{e(line)}</p>" for line in head)
    for title, lines in sections:
        body += f"<p><strong>{e(title)}</strong></p><ul>"
        body += "".join(f"<li>{e(line)}</li>" for line in lines) + "</ul>"
    body += "</body></html>\n"
    subject = (f"[TTCS] Tổng hợp nhắc báo cáo {when}: {len(sent)} tin đã gửi"
               + (f", {len(failed)} lỗi" if failed else "")
               + (f", {len(copy_refused)} bản sao bị từ chối" if copy_refused else "")
               + (f", {len(unconfirmed)} chưa xác nhận" if unconfirmed else ""))
    return Digest([c.email for c in campaign.coordinators if c.email], subject, text, body)

"""Reminders: which unit gets which stage, and what it is told.

Stages are whole calendar days from the deadline in the campaign's time zone (−7 … 0 … +3).
On a run every unit that still owes its report — any status but ``submitted`` and ``excluded``
— gets the most recent stage that is due, on each of its channels, unless the reminder log
already has that (unit, stage, channel); stages missed earlier are never sent late. After
``reminders.stop_after`` the campaign has ended and nothing is sent. The log
(:mod:`ttcs.reminders.reminder_log`) makes sending at most once; this module only decides and
fills in the templates of :mod:`ttcs.reminders.messages` with the values of each situation.

A unit's warnings (the night's review included) follow its errors as things to check, never as
errors; warnings alone never cause a reminder: a submitted unit is done, and the digest lists
the submitted units with warnings for the coordinators.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ttcs.campaign import registry
from ttcs.campaign.contacts import Contact, Contacts, read_contacts
from ttcs.campaign.settings import Campaign
from ttcs.errors import UserError
from ttcs.google.urls import FEEDBACK_SHEET_ID, SHEET_URL, TAB_URL
from ttcs.labels import FEEDBACK_TAB, status_vi
from ttcs.reminders.messages import ATTACHMENT, Messages, load
from ttcs.reminders.reminder_log import (
    FAILED,
    SENT,
    UNCONFIRMED,
    Entry,
    Key,
    Outcome,
    Reminder,
    ReminderLog,
)
from ttcs.state.store import Store, UnitRun
from ttcs.workbook.form import load_form
from ttcs.workbook.issues import Issue

NOT_REMINDED = ("submitted", "excluded")
DAYS_AFTER_LAST_STAGE = 7  # the default end of a campaign
_A1 = re.compile(r"([A-Z]+)(\d+)")
# An absolute path (POSIX or Windows); only its last part may reach a commune.
WHOLE_BOOK = "cả bảng tính"  # the sheet of an issue about no sheet in particular
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][^\s/\\:;,'\"()]+)*[/\\]([^\s/\\:;,'\"()]+)")


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


def last_day(campaign: Campaign) -> dt.date:
    """The last day reminders are sent: ``stop_after``, else 7 days after the last stage."""
    settings = campaign.reminders
    if settings.stop_after is not None:
        return settings.stop_after
    deadline_day = campaign.deadline.astimezone(campaign.tz).date()
    return deadline_day + dt.timedelta(days=max(settings.stages) + DAYS_AFTER_LAST_STAGE)


def ended(now: dt.datetime, campaign: Campaign) -> bool:
    return now.astimezone(campaign.tz).date() > last_day(campaign)


def ended_line(campaign: Campaign) -> str:
    """The one line a run after the end of the campaign prints."""
    return (f"Chiến dịch đã kết thúc (lượt nhắc cuối cùng trong ngày "
            f"{last_day(campaign):%d/%m/%Y}, reminders.stop_after): không nhắc đơn vị nào, "
            "không gửi bản tổng hợp.")


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


def timing(now: dt.datetime, campaign: Campaign) -> str:
    """before | today (the deadline not yet passed) | past."""
    if now >= campaign.deadline:
        return "past"
    return "before" if day_offset(now, campaign) < 0 else "today"


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
    errors: tuple[Issue, ...] = ()  # every error, in reading order
    reason: str | None = None  # why the sheet could not be opened
    sheet: str | None = None  # the spreadsheet URL, or the workbook's file name
    accepted_at: dt.datetime | None = None  # its latest accepted submission, which stands
    warnings: tuple[Issue, ...] = ()  # things to check, never in the way of submitting

    @property
    def owes(self) -> bool:
        return self.status not in NOT_REMINDED

    @property
    def can_submit(self) -> bool:
        """Nothing but the "Đã hoàn thành" mark stands between the unit and submitting."""
        return self.status == "in_progress" and not self.errors

    @property
    def overdue(self) -> bool:
        return self.owes and "late" in self.flags

    @property
    def situation(self) -> str:
        """The message it needs: its status, or ``changed_after_submit``."""
        if "changed_after_submit" in self.flags:
            return "changed_after_submit"
        return self.status


def sheet_link(contact: Contact | None, file_name: str | None) -> str | None:
    if contact and contact.spreadsheet_id:
        return SHEET_URL.format(id=contact.spreadsheet_id)
    return file_name


def public_reason(reason: str) -> str:
    """A reason as a commune may read it: any path of our machine cut to its last part."""
    return _PATH.sub(r"\1", reason)


def reading_order(form_path: Path) -> Callable[[Issue], tuple[int, int, int]]:
    """Sort key of issues: the form's tab order, then row, then column."""
    tabs = {tab.name: n for n, tab in enumerate(load_form(form_path).tabs)}

    def key(issue: Issue) -> tuple[int, int, int]:
        match = _A1.fullmatch(issue.cell or "")
        row, col = (int(match[2]), _column(match[1])) if match else (0, 0)
        return (tabs.get(issue.sheet or "", -1), row, col)

    return key


def _column(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def gather(store: Store, campaign: Campaign, run_id: int, contacts: Contacts) -> list[UnitState]:
    """Every unit of the run with its status, flags, errors, warnings, sheet and accepted
    submission (a submitted unit's warnings are for the digest)."""
    rows = store.unit_runs(run_id)
    issues = store.verdict_issues(r.verdict_id for r in rows if r.verdict_id)
    accepted = store.submissions_until(store.run(run_id)["as_of"])
    files = _files_in_use(store, rows)
    order = reading_order(campaign.form)
    states = []
    for row in rows:
        found = sorted(issues.get(row.verdict_id or -1, []), key=order)
        locator = files.get(row.unit)
        seen = accepted.get(row.unit)
        states.append(UnitState(
            code=row.unit, name=registry.unit(row.unit).name, status=row.status,
            flags=tuple(row.flags), errors=tuple(i for i in found if i.is_error),
            reason=row.reason,
            sheet=sheet_link(contacts.get(row.unit), Path(locator).name if locator else None),
            accepted_at=seen[-1][0] if seen else None,
            warnings=tuple(i for i in found if not i.is_error)))
    return states


def _files_in_use(store: Store, rows: list[UnitRun]) -> dict[str, str]:
    """Each unit's source: the one its verdict was read from this run (with several files
    claiming a unit, the one in use), else the source last known to be the unit's."""
    verdicts = store.verdict_summaries(r.verdict_id for r in rows if r.verdict_id)
    read = store.snapshot_sources(v["snapshot_id"] for v in verdicts.values())
    files = {r.unit: read[verdicts[r.verdict_id]["snapshot_id"]][0] for r in rows
             if r.verdict_id in verdicts}
    for locator, source in store.sources().items():
        if source.unit and source.unit not in files:
            files[source.unit] = locator
    return files


# -- the voice: what every message of a campaign shares ----------------------------------------
@dataclass(frozen=True)
class Voice:
    campaign: Campaign
    messages: Messages
    share_with: str | None = None  # the service account a Google sheet must be shared with

    @property
    def backend(self) -> str:
        return self.campaign.backend.kind

    @property
    def return_to(self) -> dict[str, str] | None:
        """Where a corrected .xlsx goes: ``return_to``, else the first coordinator's e-mail."""
        value = self.campaign.reminders.return_to or next(
            (c.email for c in self.campaign.coordinators if c.email), None)
        if value is None:
            return None
        return {"kind": "link" if value.startswith(("https://", "http://")) else "email",
                "value": value}

    @property
    def feedback_tab(self) -> bool:
        settings = self.campaign.backend.gsheets
        return self.backend == "gsheets" and bool(settings and settings.feedback_tab)


def voice(campaign: Campaign, share_with: str | None = None) -> Voice:
    """The campaign's voice; a broken template is a :class:`ConfigError` here, before any send.

    ``share_with`` defaults to the service account of ``backend.gsheets.credentials_file``.
    """
    result = Voice(campaign, load(campaign.reminders.messages),
                   share_with or service_account_of(campaign))
    rehearse(result)
    return result


def service_account_of(campaign: Campaign) -> str | None:
    """The service account's address from its key file, when one is configured and readable."""
    settings = campaign.backend.gsheets
    if campaign.backend.kind != "gsheets" or not settings or not settings.credentials_file:
        return None
    try:
        info = json.loads(settings.credentials_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # the nightly run reports a broken key; a reminder still goes
    email = info.get("client_email") if isinstance(info, dict) else None
    return email if isinstance(email, str) else None


# -- the plan -------------------------------------------------------------------------------------
@dataclass
class Plan:
    now: dt.datetime
    run_id: int
    run_as_of: dt.datetime
    offset: int
    stage: int | None
    units: list[UnitState]
    voice: Voice
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


def plan(voice: Voice, now: dt.datetime, run_id: int, run_as_of: dt.datetime,
         units: Sequence[UnitState], contacts: Contacts, log: Mapping[Key, Entry],
         describe: Callable[[str], str] | None = None) -> Plan:
    """Who gets which stage on which channel at ``now``; reads and writes nothing.

    ``describe`` turns an apprise URL into what is shown for it (default: the URL's scheme);
    :func:`ttcs.reminders.notify.describe` masks its secrets.
    """
    campaign = voice.campaign
    describe = describe or (lambda url: url.split("://")[0] + "://…")
    offset = day_offset(now, campaign)
    stage = current_stage(campaign.reminders.stages, offset)
    result = Plan(now, run_id, run_as_of, offset, stage, list(units), voice,
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
        if stage is None or not channels:
            continue
        number = 1 + len(reached.get(unit.code, set()) - {stage})
        escalate = number >= campaign.reminders.cc_coordinators_from
        message = compose(voice, unit, contact, now, run_as_of, number)
        for channel, target, shown in channels:
            entry = log.get((unit.code, stage, channel))
            if entry is not None and entry.status == SENT:
                result.already_sent.append(entry.key)
                continue
            if entry is not None and entry.may_have_gone:
                result.blocked.append(entry)
                continue
            email = channel == "email"
            result.reminders.append(replace(
                message, stage=stage, channel=channel, to=[shown], target=target,
                cc=[c for c in coordinators if c != target] if escalate and email else [],
                attachment=message.attachment if email else None,
                retry=entry is not None and entry.status == FAILED))
    return result


def _channels(contact: Contact | None, describe: Callable[[str], str]
              ) -> list[tuple[str, str, str]]:
    """(channel, target, shown) for each way to reach a unit."""
    out = []
    if contact and contact.email:
        out.append(("email", contact.email, contact.email))
    if contact and contact.apprise_url:
        out.append(("apprise", contact.apprise_url, describe(contact.apprise_url)))
    return out


def plan_from_store(voice: Voice, store: Store, now: dt.datetime,
                    contacts: Contacts | None = None, log: Mapping[Key, Entry] | None = None,
                    describe: Callable[[str], str] | None = None) -> Plan:
    """The plan from the latest nightly run at or before ``now`` and the reminder log
    (``log`` replaces the stored one)."""
    campaign = voice.campaign
    run_id = store.latest_run(now)
    if run_id is None:
        raise NoCollection(f"chưa có lượt thu thập (nightly) nào trước {now.isoformat()}; "
                           "hãy chạy 'ttcs nightly' trước")
    if contacts is None:
        contacts = read_contacts(campaign.contacts, campaign.province_code)
    units = gather(store, campaign, run_id, contacts)
    entries = ReminderLog(store).entries() if log is None else log
    return plan(voice, now, run_id, store.run(run_id)["as_of"], units, contacts, entries,
                describe)


# -- a unit's message -----------------------------------------------------------------------------
def issue_line(issue: Issue) -> str:
    """'Trang PL02, ô G8: …' from an issue (whose message may already start with 'Ô G8:')."""
    message = issue.message
    if issue.cell and message.startswith(f"Ô {issue.cell}"):
        message = "ô" + message[1:]
        return f"Trang {issue.sheet}, {message}" if issue.sheet else message
    if issue.cell:
        return f"Trang {issue.sheet}, ô {issue.cell}: {message}"
    if not issue.sheet or message.startswith(f"Trang {issue.sheet}:"):
        return message
    return f"Trang {issue.sheet}: {message}"


def addressee(unit: UnitState, contact: Contact | None) -> str:
    """Whom the greeting names, with the unit's name once: "Nguyễn Văn A, Xã Tuyên Sơn",
    "Cán bộ Xã Tuyên Sơn" (the name already in it), or the unit alone."""
    person = " ".join(contact.person.split()) if contact and contact.person else ""
    if not person:
        return unit.name
    if unit.name.casefold() in person.casefold():
        return person
    return f"{person}, {unit.name}"


def reminder_context(voice: Voice, unit: UnitState, contact: Contact | None,
                     now: dt.datetime, run_as_of: dt.datetime, number: int) -> dict[str, Any]:
    """The values the reminder templates use (config/messages/README.md lists them)."""
    campaign = voice.campaign
    limit = campaign.reminders.errors_listed
    offset = day_offset(now, campaign)
    spreadsheet = unit.sheet if unit.sheet and unit.sheet.startswith("https://") else None
    return {
        "unit": {"code": unit.code, "name": unit.name},
        "addressee": addressee(unit, contact),
        "sender": f"{campaign.department} {campaign.province_info.name}",
        "title": campaign.title,
        "backend": voice.backend,
        "situation": unit.situation,
        "status": unit.status,
        "status_vi": status_vi(unit.status),
        "late": unit.overdue,
        "accepted": None if unit.accepted_at is None else {
            "at": when_text(unit.accepted_at, campaign), "on_time": "late" not in unit.flags},
        "deadline": when_text(campaign.deadline, campaign),
        "deadline_day": f"{campaign.deadline.astimezone(campaign.tz):%d/%m/%Y}",
        "deadline_note": campaign.deadline_note,
        "timing": timing(now, campaign),
        "days_left": max(-offset, 0),
        "days_over": max(offset, 0),
        "countdown": time_left(now, campaign),
        "checked_at": when_text(run_as_of, campaign),
        "errors": listed(unit.errors, limit),
        "warnings": listed(unit.warnings, limit),
        "can_submit": unit.can_submit,
        "full_list": _full_list(voice, unit, contact, spreadsheet),
        "spreadsheet": spreadsheet,
        "file": None if spreadsheet else unit.sheet,
        "return_to": voice.return_to,
        "share_with": voice.share_with,
        "reason": public_reason(unit.reason) if unit.reason else None,
        "coordinators": [{"name": c.name, "phone": c.phone, "email": c.email}
                         for c in campaign.coordinators],
        "number": number,
    }


def listed(issues: Sequence[Issue], limit: int) -> dict[str, Any]:
    """How many, how many on each sheet, the first ``limit`` lines and how many more."""
    by_sheet = Counter(issue.sheet or WHOLE_BOOK for issue in issues)
    return {"total": len(issues),
            "by_sheet": [{"sheet": s, "count": n} for s, n in by_sheet.items()],
            "first": [issue_line(issue) for issue in issues[:limit]],
            "more": max(len(issues) - limit, 0)}


def _full_list(voice: Voice, unit: UnitState, contact: Contact | None,
               spreadsheet: str | None) -> dict[str, str] | None:
    """Where the commune sees every error and warning: the feedback tab, or the attached
    workbook."""
    if not unit.errors and not unit.warnings:
        return None
    if spreadsheet and voice.feedback_tab and contact:
        return {"kind": "tab", "name": FEEDBACK_TAB,
                "value": TAB_URL.format(id=contact.spreadsheet_id, gid=FEEDBACK_SHEET_ID)}
    if contact and contact.email:
        return {"kind": "attachment", "value": ATTACHMENT.format(code=unit.code)}
    return None


def compose(voice: Voice, unit: UnitState, contact: Contact | None, now: dt.datetime,
            run_as_of: dt.datetime, number: int) -> Reminder:
    """A unit's reminder (subject, plain text, HTML), not yet addressed to a channel."""
    context = reminder_context(voice, unit, contact, now, run_as_of, number)
    render = voice.messages.render
    full_list = context["full_list"]
    return Reminder(
        unit=unit.code, unit_name=unit.name, stage=0, channel="", to=[], cc=[],
        subject=render("reminder.subject.txt", context), text=render("reminder.txt", context),
        html=render("reminder.html", context), number=number, target="",
        attachment=full_list["value"] if full_list and full_list["kind"] == "attachment"
        else None, issues=unit.errors + unit.warnings)


# -- the coordinators' digest --------------------------------------------------------------------
@dataclass(frozen=True)
class Digest:
    to: list[str]
    subject: str
    text: str
    html: str

    def public(self) -> dict[str, Any]:
        return {"to": list(self.to), "subject": self.subject, "text": self.text}


def _unconfirmed_note(entry: Entry, campaign: Campaign) -> str:
    """When and why a send logged earlier may have gone out."""
    lost_reply = entry.status == UNCONFIRMED
    at = entry.finished_at if lost_reply else entry.reserved_at
    when = when_text(at, campaign) if at else "?"
    if lost_reply:
        return f"gửi lúc {when}: {entry.error}"
    return f"giữ chỗ lúc {when}, lượt chạy dừng trước khi xác nhận"


def _row(reminder: Reminder, error: str | None = None) -> dict[str, Any]:
    return {"code": reminder.unit, "name": reminder.unit_name,
            "stage": stage_label(reminder.stage), "channel": reminder.channel,
            "to": ", ".join(reminder.to), "cc": ", ".join(reminder.cc), "error": error}


def digest_context(result: Plan, outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The values the digest templates use."""
    campaign = result.voice.campaign
    sent = [o for o in outcomes if o.result == SENT]
    names = {unit.code: unit.name for unit in result.units}
    reached: dict[tuple[str, int], list[str]] = {}
    for outcome in sent:
        r = outcome.reminder
        reached.setdefault((r.unit, r.stage), []).append(
            f"{r.channel} {', '.join(r.to)}" + (f" (cc {', '.join(r.cc)})" if r.cc else ""))
    unconfirmed = [(o.reminder.unit, o.reminder.stage, o.reminder.channel, o.error or "")
                   for o in outcomes if o.result == UNCONFIRMED]
    unconfirmed += [(e.unit, e.stage, e.channel, _unconfirmed_note(e, campaign))
                    for e in result.unconfirmed]

    def units(found: Sequence[UnitState]) -> list[dict[str, str]]:
        return [{"code": u.code, "name": u.name, "status_vi": status_vi(u.status)}
                for u in found]

    return {
        "now": when_text(result.now, campaign),
        "checked_at": when_text(result.run_as_of, campaign),
        "run_id": result.run_id,
        "deadline": when_text(campaign.deadline, campaign),
        "deadline_note": campaign.deadline_note,
        "countdown": time_left(result.now, campaign),
        "stage": None if result.stage is None else stage_label(result.stage),
        "counts": [{"status_vi": status_vi(s), "count": n}
                   for s, n in result.by_status.items() if n],
        "sent_count": len(sent),
        "reached": [{"code": unit, "name": names.get(unit, ""), "stage": stage_label(stage),
                     "ways": ways} for (unit, stage), ways in sorted(reached.items())],
        "failed": [_row(o.reminder, o.error) for o in outcomes if o.result == FAILED],
        "copy_refused": [_row(o.reminder, o.error) for o in sent if o.error],
        "unconfirmed": [{"code": unit, "name": names.get(unit, ""), "stage": stage_label(stage),
                         "channel": channel, "note": note}
                        for unit, stage, channel, note in sorted(unconfirmed)],
        "overdue": units(result.overdue),
        "no_contact": units(result.no_contact),
        "submitted_warnings": submitted_warnings(result.units,
                                                 campaign.reminders.errors_listed),
        "notes": list(result.notes),
    }


def submitted_warnings(units: Sequence[UnitState], limit: int) -> dict[str, Any]:
    """Submitted units the night's review warns about: never reminded (they are done), listed
    for the coordinators, the first ``limit`` by code with their first warning."""
    warned = sorted((u for u in units if u.status == "submitted" and u.warnings),
                    key=lambda u: u.code)
    return {"total": len(warned),
            "units": [{"code": u.code, "name": u.name, "count": len(u.warnings),
                       "first": issue_line(u.warnings[0])} for u in warned[:limit]],
            "more": max(len(warned) - limit, 0)}


def digest(result: Plan, outcomes: Sequence[Outcome]) -> Digest:
    """The coordinators' summary of one run: counts, reminded, overdue, without contact, failed,
    left unconfirmed."""
    context = digest_context(result, outcomes)
    render = result.voice.messages.render
    return Digest([c.email for c in result.voice.campaign.coordinators if c.email],
                  render("digest.subject.txt", context), render("digest.txt", context),
                  render("digest.html", context))


def dry_digest(result: Plan) -> Digest:
    """The digest a real run would send now, if every planned message went out."""
    return digest(result, [Outcome(r, SENT) for r in result.reminders])


# -- every template, once, before anything is sent -----------------------------------------------
REHEARSAL_ISSUE = Issue(None, "PL01", "D8", None, "rehearsal", "missing", "Ô D8: chưa nhập")
REHEARSAL_WARNING = Issue(None, "PL03", None, None, "rehearsal", "warning",
                          "Trang PL03: đánh giá quá ngắn")


def rehearse(voice: Voice) -> None:
    """Render every situation × timing × backend and a digest with every section, so that a
    template that breaks on some branch fails at start (:class:`ConfigError`), never mid-run."""
    campaign = voice.campaign
    deadline = campaign.deadline
    contact = Contact(code="00000", person="Cán bộ", email="a@b.example", spreadsheet_id="x")
    moments = (deadline - dt.timedelta(days=2), deadline - dt.timedelta(minutes=1),
               deadline + dt.timedelta(days=2))
    gsheets = campaign.model_copy(update={"backend": campaign.backend.model_copy(
        update={"kind": "gsheets"})})
    samples = _samples(campaign)
    for sample_voice in (voice, replace(voice, campaign=gsheets)):
        for unit in samples:
            for now in moments:
                for shown in (unit, replace(unit, sheet="https://docs.google.com/x")):
                    compose(sample_voice, shown, contact, now, now, 1)
    _rehearse_digest(voice, samples)


def _samples(campaign: Campaign) -> list[UnitState]:
    """A unit of every situation, with and without an accepted submission, errors and more
    errors than are listed, warnings (more than are listed, with and without errors), and
    a unit that may submit (with and without warnings, with a submission that stands)."""
    listed_plus_one = campaign.reminders.errors_listed + 1
    errors = (REHEARSAL_ISSUE,) * listed_plus_one
    warnings = (REHEARSAL_WARNING,) * listed_plus_one
    out = []
    for status in ("not_started", "in_progress", "needs_fix", "unreachable"):
        reason = "không đọc được" if status == "unreachable" else None
        found, warned = ((), ()) if status == "unreachable" else (errors, warnings)
        out += [UnitState("00000", "Xã Mẫu", status, (), (), reason),
                UnitState("00000", "Xã Mẫu", status, ("late",), found, reason,
                          warnings=warned)]
        changed = () if status == "unreachable" else ("changed_after_submit",)
        for late in ((), ("late", "submitted_late")):
            out.append(UnitState("00000", "Xã Mẫu", status, changed + late, found, reason,
                                 accepted_at=campaign.deadline))
    return [
        *out, UnitState("00000", "Xã Mẫu", "in_progress", (), warnings=warnings[:1]),
        UnitState("00000", "Xã Mẫu", "in_progress", ("changed_after_submit",),
                  accepted_at=campaign.deadline, warnings=warnings)]


def _rehearse_digest(voice: Voice, samples: Sequence[UnitState]) -> None:
    now = voice.campaign.deadline
    reminder = replace(compose(voice, samples[0], None, now, now, 1), stage=0, channel="email",
                       to=["a@b.example"], cc=["c@d.example"])
    entry = Entry("00000", 0, "email", UNCONFIRMED, error="x", finished_at=now)
    warned = UnitState("00000", "Xã Mẫu", "submitted", warnings=(REHEARSAL_WARNING,))
    listed_plus_one = voice.campaign.reminders.errors_listed + 1
    result = Plan(now, 0, now, 0, 0, [*samples, *[warned] * listed_plus_one], voice,
                  unconfirmed=[entry], no_contact=list(samples), notes=["x"])
    digest(result, [Outcome(reminder, SENT, "x"), Outcome(reminder, FAILED, "x"),
                    Outcome(reminder, UNCONFIRMED, "x")])
    digest(replace(result, units=list(samples), stage=None, unconfirmed=[], no_contact=[],
                   notes=[]), [])

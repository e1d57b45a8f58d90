"""What the remind run's log says, in Vietnamese, for the coordinator reading the run in the
Prefect UI: why nothing was sent, or who was reminded, who was skipped and which sends failed.
(The reminder log table that makes sending at most once is :mod:`ttcs.reminders.reminder_log`.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ttcs.campaign.settings import Campaign
from ttcs.reminders.remind import Plan
from ttcs.reminders.reminder_log import Outcome
from ttcs.vi_format import number

NAMED = 20  # units named in one line; the rest are counted
RESULT_VI = {"sent": "Đã nhắc", "failed": "Không gửi được",
             "unconfirmed": "Chưa xác nhận (không gửi lại)",
             "taken": "Lượt chạy khác đang gửi"}


def _named(items: Sequence[str]) -> str:
    rest = len(items) - NAMED
    return ", ".join(items[:NAMED]) + (f" và {number(rest)} đơn vị khác" if rest > 0 else "")


def nothing_sent(campaign: Campaign, ended: bool) -> str:
    if ended:
        return "Chiến dịch đã qua thời hạn nhắc (reminders.stop_after): không gửi gì."
    window = campaign.reminders
    return (f"Ngoài khung giờ gửi {window.window_start:%H:%M}–{window.window_end:%H:%M}: "
            "không gửi gì.")


def planned(plan: Plan) -> str:
    stage = "không có mốc nào đến hạn" if plan.stage is None else f"mốc {plan.stage:+d} ngày"
    line = (f"Kế hoạch nhắc ({stage}): {number(len(plan.reminders))} lượt cần gửi; bỏ qua "
            f"{number(len(plan.already_sent))} lượt đã gửi trước đó")
    if plan.blocked:
        line += "; không gửi lại (chờ xác nhận): " + _named([e.unit for e in plan.blocked])
    if plan.no_contact:
        line += "; không có liên hệ: " + _named([u.code for u in plan.no_contact])
    return line + "."


def sent(outcomes: Sequence[Outcome]) -> list[str]:
    """One line per result (sent, failed, …), each naming its units, a failure with why."""
    lines = []
    for result, label in RESULT_VI.items():
        done = [o for o in outcomes if o.result == result]
        if done:
            shown = [f"{o.reminder.unit} ({o.reminder.channel}"
                     + (f": {o.error}" if result == "failed" and o.error else "") + ")"
                     for o in done]
            lines.append(f"{label} {number(len(done))}: {_named(shown)}.")
    return lines


def digest(summary: Mapping[str, Any]) -> str:
    """The digest's fate, from :func:`tasks.remind.send_digest`'s answer."""
    if summary["sent"]:
        return f"Bản tổng hợp đã gửi cho {', '.join(summary['to'])}."
    return f"Bản tổng hợp không gửi được: {summary['error']}."

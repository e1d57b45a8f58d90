"""The coordinators' alert when a run failed or crashed: one e-mail, in Vietnamese, through the
campaign's SMTP server (:class:`~ttcs.reminders.notify.Mailer`): what failed, when, why in one
line, and the link to the run in the Prefect UI."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from ttcs.campaign.settings import Campaign
from ttcs.reminders.notify import Delivery, Mailer
from ttcs.reminders.reminder_log import SendError
from ttcs.vi_format import moment

FLOW_VI = {
    "nightly": "thu thập và kiểm tra báo cáo hằng đêm",
    "remind": "nhắc báo cáo",
    "provision": "cấp bảng tính Google cho các đơn vị",
    "report": "lập báo cáo tổng kết",
}


@dataclass(frozen=True)
class Failure:
    flow: str  # nightly, remind, provision, report
    run_name: str
    crashed: bool  # the process died or was stopped, rather than the run failing
    when: dt.datetime
    reason: str  # one Vietnamese line
    link: str | None  # the run in the Prefect UI


@dataclass(frozen=True)
class Alert:
    flow: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str


def compose(campaign: Campaign, failure: Failure) -> Alert:
    what = "bị dừng đột ngột" if failure.crashed else "không thành công"
    head = [
        f"Lượt chạy \"{failure.run_name}\" ({FLOW_VI.get(failure.flow, failure.flow)}) {what}.",
        f"Thời điểm: {moment(failure.when, campaign.tz)} (giờ {campaign.timezone}).",
        f"Lý do: {failure.reason}",
    ]
    rerun = f"Sau khi khắc phục, chạy lại: ttcs {failure.flow} --config {campaign.source}"
    where = failure.link or "trong giao diện Prefect, mục Runs"
    anchor = html.escape(where, quote=True)
    if failure.link:
        anchor = f'<a href="{anchor}">{anchor}</a>'
    paragraphs = [*map(html.escape, head), f"Xem lượt chạy: {anchor}", html.escape(rerun)]
    return Alert(failure.flow, tuple(c.email for c in campaign.coordinators if c.email),
                 f"[ttcs] Lượt chạy {failure.run_name} {what}",
                 "\n".join([*head, f"Xem lượt chạy: {where}", rerun]) + "\n",
                 "<html><body>" + "".join(f"<p>{p}</p>" for p in paragraphs)
                 + "</body></html>")


def send(mailer: Mailer, alert: Alert) -> Delivery:
    """Send ``alert`` to the coordinators; :class:`SendError` when none has an e-mail."""
    if not alert.to:
        raise SendError("chưa khai email của cán bộ điều phối (coordinators)")
    return mailer.send(alert.to, [], alert.subject, alert.text, alert.html,
                       headers={"X-TTCS-Alert": alert.flow})

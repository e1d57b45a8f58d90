"""The demo's reminders: the real remind flow each simulated morning, sent to the demo's own SMTP
server (:func:`ttcs.demo.mail_sink`), which keeps every message in ``out/mail/<day>/``.

The reminder log in the demo's database is therefore real: ``ttcs remind --dry-run`` afterwards
agrees with what the demo sent.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ttcs.cli.common import console, flow_result

if TYPE_CHECKING:
    from ttcs.demo import Demo, MailFolder

REMIND_TIME = dt.time(8, 0)  # the remind deployment's morning run, local time


@dataclass
class Mornings:
    """The remind runs of the demo, one per morning after a simulated night."""

    prepared: Demo
    sink: MailFolder
    runs: list[tuple[dt.datetime, dict[str, Any]]] = field(default_factory=list)

    def remind_after(self, night: dt.datetime) -> None:
        """Run the remind flow at 08:00 the morning after ``night`` (a real run: it sends)."""
        from flows.remind import remind

        morning = dt.datetime.combine(night.date() + dt.timedelta(days=1), REMIND_TIME,
                                      night.tzinfo)
        self.sink.folder = self.prepared.folder / "out" / "mail" / f"{morning:%Y-%m-%d}"
        state = remind(str(self.prepared.campaign_path), morning, return_state=True)
        self.runs.append((morning, flow_result(state, "remind")))


@contextmanager
def demo_mail(prepared: Demo) -> Iterator[Mornings]:
    """The demo's SMTP server for the block; yields what sends the reminders each morning."""
    from ttcs.demo import mail_sink

    with mail_sink(prepared.campaign_path, prepared.folder / "out" / "mail") as sink:
        yield Mornings(prepared, sink)


def show_reminders(mornings: Mornings) -> None:
    """A row per morning: the stage, the messages sent by the status of their units, the units
    whose coordinators were in copy, the digest; then one message in full."""
    from ttcs.campaign.settings import load_campaign
    from ttcs.labels import STATUS_VI
    from ttcs.state.store import open_store

    campaign = load_campaign(mornings.prepared.campaign_path)
    store = open_store(campaign.database)
    table = Table(title="Nhắc báo cáo mỗi sáng (gửi thật tới máy chủ thư của demo)")
    for column in ("Sáng", "Mốc", "Tin đã gửi", "Trạng thái của các đơn vị được nhắc", "CC",
                   "Tổng hợp"):
        table.add_column(column, overflow="fold",
                         justify="left" if column in ("Sáng", "Trạng thái của các đơn vị được "
                                                      "nhắc") else "right")
    sample = None
    for morning, summary in mornings.runs:
        sent = [r for r in summary["reminders"] if r["result"] == "sent"]
        status = {row.unit: row.status for row in store.unit_runs(summary["run_id"])}
        by_status = Counter(status[r["unit"]] for r in sent)
        digest = summary["digest"]
        table.add_row(
            f"{morning:%d/%m %H:%M}",
            str(summary["stage"]) if summary["stage"] is not None else "—",
            str(len(sent)),
            ", ".join(f"{STATUS_VI[s]} {n}" for s, n in sorted(by_status.items())),
            str(len({r["unit"] for r in sent if r["cc"]})),
            "đã gửi" if digest and digest["sent"] else "không")
        fixes = [r for r in sent if status[r["unit"]] == "needs_fix"]
        if sample is None and fixes:
            sample = fixes[0]
    console.print(table)
    folder = mornings.prepared.folder / "out" / "mail"
    nth = campaign.reminders.cc_coordinators_from
    console.print("Mốc: số ngày so với hạn nộp; mỗi mốc chỉ nhắc một lần; CC: số đơn vị có cán bộ "
                  f"điều phối cùng nhận (từ lần nhắc thứ {nth}). Mỗi thư đã gửi: {folder}/<ngày>/"
                  f"*.eml. Lệnh thật: .venv/bin/ttcs remind --config "
                  f"{mornings.prepared.campaign_path} [--dry-run]", highlight=False)
    if sample is not None:
        console.print(Panel(Text(sample["text"].rstrip()),
                            title=Text(f"Ví dụ — {sample['subject']}"), title_align="left",
                            subtitle=Text(f"tới {', '.join(sample['to'] + sample['cc'])}")))

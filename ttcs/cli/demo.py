"""`ttcs demo`: replay a province's campaign night by night on generated workbooks."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ttcs import registry
from ttcs.cli.common import console, err_console, flow_result, one_line_errors, print_json
from ttcs.cli.nightly import print_figures, print_status
from ttcs.cli.prefect_server import DEFAULT_HOME, prefect_api
from ttcs.cli.units import ConfigOption

if TYPE_CHECKING:
    from ttcs.demo import Demo

REMIND_TIME = dt.time(8, 0)  # the remind deployment's morning run, local time


@one_line_errors
def demo(
    folder: Annotated[Path, typer.Option("--dir", help="Thư mục demo (tạo lại mỗi lần).")] = Path(
        "demo"),
    province: Annotated[
        str | None, typer.Option("--province", "-p", help="Tỉnh; mặc định theo cấu hình.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In status.json cuối cùng.")] = False,
    config: ConfigOption = None,
) -> None:
    """Chạy thử cả chiến dịch của một tỉnh: từ 7 ngày trước hạn nộp đến 3 ngày sau hạn."""
    from ttcs import demo as demo_data
    from ttcs.campaign import load_campaign
    from ttcs.form import load_form
    from ttcs.template import guide_texts

    base = load_campaign(config)
    info = registry.find_province(province) if province else base.province_info
    form = load_form(base.form)
    shutil.rmtree(folder, ignore_errors=True)
    texts = guide_texts(base)
    prepared = demo_data.prepare(folder.resolve(), base, form, info.code, texts)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with prefect_api(console=err_console):
        from flows.nightly import nightly

        with Progress(*columns, console=err_console, transient=True) as bar:
            task = bar.add_task("Mô phỏng các đêm", total=len(prepared.nights))
            for index, night in enumerate(prepared.nights):
                bar.update(task, description=f"Đêm {night:%d/%m/%Y}")
                list(demo_data.edits(prepared, form, index, base.deadline, texts))
                document = flow_result(
                    nightly(str(prepared.campaign_path), night, return_state=True), "nightly")
                bar.advance(task)
    if as_json:
        print_json(document)
        return
    print_status(document)
    print_figures(document)
    show_reminders(prepared)
    out = folder / "out"
    console.print(f"\nKết quả: [bold]{out / 'status.json'}[/], bảng tổng hợp "
                  f"[bold]{out / 'tong-hop.xlsx'}[/]")
    console.print(f"Xem các lượt chạy trong giao diện Prefect: PREFECT_HOME={DEFAULT_HOME} "
                  ".venv/bin/prefect server start, rồi mở http://127.0.0.1:4200")
    console.print(f"Xem tình hình: .venv/bin/ttcs status --config {folder / 'campaign.yaml'}")


def show_reminders(prepared: Demo) -> None:
    """The reminders each morning after a simulated night would send, as dry runs.

    Nothing is sent or recorded: what earlier mornings "sent" is kept in memory only, so that
    each stage shows once per unit, as it would with the real reminder log.
    """
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from ttcs.attention import STATUS_VI
    from ttcs.campaign import load_campaign
    from ttcs.contacts import read_contacts
    from ttcs.remind import plan_from_store
    from ttcs.reminder_log import SENT, Entry
    from ttcs.store import open_store

    campaign = load_campaign(prepared.campaign_path)
    store = open_store(campaign.database)
    contacts = read_contacts(campaign.contacts, campaign.province_code)
    memory: dict = {}
    table = Table(title="Nhắc báo cáo mỗi sáng (chạy thử: không gửi, không ghi)")
    for column in ("Sáng", "Mốc", "Đơn vị", "Trạng thái của các đơn vị được nhắc", "CC"):
        table.add_column(column, overflow="fold", justify="left" if column == "Sáng" or
                         column.startswith("Trạng") else "right")
    sample = None
    for night in prepared.nights:
        morning = dt.datetime.combine(night.date() + dt.timedelta(days=1), REMIND_TIME,
                                      campaign.tz)
        plan = plan_from_store(campaign, store, morning, contacts, log=memory)
        status = {unit.code: unit.status for unit in plan.units}
        for reminder in plan.reminders:
            memory[reminder.key] = Entry(reminder.unit, reminder.stage, reminder.channel, SENT)
        reminded = {r.unit for r in plan.reminders}
        by_status = Counter(status[code] for code in reminded)
        table.add_row(
            f"{morning:%d/%m %H:%M}",
            str(plan.stage) if plan.stage is not None else "—",
            str(len(reminded)),
            ", ".join(f"{STATUS_VI[s]} {n}" for s, n in sorted(by_status.items())),
            str(len({r.unit for r in plan.reminders if r.cc})))
        fixes = [r for r in plan.reminders if status[r.unit] == "needs_fix"]
        if sample is None and fixes:
            sample = fixes[0]
    console.print(table)
    nth = campaign.reminders.cc_coordinators_from
    console.print("Mốc: số ngày so với hạn nộp; mỗi mốc chỉ nhắc một lần; CC: số đơn vị có cán bộ "
                  f"điều phối cùng nhận (từ lần nhắc thứ {nth}). Lệnh thật: .venv/bin/ttcs remind "
                  f"--config {prepared.campaign_path} [--dry-run]", highlight=False)
    if sample is not None:
        console.print(Panel(Text(sample.text.rstrip()), title=Text(f"Ví dụ — {sample.subject}"),
                            title_align="left",
                            subtitle=Text(f"tới {', '.join(sample.to + sample.cc)}")))

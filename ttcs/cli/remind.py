"""`ttcs remind`: remind the units that still owe their report; `--dry-run` only shows it.

A dry run is the domain alone (no Prefect server, no collection, no sending window, nothing
written): it reads the latest nightly run at or before ``--now`` and the reminder log, and lists
what a real run would send. A real run is the `remind` flow, on the configured or a local
Prefect server, like `ttcs nightly`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ttcs.cli.common import console, err_console, flow_result, one_line_errors, print_json
from ttcs.cli.nightly import NowOption, parse_time, quiet_prefect_console
from ttcs.cli.units import ConfigOption

if TYPE_CHECKING:
    from ttcs.campaign import Campaign
    from ttcs.remind import Plan

RESULT_VI = {"sent": "đã gửi", "failed": "lỗi", "taken": "lượt khác đã gửi",
             "unconfirmed": "chưa xác nhận"}


@one_line_errors
def remind(
    config: ConfigOption = None,
    now: NowOption = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Chỉ liệt kê tin sẽ gửi: không gửi, không ghi, không thu thập.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="In danh sách tin nhắc dạng JSON.")] = False,
) -> None:
    """Nhắc các đơn vị chưa nộp báo cáo theo mốc hạn nộp; gửi bản tổng hợp cho điều phối viên.

    Exit code 1 when a message failed or was left unconfirmed in this run, or the digest did not
    reach every coordinator (the JSON or the table is printed first).
    """
    from ttcs.campaign import load_campaign

    campaign = load_campaign(config)
    when = parse_time(now, campaign, "--now") or dt.datetime.now(dt.UTC)
    if dry_run:
        plan = dry_plan(campaign, when)
        if as_json:
            print_json([reminder.public() for reminder in plan.reminders])
        else:
            print_plan(plan, campaign)
        return
    summary = run_remind(config, when)
    if as_json:
        print_json(summary["reminders"])
    else:
        print_summary(summary, campaign)
    problem = run_problem(summary)
    if problem:
        err_console.print(f"[bold red]Lỗi:[/] {escape(problem)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


def run_problem(summary: dict[str, Any]) -> str | None:
    """What went wrong in a real run, in one line (None when every send and the digest did)."""
    results = Counter(r["result"] for r in summary["reminders"])
    parts = []
    if results["failed"]:
        parts.append(f"{results['failed']} tin gửi không thành công (sẽ thử lại ở lượt sau nếu "
                     "mốc vẫn hiện hành)")
    if results["unconfirmed"]:
        parts.append(f"{results['unconfirmed']} tin chưa xác nhận đã gửi (không gửi lại)")
    digest = summary["digest"]
    if digest and digest["error"]:
        state = "không đến được một số người nhận" if digest["sent"] else "chưa gửi được"
        parts.append(f"bản tổng hợp {state}: {digest['error']}")
    return "Lượt nhắc chưa trọn vẹn: " + "; ".join(parts) if parts else None


def dry_plan(campaign: Campaign, when: dt.datetime) -> Plan:
    from ttcs.notify import describe
    from ttcs.remind import NoCollection, plan_from_store
    from ttcs.store import open_store

    url = campaign.database
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise NoCollection(f"chưa có cơ sở dữ liệu {url.removeprefix('sqlite:///')}; "
                           "hãy chạy 'ttcs nightly' trước")
    return plan_from_store(campaign, open_store(url), when, describe=describe)


def run_remind(config: Path | None, now: dt.datetime) -> dict[str, Any]:
    """Run the remind flow against the configured (or a local, temporary) Prefect server."""
    from ttcs.cli.prefect_server import prefect_api

    with prefect_api(console=err_console):
        from flows.remind import remind as remind_flow

        quiet_prefect_console()
        with err_console.status("Đang nhắc các đơn vị…"):
            state = remind_flow(str(config) if config else None, now, return_state=True)
    return flow_result(state, "remind")


def _stage(stage: int | None) -> str:
    from ttcs.remind import stage_label

    return stage_label(stage) if stage is not None else "chưa đến mốc nhắc đầu tiên"


def print_plan(plan: Plan, campaign: Campaign) -> None:
    from ttcs.remind import collection_due, when_text

    console.print(f"[bold]Chạy thử[/] (không gửi, không ghi) lúc {when_text(plan.now, campaign)}"
                  f" — mốc {_stage(plan.stage)}; số liệu lượt {plan.run_id} lúc "
                  f"{when_text(plan.run_as_of, campaign)}", highlight=False)
    if collection_due(plan.run_as_of, plan.now, campaign):
        console.print("[yellow]Số liệu đã cũ: lượt nhắc thật sẽ thu thập lại trước khi gửi.[/]")
    table = Table(title=f"{len(plan.reminders)} tin sẽ gửi")
    for column in ("Mã", "Đơn vị", "Mốc", "Kênh", "Gửi tới", "CC", "Lần"):
        table.add_column(column, overflow="fold")
    for r in plan.reminders:
        table.add_row(r.unit, r.unit_name, str(r.stage), r.channel, ", ".join(r.to),
                      ", ".join(r.cc), str(r.number) + (" (gửi lại)" if r.retry else ""))
    console.print(table)
    for r in plan.reminders:
        console.rule(f"{r.unit} · {r.channel} · {r.subject}", style="dim")
        console.print(r.text, markup=False, highlight=False)
    _print_notes(plan.no_contact, [e.key for e in plan.blocked])


def _print_notes(no_contact: list[Any], blocked: list[Any]) -> None:
    if no_contact:
        console.print(f"[yellow]Chưa có địa chỉ liên lạc ({len(no_contact)} đơn vị):[/] "
                      + ", ".join(f"{u.code} {u.name}" for u in no_contact), highlight=False)
    if blocked:
        console.print(f"[yellow]Chưa xác nhận ở lượt trước, không gửi lại ({len(blocked)}):[/] "
                      + ", ".join(f"{u} mốc {s} {c}" for u, s, c in blocked), highlight=False)


def print_summary(summary: dict[str, Any], campaign: Campaign) -> None:
    if not summary["in_window"]:
        settings = campaign.reminders
        console.print(f"Ngoài khung giờ gửi ({settings.window_start:%H:%M}–"
                      f"{settings.window_end:%H:%M}, giờ {campaign.timezone}): không gửi tin nào.")
        return
    if summary["collected"]:
        console.print("Đã thu thập lại số liệu (nightly) trước khi nhắc.")
    table = Table(title=f"Lượt nhắc — mốc {_stage(summary['stage'])}, số liệu lượt "
                        f"{summary['run_id']}")
    for column in ("Mã", "Mốc", "Kênh", "Gửi tới", "CC", "Kết quả"):
        table.add_column(column, overflow="fold")
    for r in summary["reminders"]:
        result = RESULT_VI.get(r["result"], r["result"])
        if r["error"]:
            result += f": {escape(r['error'])}"
        table.add_row(r["unit"], str(r["stage"]), r["channel"], ", ".join(r["to"]),
                      ", ".join(r["cc"]), result)
    console.print(table)
    results = Counter(r["result"] for r in summary["reminders"])
    console.print(f"[bold]Đã gửi {results['sent']} tin, lỗi {results['failed']}[/]; chưa có "
                  f"liên lạc: {len(summary['no_contact'])} đơn vị; chưa xác nhận: "
                  f"{results['unconfirmed'] + len(summary['unconfirmed'])}.", highlight=False)
    digest = summary["digest"]
    if digest and digest["sent"]:
        console.print(f"Đã gửi bản tổng hợp cho {', '.join(digest['to'])}.", highlight=False)

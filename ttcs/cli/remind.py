"""`ttcs remind`: remind the units that still owe their report; `--dry-run` only shows it.

A dry run is the domain alone (no Prefect server, no collection, no sending window, nothing
written): it reads the latest nightly run at or before ``--now`` and the reminder log, and lists
what a real run would send, then the coordinators' digest. A real run is the `remind` flow, on
the configured or a local Prefect server, like `ttcs nightly`. After the campaign's end both say
so in one line. `--resolve` records the coordinator's word on a send left unconfirmed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ttcs.cli.common import (
    console,
    err_console,
    flow_result,
    one_line_errors,
    print_error,
    print_json,
)
from ttcs.cli.nightly import NowOption, parse_time
from ttcs.cli.units import ConfigOption
from ttcs.errors import UserError

if TYPE_CHECKING:
    from ttcs.campaign.settings import Campaign
    from ttcs.reminders.remind import Plan, Voice

class Resolution(StrEnum):
    sent = "sent"
    retry = "retry"


RESULT_VI = {"sent": "đã gửi", "failed": "lỗi", "taken": "lượt khác đã gửi",
             "unconfirmed": "chưa xác nhận"}


@one_line_errors
def remind(
    config: ConfigOption = None,
    now: NowOption = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Chỉ liệt kê tin sẽ gửi và bản tổng hợp: không gửi, không ghi, "
        "không thu thập.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="In danh sách tin nhắc dạng JSON.")] = False,
    digest_only: Annotated[bool, typer.Option(
        "--digest", help="Với --dry-run: chỉ in bản tổng hợp (với --json: {\"digest\": …}).")
    ] = False,
    resolve: Annotated[str | None, typer.Option(
        "--resolve", metavar="MÃ", help="Ghi nhận một tin chưa xác nhận của đơn vị MÃ "
        "(cùng --stage và --as).")] = None,
    stage: Annotated[int | None, typer.Option(
        "--stage", help="Mốc của tin cần ghi nhận (--resolve).")] = None,
    resolution: Annotated[Resolution | None, typer.Option(
        "--as", help="sent: đơn vị đã nhận; retry: gửi lại ở lượt sau (--resolve).")] = None,
    channel: Annotated[str | None, typer.Option(
        "--channel", help="Kênh (email, apprise) của tin cần ghi nhận; mặc định: mọi kênh.")
    ] = None,
) -> None:
    """Nhắc các đơn vị chưa nộp báo cáo theo mốc hạn nộp; gửi bản tổng hợp cho điều phối viên.

    Exit code 1 when a message failed or was left unconfirmed in this run, or the digest did not
    reach every coordinator (the JSON or the table is printed first).
    """
    from ttcs.backends.select import check_backend
    from ttcs.campaign.settings import load_campaign
    from ttcs.reminders.remind import ended, ended_line, voice
    from ttcs.state.store import check_database

    campaign = load_campaign(config)
    if digest_only and not dry_run:
        raise UserError("--digest chỉ dùng cùng --dry-run (lượt thật luôn gửi bản tổng hợp)")
    if resolve is not None:
        resolve_send(config, campaign, resolve, stage, resolution, channel)
        return
    when = parse_time(now, campaign, "--now") or dt.datetime.now(dt.UTC)
    if ended(when, campaign):
        if as_json:
            print_json({"digest": None} if digest_only else [])
        else:
            console.print(ended_line(campaign), highlight=False, soft_wrap=True)
        return
    checked = voice(campaign)  # a broken template: one line now, before anything runs
    if dry_run:
        show_dry_run(dry_plan(checked, when), as_json, digest_only)
        return
    # A damaged database or a wrong key: one line, before any server starts.
    check_database(campaign.database)
    check_backend(campaign)
    summary = run_remind(config, when)
    if as_json:
        print_json(summary["reminders"])
    else:
        print_summary(summary, campaign)
    problem = run_problem(summary)
    if problem:
        print_error(problem)
        raise typer.Exit(1)


def show_dry_run(plan: Plan, as_json: bool, digest_only: bool) -> None:
    from ttcs.reminders.remind import dry_digest

    digest = dry_digest(plan)
    if as_json:
        print_json({"digest": digest.public()} if digest_only
                   else [reminder.public() for reminder in plan.reminders])
        return
    if not digest_only:
        print_plan(plan)
    console.rule(f"Bản tổng hợp gửi {', '.join(digest.to) or '(chưa khai email điều phối viên)'}"
                 f" · {digest.subject}", style="bold")
    console.print(digest.text, markup=False, highlight=False, soft_wrap=True)


def resolve_send(config: Path | None, campaign: Campaign, unit: str, stage: int | None,
                 resolution: Resolution | None, channel: str | None) -> None:
    """`--resolve UNIT --stage S --as sent|retry`: the coordinator's word on a send that may
    have gone out, recorded in the reminder log (waits for a running remind or nightly)."""
    from ttcs.campaign.registry import normalise_code
    from ttcs.reminders.reminder_log import ReminderLog
    from ttcs.run.run_lock import campaign_lock
    from ttcs.state.store import open_store

    if stage is None or resolution is None:
        raise UserError("--resolve cần kèm --stage MỐC và --as sent|retry")
    code = normalise_code(unit)
    with campaign_lock(config, "remind"):
        changed = ReminderLog(open_store(campaign.database)).resolve(
            code, stage, channel, resolution.value)
    if not changed:
        raise UserError(f"không có tin chưa xác nhận nào của đơn vị {code} ở mốc {stage}"
                        + (f" qua {channel}" if channel else ""))
    done = ("ghi là đã gửi" if resolution is Resolution.sent
            else "sẽ gửi lại ở lượt nhắc sau nếu mốc vẫn hiện hành")
    for entry in changed:
        console.print(f"{code} mốc {stage} {entry.channel}: {done}.", highlight=False)


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


def dry_plan(voice: Voice, when: dt.datetime) -> Plan:
    from ttcs.reminders.notify import describe
    from ttcs.reminders.remind import NoCollection, plan_from_store
    from ttcs.state.store import open_store

    url = voice.campaign.database
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise NoCollection(f"chưa có cơ sở dữ liệu {url.removeprefix('sqlite:///')}; "
                           "hãy chạy 'ttcs nightly' trước")
    return plan_from_store(voice, open_store(url), when, describe=describe)


def run_remind(config: Path | None, now: dt.datetime) -> dict[str, Any]:
    """Run the remind flow against the configured (or a local, temporary) Prefect server."""
    from ttcs.cli.prefect_server import prefect_api

    with prefect_api(console=err_console):
        from flows.remind import remind as remind_flow

        with err_console.status("Đang nhắc các đơn vị…"):
            state = remind_flow(str(config) if config else None, now, return_state=True)
    return flow_result(state, "remind")


def _stage(stage: int | None) -> str:
    from ttcs.reminders.remind import stage_label

    return stage_label(stage) if stage is not None else "chưa đến mốc nhắc đầu tiên"


def print_deadline(campaign: Campaign, now: dt.datetime) -> None:
    from ttcs.reminders.remind import time_left, when_text

    note = f" ({campaign.deadline_note})" if campaign.deadline_note else ""
    console.print(f"Hạn nộp: {when_text(campaign.deadline, campaign)}{note} — "
                  f"{time_left(now, campaign)}.", highlight=False, soft_wrap=True)


def print_plan(plan: Plan) -> None:
    from ttcs.reminders.remind import collection_due, when_text

    campaign = plan.voice.campaign
    console.print(f"[bold]Chạy thử[/] (không gửi, không ghi) lúc {when_text(plan.now, campaign)}"
                  f" — mốc {_stage(plan.stage)}; số liệu lượt {plan.run_id} lúc "
                  f"{when_text(plan.run_as_of, campaign)}", highlight=False)
    print_deadline(campaign, plan.now)
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
    if plan.already_sent:
        console.print(f"Đã gửi ở mốc này từ lượt trước, không gửi lại: "
                      f"{len(plan.already_sent)} tin.", highlight=False)
    _print_notes(plan.no_contact, [e.key for e in plan.blocked])


def _print_notes(no_contact: list[Any], blocked: list[Any]) -> None:
    if no_contact:
        console.print(f"[yellow]Chưa có địa chỉ liên lạc ({len(no_contact)} đơn vị):[/] "
                      + ", ".join(f"{u.code} {u.name}" for u in no_contact), highlight=False)
    if blocked:
        console.print(f"[yellow]Chưa xác nhận ở lượt trước, không gửi lại ({len(blocked)}):[/] "
                      + ", ".join(f"{u} mốc {s} {c}" for u, s, c in blocked), highlight=False)


def print_summary(summary: dict[str, Any], campaign: Campaign) -> None:
    from ttcs.reminders.remind import ended_line

    if summary["ended"]:
        console.print(ended_line(campaign), highlight=False, soft_wrap=True)
        return
    if not summary["in_window"]:
        settings = campaign.reminders
        console.print(f"Ngoài khung giờ gửi ({settings.window_start:%H:%M}–"
                      f"{settings.window_end:%H:%M}, giờ {campaign.timezone}): không gửi tin nào.")
        return
    if summary["collected"]:
        console.print("Đã thu thập lại số liệu (nightly) trước khi nhắc.")
    print_deadline(campaign, dt.datetime.fromisoformat(summary["now"]))
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

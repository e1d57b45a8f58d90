"""`ttcs nightly` and `ttcs status`: run the nightly flow; show where every unit stands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from ttcs.cli.common import (
    console,
    err_console,
    flow_result,
    one_line_errors,
    print_json,
    shown_time,
)
from ttcs.cli.units import ConfigOption
from ttcs.errors import UserError
from ttcs.labels import STATUS_VI, flags_vi
from ttcs.run import progress
from ttcs.vi_format import number, ratio, share

if TYPE_CHECKING:
    from ttcs.campaign.settings import Campaign

NowOption = Annotated[
    str | None, typer.Option("--now", help="Thời điểm chạy (ISO 8601); mặc định: bây giờ.")
]


def parse_time(text: str | None, campaign: Campaign, option: str) -> dt.datetime | None:
    """ISO 8601; a time without offset is local time of the campaign."""
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} '{text}' không đúng dạng ISO 8601 "
                        "(ví dụ 2025-09-30T22:00:00+07:00)") from None
    return when if when.tzinfo else when.replace(tzinfo=campaign.tz)


def run_nightly(config: Path | None, now: dt.datetime | None) -> dict[str, Any]:
    """Run the nightly flow against the configured (or a local, temporary) Prefect server."""
    from ttcs.cli.prefect_server import prefect_api

    with prefect_api(console=err_console):
        from flows.nightly import nightly

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=err_console, transient=True,
                      disable=not err_console.is_terminal) as bar:
            task = bar.add_task("Đọc bảng tính của các đơn vị", total=None)

            def show(stage: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            with progress.listening(show):
                state = nightly(str(config) if config else None, now, return_state=True)
    return flow_result(state, "nightly")


@one_line_errors
def nightly(config: ConfigOption = None, now: NowOption = None) -> None:
    """Thu thập, kiểm tra, phân loại mọi đơn vị và ghi status.json."""
    from ttcs.backends.select import check_backend
    from ttcs.campaign.settings import load_campaign
    from ttcs.state.store import check_database

    campaign = load_campaign(config)
    # A damaged database or a wrong key: one line, before any server starts.
    check_database(campaign.database)
    check_backend(campaign)
    document = run_nightly(config, parse_time(now, campaign, "--now"))
    print_status(document)
    console.print(f"Đã ghi [bold]{campaign.output_dir / 'status.json'}[/]")


@one_line_errors
def status(
    config: ConfigOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Lượt chạy mới nhất không sau thời điểm này.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In status.json.")] = False,
) -> None:
    """Tình hình báo cáo theo lượt chạy mới nhất (hoặc lượt chạy tại --as-of)."""
    from ttcs.campaign.settings import load_campaign
    from ttcs.outputs import run_result, status_doc
    from ttcs.state.store import open_store

    campaign = load_campaign(config)
    store = open_store(campaign.database)
    run_id = store.latest_run(parse_time(as_of, campaign, "--as-of"))
    if run_id is None:
        raise UserError("chưa có lượt chạy nào" + (f" trước {as_of}" if as_of else "")
                        + "; hãy chạy 'ttcs nightly' trước")
    document = status_doc.document(run_result.load(store, campaign, run_id))
    if as_json:
        print_json(document)
    else:
        print_status(document)


def print_figures(document: dict[str, Any]) -> None:
    """The headline province figures (status.json totals.figures)."""
    table = Table(title="Số liệu tổng hợp của tỉnh (từ các báo cáo đã được chấp nhận)")
    for column in ("Mục", "Chỉ tiêu", "Số lượng", "Tỷ lệ trên số đã báo cáo", "Phạm vi"):
        table.add_column(column, overflow="fold")
    for figure in document["totals"]["figures"].values():
        if isinstance(figure["value"], list):
            continue
        rate, times = figure.get("rate"), figure.get("ratio")
        shown = share(rate) if rate is not None else (
            f"tỷ số {ratio(times)}" if times is not None else "")
        table.add_row(figure["outline"], figure["label"], number(figure["value"]), shown,
                      figure.get("coverage") or "")
    console.print(table)


def print_status(document: dict[str, Any]) -> None:
    totals = document["totals"]
    table = Table(title=f"{document['province']['name']} — lúc {shown_time(document['as_of'])} "
                        f"(lượt {document['run_id']})")
    for column in ("Mã", "Đơn vị", "Trạng thái", "Cờ", "Lỗi", "Cảnh báo", "Sửa lần cuối"):
        table.add_column(column, overflow="fold")
    for unit in document["units"]:
        table.add_row(unit["code"], unit["name"], STATUS_VI[unit["status"]],
                      flags_vi(unit["flags"]), str(unit["errors"]),
                      str(unit["warnings"]), shown_time(unit["last_modified"]))
    console.print(table)
    counts = ", ".join(f"{STATUS_VI[s]}: {n}" for s, n in totals["by_status"].items() if n)
    console.print(f"[bold]{counts}[/]")
    console.print(f"Đã nộp hợp lệ {totals['reported']}/{totals['expected']}, đúng hạn "
                  f"{totals['on_time']}; hạn nộp {shown_time(document['deadline'])}")
    if document.get("deadline_note"):
        console.print(document["deadline_note"])
    if document.get("notes"):
        console.print("[bold]Ghi chú về tệp:[/]")
        for note in document["notes"]:
            console.print(f"- {note}", highlight=False, markup=False)

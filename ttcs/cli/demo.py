"""`ttcs demo`: replay a province's campaign night by night on generated workbooks."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ttcs.campaign import registry
from ttcs.cli.common import console, err_console, flow_result, one_line_errors, print_json
from ttcs.cli.demo_reminders import demo_mail, show_reminders
from ttcs.cli.nightly import print_figures, print_status
from ttcs.cli.prefect_server import prefect_api
from ttcs.cli.units import ConfigOption


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
    from ttcs.campaign.settings import load_campaign
    from ttcs.workbook.form import load_form
    from ttcs.workbook.template import guide_texts

    base = load_campaign(config)
    info = registry.find_province(province) if province else base.province_info
    form = load_form(base.form)
    shutil.rmtree(folder, ignore_errors=True)
    texts = guide_texts(base)
    prepared = demo_data.prepare(folder.resolve(), base, form, info.code, texts)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    history = folder.resolve() / "prefect"  # the demo's own runs, unless a server is running
    with prefect_api(home=history, console=err_console), demo_mail(prepared) as mornings:
        from flows.nightly import nightly

        with Progress(*columns, console=err_console, transient=True,
                      disable=not err_console.is_terminal) as bar:
            task = bar.add_task("Mô phỏng các đêm", total=len(prepared.nights))
            for index, night in enumerate(prepared.nights):
                bar.update(task, description=f"Đêm {night:%d/%m/%Y}")
                list(demo_data.edits(prepared, form, index, base.deadline, texts))
                document = flow_result(
                    nightly(str(prepared.campaign_path), night, return_state=True), "nightly")
                mornings.remind_after(night)  # real sends, to the demo's mail server
                bar.advance(task)
        from flows.report import report

        drafted = flow_result(report(str(prepared.campaign_path), return_state=True), "report")
    if as_json:
        print_json(document)
        return
    print_status(document)
    print_figures(document)
    show_reminders(mornings)
    out = folder / "out"
    console.print(f"\nKết quả: [bold]{out / 'status.json'}[/], bảng tổng hợp "
                  f"[bold]{out / 'tong-hop.xlsx'}[/]")
    console.print(f"Dự thảo báo cáo: [bold]{drafted['draft']}[/], phụ lục "
                  f"[bold]{drafted['appendices']}[/] ({drafted['coverage']})")
    console.print(f"Xem các lượt chạy: PREFECT_HOME={history} "
                  ".venv/bin/prefect server start rồi mở http://127.0.0.1:4200 "
                  "(hoặc chạy make server trước make demo)")
    console.print(f"Xem tình hình: .venv/bin/ttcs status --config {folder / 'campaign.yaml'}")


"""`ttcs report`: the draft report (.docx) and Phụ lục 01–03 (.xlsx) from the latest run (or
the run at --as-of), through the `report` flow on the configured or a local Prefect server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ttcs.cli.common import console, err_console, flow_result, one_line_errors, shown_time
from ttcs.cli.nightly import parse_time
from ttcs.cli.units import ConfigOption


@one_line_errors
def report(
    config: ConfigOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Thư mục ghi báo cáo; mặc định: output_dir của chiến dịch.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Dùng lượt chạy mới nhất không sau thời điểm này (ISO 8601).")] = None,
) -> None:
    """Dự thảo báo cáo tổng kết (.docx) và Phụ lục 01–03 (.xlsx) từ lượt chạy mới nhất."""
    from ttcs.backends.select import check_backend
    from ttcs.campaign.settings import load_campaign
    from ttcs.report.build import check_out_dir, run_time
    from ttcs.state.store import check_database

    campaign = load_campaign(config)
    check_out_dir(out or campaign.output_dir)  # a typing mistake: no run, no alert
    check_database(campaign.database)
    when = parse_time(as_of, campaign, "--as-of")
    reported = run_time(campaign, when)  # no run, no outline: one line before any server starts
    check_backend(campaign)  # nor a broken Google key
    print_report(run_report(config, reported, out))


def run_report(config: Path | None, as_of: Any, out: Path | None) -> dict[str, Any]:
    from ttcs.cli.prefect_server import prefect_api

    with prefect_api(console=err_console):
        from flows.report import report as report_flow

        state = report_flow(str(config) if config else None, as_of,
                            str(out) if out else None, return_state=True)
    return flow_result(state, "report")


def print_report(document: dict[str, Any]) -> None:
    if document["province_created"]:
        console.print(document["province_created"], highlight=False, markup=False,
                      soft_wrap=True)
    for line in document["province_issues"]:
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    console.print(f"Lượt chạy {document['run_id']} lúc {shown_time(document['as_of'])}")
    console.print(document["coverage"], highlight=False, soft_wrap=True)
    console.print(f"Đã ghi dự thảo [bold]{document['draft']}[/] và phụ lục "
                  f"[bold]{document['appendices']}[/]", soft_wrap=True)
    if document["unanswered"]:
        console.print("Mục Sở cần điền hoặc sửa (tô vàng trong dự thảo): "
                      + ", ".join(document["unanswered"]), highlight=False, markup=False,
                      soft_wrap=True)

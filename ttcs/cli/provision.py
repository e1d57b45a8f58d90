"""`ttcs provision`: give every unit its Google spreadsheet; `--dry-run` lists what it would do.

In OAuth mode the command signs the coordinator in first (a browser opens once; the token is
cached), so that the flow never has to. A dry run is the domain alone (no Prefect server): it
reads Drive and changes nothing. A real run is the `provision` flow, on the configured or a
local Prefect server, like `ttcs nightly`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from ttcs.cli.common import console, err_console, flow_result, one_line_errors, print_json
from ttcs.cli.units import ConfigOption
from ttcs.errors import ConfigError

if TYPE_CHECKING:
    from ttcs.campaign.settings import Campaign

ACTION_VI = {"create": "tạo mới", "adopt": "nhận", "layout": "dựng lại mẫu",
             "share": "thêm quyền", "record": "ghi vào danh bạ"}
ROLE_VI = {"writer": "chỉnh sửa", "reader": "xem"}


@one_line_errors
def provision(
    config: ConfigOption = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Chỉ liệt kê việc sẽ làm: không tạo, không chia sẻ, không ghi.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
) -> None:
    """Tạo hoặc nhận bảng tính Google của từng đơn vị, chia sẻ đúng người, ghi vào danh bạ."""
    from ttcs.backends.select import check_backend, mount_for
    from ttcs.campaign.settings import load_campaign

    campaign = load_campaign(config)
    if campaign.backend.kind != "gsheets" or campaign.backend.gsheets is None:
        raise ConfigError(f"{campaign.source}: 'ttcs provision' chỉ dùng với backend gsheets "
                          "(backend.kind: gsheets); với backend local hãy dùng 'ttcs template'")
    check_backend(campaign)  # a wrong key file is one line now, not after a server start
    settings = campaign.backend.gsheets.provision
    user = None
    if settings.mode == "oauth":
        from ttcs.google.oauth import user_credentials

        user = user_credentials(settings, interactive=True, mount=mount_for(campaign))
    if dry_run:
        from ttcs.backends.provision import plan, prepare

        result = plan(prepare(campaign, _service_account(campaign), user_credentials=user)
                      ).public() | {"dry_run": True}
    else:
        result = run_provision(config)
    if as_json:
        print_json(result)
    elif dry_run:
        print_plan(result)
    else:
        print_result(result)
    if not dry_run and result["failed"]:
        raise typer.Exit(1)


def _service_account(campaign: Campaign) -> dict[str, Any]:
    from ttcs.backends.select import service_account_from_file

    assert campaign.backend.gsheets is not None
    if campaign.backend.gsheets.credentials_file is None \
            and campaign.backend.gsheets.credentials_secret_block:
        from prefect.blocks.system import Secret

        from ttcs.cli.prefect_server import prefect_api
        from ttcs.google.secret_key import service_account_from_secret

        with prefect_api(console=err_console):
            key = service_account_from_secret(campaign, lambda name: Secret.load(name).get())
        assert key is not None
        return key
    return service_account_from_file(campaign)


def run_provision(config: Path | None) -> dict[str, Any]:
    """Run the provision flow against the configured (or a local, temporary) Prefect server."""
    from ttcs.cli.prefect_server import prefect_api

    with prefect_api(console=err_console):
        from flows.provision import provision as provision_flow

        with err_console.status("Đang cấp bảng tính cho các đơn vị…"):
            state = provision_flow(str(config) if config else None, False, return_state=True)
    return flow_result(state, "provision")


def _grants(grants: list[dict[str, str]]) -> str:
    return ", ".join(f"{g['email']} ({ROLE_VI.get(g['role'], g['role'])})" for g in grants)


def print_plan(result: dict[str, Any]) -> None:
    from ttcs.backends.provision import MODE_VI

    folder = result["folder_id"] or "(mọi tệp được chia sẻ)"
    console.print(f"[bold]Chạy thử[/] (không tạo, không chia sẻ, không ghi) — "
                  f"{MODE_VI[result['mode']]}, thư mục {folder}, người thực hiện "
                  f"{result['actor']}", highlight=False)
    table = Table(title=f"{len(result['steps'])} đơn vị cần xử lý")
    for column in ("Mã", "Đơn vị", "Việc", "Bảng tính", "Chia sẻ thêm", "Sai mẫu"):
        table.add_column(column, overflow="fold")
    for step in result["steps"]:
        table.add_row(step["unit"], step["name"], ACTION_VI[step["action"]],
                      step["sheet_id"] or "", _grants(step["grants"]),
                      "; ".join(step["problems"]))
    console.print(table)
    counts = result["counts"]
    console.print(f"Sẽ tạo {counts['create']}, nhận {counts['adopt']}, dựng lại mẫu "
                  f"{counts['layout']}, thêm {counts['share']} quyền, ghi {counts['record']} "
                  f"bảng tính vào danh bạ; đã sẵn sàng {counts['ready']}; chưa có bảng tính "
                  f"{counts['missing']}.", highlight=False)
    _notes(result)


def print_result(result: dict[str, Any]) -> None:
    table = Table(title="Kết quả cấp bảng tính")
    for column in ("Mã", "Bảng tính", "Việc đã làm", "Lỗi"):
        table.add_column(column, overflow="fold")
    for unit in result["units"]:
        done = [w for w, flag in (("tạo mới", unit["created"]), ("dựng mẫu", unit["laid_out"]),
                                  ("nhận", unit["adopted"]), ("ghi danh bạ", unit["recorded"]))
                if flag]
        if unit["shared"]:
            done.append("chia sẻ " + _grants(unit["shared"]))
        table.add_row(unit["unit"], unit["url"] or "", ", ".join(done), unit["error"] or "")
    console.print(table)
    console.print(f"[bold]Tạo mới {result['created']}, nhận {result['adopted']}, thêm "
                  f"{result['shared']} quyền, ghi {result['recorded']} vào danh bạ[/]; đã sẵn sàng "
                  f"từ trước {result['ready']}; chưa có bảng tính {len(result['missing'])}; lỗi "
                  f"{len(result['failed'])}.", highlight=False)
    _notes(result)


def _notes(result: dict[str, Any]) -> None:
    if result["missing"]:
        console.print(f"[yellow]Chưa có bảng tính ({len(result['missing'])} đơn vị):[/] "
                      + ", ".join(result["missing"]), highlight=False)
    for note in result["notes"]:
        console.print(f"[yellow]•[/] {note}", highlight=False)

"""`ttcs deployments --campaigns DIR`: the national scale-out on one Prefect work pool.

One ``nightly`` deployment per province campaign file of DIR, their schedules staggered by
:mod:`ttcs.campaign.night_plan` so that they share the Google quota, written as a
prefect.yaml-style file (reviewed, kept in version control, deployed by Prefect's own
``prefect deploy``). ``--apply`` also creates the work pool (process type) if missing, sets its
concurrency limit and deploys the file to the Prefect server in use.
"""

from __future__ import annotations

import datetime as dt
import os
from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.table import Table

from ttcs.campaign.night_plan import ProvinceNight, plan
from ttcs.campaign.settings import Campaign, load_campaign
from ttcs.cli.common import console, err_console, one_line_errors
from ttcs.cli.logfile import LOG_FILE
from ttcs.cli.server import DEFAULT_POOL, deploy, ensure_work_pool
from ttcs.errors import UserError, os_reason

ENTRYPOINT = "flows/nightly.py:nightly"
PULL = [{"prefect.deployments.steps.set_working_directory": {"directory": "{{ $TTCS_HOME }}"}}]
DEPLOY_LOG = LOG_FILE.with_name("prefect-deploy.log")


@one_line_errors
def deployments(
    campaigns: Annotated[Path, typer.Option(
        "--campaigns", help="Thư mục chứa tệp chiến dịch (.yaml) của từng tỉnh.")],
    pool: Annotated[str, typer.Option("--pool", help="Nhóm máy chạy (work pool).")
                    ] = DEFAULT_POOL,
    start: Annotated[str, typer.Option(
        "--start", help="Giờ bắt đầu của tỉnh đầu tiên (HH:MM, giờ địa phương).")] = "22:00",
    concurrency: Annotated[int, typer.Option(
        "--concurrency", min=1, help="Số lượt chạy cùng lúc tối đa của nhóm máy chạy.")] = 1,
    out: Annotated[Path, typer.Option("--out", help="Tệp deployment sẽ ghi (dạng prefect.yaml).")
                   ] = Path("prefect-provinces.yaml"),
    apply: Annotated[bool, typer.Option(
        "--apply", help="Tạo nhóm máy chạy, đặt giới hạn và đăng ký các deployment.")] = False,
) -> None:
    """Mỗi tỉnh một deployment hằng đêm trên cùng nhóm máy chạy, giờ chạy so le theo hạn mức
    Google."""
    first = _clock(start)
    nights = plan(_campaigns(campaigns), first)
    console.print(_table(nights, pool, concurrency))
    _write(out, nights, pool)
    if not apply:
        console.print(f"Đã ghi {out}; đăng ký bằng: ttcs deployments --campaigns {campaigns} "
                      f"--apply (hoặc prefect --no-prompt deploy --all --prefect-file {out})",
                      highlight=False, soft_wrap=True)
        return
    from ttcs.cli.prefect_server import prefect_api

    with prefect_api(console=err_console) as url:
        ensure_work_pool(pool, concurrency)
        # prefect deploy writes TTCS_HOME into the deployment's working folder
        env = {"TTCS_HOME": str(Path.cwd()), **os.environ, "PREFECT_API_URL": url}
        deploy(out.resolve(), Path.cwd(), env, DEPLOY_LOG)
    console.print(f"Đã ghi {out} và đăng ký {len(nights)} deployment trên nhóm máy chạy "
                  f"'{pool}' (tối đa {concurrency} lượt cùng lúc) tại {url}",
                  highlight=False, soft_wrap=True)


def _campaigns(folder: Path) -> list[tuple[Path, Campaign]]:
    """Every campaign file of ``folder``, by name; each province, database and output folder
    used once (two campaigns on one would overwrite each other's outputs)."""
    if not folder.is_dir():
        raise UserError(f"--campaigns {folder}: không phải thư mục")
    paths = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not paths:
        raise UserError(f"--campaigns {folder}: không có tệp chiến dịch .yaml nào")
    loaded = [(path, load_campaign(path)) for path in paths]
    for what, key in (("tỉnh", lambda c: c.province_code), ("cơ sở dữ liệu", lambda c: c.database),
                      ("thư mục kết quả", lambda c: c.output_dir)):
        seen: dict[object, Path] = {}
        for path, campaign in loaded:
            other = seen.setdefault(key(campaign), path)
            if other != path:
                raise UserError(f"{other.name} và {path.name} dùng chung {what} "
                                f"{key(campaign)}; mỗi tỉnh một tệp, một cơ sở dữ liệu, "
                                "một thư mục kết quả")
    return loaded


def _clock(text: str) -> dt.time:
    try:
        return dt.datetime.strptime(text, "%H:%M").time()
    except ValueError:
        raise UserError(f"--start '{text}' không đúng dạng HH:MM (ví dụ 22:00)") from None


def _number(value: float) -> str:
    """Vietnamese number format: 1.234 and 2,5."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return text.translate(str.maketrans(",.", ".,"))


def _table(nights: list[ProvinceNight], pool: str, concurrency: int) -> Table:
    table = Table(title=f"Kế hoạch chạy hằng đêm trên nhóm máy chạy '{pool}' "
                        f"(tối đa {concurrency} lượt cùng lúc)",
                  caption="Đọc, Ghi: lượt gọi Google của một đêm đọc lại mọi bảng tính; "
                          "Phút: thời gian dự kiến theo hạn mức Google")
    table.add_column("Tỉnh", no_wrap=True)
    table.add_column("Tệp chiến dịch", overflow="fold")
    for column in ("Đơn vị", "Bắt đầu", "Đọc", "Ghi", "Phút"):
        table.add_column(column, justify="right", no_wrap=True)
    for night in nights:
        table.add_row(night.province.name, night.path.name, _number(night.units),
                      f"{night.start:%H:%M}", _number(night.reads), _number(night.writes),
                      _number(round(night.minutes, 1)))
    return table


def _config_path(path: Path) -> str:
    """Relative to the project (where the worker runs the flow) when inside it, so the same
    file serves a worker whose project sits elsewhere (a container); absolute otherwise."""
    resolved = path.resolve()
    return str(resolved.relative_to(Path.cwd())) if resolved.is_relative_to(Path.cwd()) \
        else str(resolved)


def _deployment(night: ProvinceNight, pool: str) -> dict[str, object]:
    name = night.province.name
    return {
        "name": f"nightly-{night.province.code}",
        "entrypoint": ENTRYPOINT,
        "description": f"Thu thập, kiểm tra và phân loại báo cáo hằng đêm — {name} "
                       f"({night.units} đơn vị, bắt đầu {night.start:%H:%M}).",
        "tags": ["nightly", name],
        "parameters": {"config": _config_path(night.path)},
        "work_pool": {"name": pool},
        "schedules": [{"cron": night.cron, "timezone": night.campaign.timezone}],
    }


def _write(out: Path, nights: list[ProvinceNight], pool: str) -> None:
    project = {"name": "ttcs-provinces", "prefect-version": version("prefect"), "pull": PULL,
               "deployments": [_deployment(night, pool) for night in nights]}
    header = ("# Generated by `ttcs deployments`: one nightly deployment per province, staggered "
              "to share the Google quota.\n# Deploy: prefect --no-prompt deploy --all "
              f"--prefect-file {out.name} (from the project folder)\n")
    try:
        out.write_text(header + yaml.safe_dump(project, allow_unicode=True, sort_keys=False),
                       encoding="utf-8")
    except OSError as exc:
        raise UserError(f"Không ghi được {out}: {os_reason(exc)}") from None

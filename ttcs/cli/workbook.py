"""`ttcs template` and `ttcs validate`: a commune's workbook out and back in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import track
from rich.table import Table

from ttcs.campaign import registry
from ttcs.cli.common import console, err_console, one_line_errors, print_json
from ttcs.cli.units import ConfigOption
from ttcs.errors import UserError, os_reason
from ttcs.labels import STATUS_VI
from ttcs.text import key

if TYPE_CHECKING:
    from ttcs.workbook.validate import Verdict


def workbook_name(unit: registry.Unit) -> str:
    return f"{unit.code}-{key(unit.name)}.xlsx"


@one_line_errors
def template(
    out: Annotated[Path, typer.Option("--out", "-o", help="Tệp .xlsx (một đơn vị) hoặc thư mục.")],
    unit: Annotated[
        str | None, typer.Option("--unit", "-u", help="Mã đơn vị; bỏ trống: mọi đơn vị của tỉnh.")
    ] = None,
    province: Annotated[str | None, typer.Option("--province", "-p")] = None,
    config: ConfigOption = None,
) -> None:
    """Tạo biểu mẫu .xlsx cho một đơn vị (hoặc mọi đơn vị của tỉnh, vào một thư mục)."""
    from ttcs.campaign.settings import load_campaign
    from ttcs.workbook.form import load_form
    from ttcs.workbook.template import guide_texts, render_workbook

    campaign = load_campaign(config)
    form = load_form(campaign.form)
    texts = guide_texts(campaign)

    def write(each: registry.Unit, path: Path) -> None:
        try:
            render_workbook(form, each, texts, path)
        except OSError as exc:
            raise UserError(f"không ghi được {path}: {os_reason(exc)}") from None

    if unit:
        target = registry.unit(unit)
        write(target, out)
        console.print(f"Đã tạo biểu mẫu của {target.name} ({target.code}): [bold]{out}[/]")
        return
    code = registry.find_province(province).code if province else campaign.province_code
    units = registry.units(code)
    for each in track(units, description="Đang tạo biểu mẫu", console=err_console):
        write(each, out / workbook_name(each))
    console.print(f"Đã tạo {len(units)} biểu mẫu trong [bold]{out}[/]")


def validate(
    file: Annotated[Path, typer.Argument(help="Tệp .xlsx của đơn vị.")],
    unit: Annotated[
        str | None, typer.Option("--unit", "-u", help="Mã đơn vị; mặc định đọc từ tệp.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Kiểm tra một tệp báo cáo: thoát 0 nếu không có lỗi, 1 nếu có lỗi, 2 nếu không đọc được."""
    from ttcs.campaign.settings import load_campaign
    from ttcs.workbook.form import load_form
    from ttcs.workbook.validate import validate_raw
    from ttcs.workbook.workbook_limits import checked_workbook
    from ttcs.workbook.xlsx import read_xlsx

    try:
        if unit:
            registry.unit(unit)  # an unknown --unit is bad input, like an unreadable file
        campaign = load_campaign(config)
        form = load_form(campaign.form)
        checked_workbook(file, campaign.read_limits)
        verdict = validate_raw(form, read_xlsx(file), unit)
    except UserError as exc:
        if as_json:
            print_json({"unit": None, "status": None, "error": str(exc)})
        else:
            err_console.print(f"[bold red]Lỗi:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if as_json:
        print_json(verdict.to_dict())
    else:
        _print_verdict(verdict)
    raise typer.Exit(1 if verdict.errors else 0)


def _print_verdict(verdict: Verdict) -> None:
    name = registry.unit(verdict.unit).name if verdict.unit else "(không rõ đơn vị)"
    console.print(
        f"[bold]{name}[/] ({verdict.unit or '?'}): {STATUS_VI[verdict.status]} — "
        f"{verdict.errors} lỗi, {verdict.warnings} cảnh báo"
    )
    if not verdict.issues:
        return
    table = Table(show_lines=False)
    for column in ("Trang", "Ô", "Mức", "Nội dung"):
        table.add_column(column, overflow="fold")
    for issue in verdict.issues:
        level = "[red]lỗi[/]" if issue.is_error else "[yellow]cảnh báo[/]"
        table.add_row(issue.sheet or "—", issue.cell or "—", level, issue.message)
    console.print(table)

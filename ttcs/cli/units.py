"""`ttcs units`: the reporting units of a province and the old units they absorbed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ttcs.campaign import registry
from ttcs.cli.common import console, one_line_errors, print_json
from ttcs.errors import UserError, os_reason

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Tệp cấu hình chiến dịch (campaign.yaml).")
]


@one_line_errors
def units(
    province: Annotated[
        str | None,
        typer.Option("--province", "-p", help='Mã hoặc tên tỉnh: "44", "Quảng Trị", "quang tri".'),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In danh sách dạng JSON.")] = False,
    contacts_template: Annotated[
        Path | None,
        typer.Option("--contacts-template", help="Ghi tệp danh bạ CSV điền sẵn các đơn vị."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Danh sách xã, phường, đặc khu của tỉnh và các đơn vị cũ đã sáp nhập (01/7/2025)."""
    from ttcs.campaign import contacts
    from ttcs.campaign.settings import load_campaign

    info = registry.find_province(province) if province else load_campaign(config).province_info
    found = registry.units(info.code)
    if contacts_template:
        try:
            count = contacts.write_template(contacts_template, found)
        except OSError as exc:
            raise UserError(f"{contacts_template}: không ghi được danh bạ mẫu "
                            f"({os_reason(exc)})") from None
        console.print(f"Đã ghi danh bạ mẫu {count} đơn vị vào [bold]{contacts_template}[/]")
        return
    if as_json:
        print_json([unit.to_dict() for unit in found])
        return
    console.print(_table(info, found))


def _table(info: registry.ProvinceInfo, found: list[registry.Unit]) -> Table:
    predecessors = sum(len(unit.predecessors) for unit in found)
    table = Table(
        title=f"{info.name} ({info.code}): {len(found)} đơn vị, {predecessors} đơn vị cũ",
        show_lines=False,
    )
    table.add_column("Mã", style="bold")
    table.add_column("Tên đơn vị")
    table.add_column("Loại")
    table.add_column("Số ĐV cũ", justify="right")
    table.add_column("Đơn vị cũ (trước 01/7/2025)", overflow="fold")
    for unit in found:
        table.add_row(
            unit.code,
            unit.name,
            unit.type,
            str(len(unit.predecessors)),
            "; ".join(f"{p.name} ({p.district})" for p in unit.predecessors),
        )
    return table

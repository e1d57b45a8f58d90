"""The `ttcs` command."""

from __future__ import annotations

import os

# Before anything imports Prefect: no usage-data notice, no telemetry from the CLI.
os.environ.setdefault("DO_NOT_TRACK", "1")

import typer

from ttcs.cli.demo import demo
from ttcs.cli.nightly import nightly, status
from ttcs.cli.provision import provision
from ttcs.cli.remind import remind
from ttcs.cli.units import units
from ttcs.cli.workbook import template, validate

app = typer.Typer(
    name="ttcs",
    help="Thu thập, kiểm tra và tổng hợp báo cáo thông tin cơ sở của xã, phường, đặc khu.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("units")(units)
app.command("template")(template)
app.command("validate")(validate)
app.command("nightly")(nightly)
app.command("status")(status)
app.command("remind")(remind)
app.command("provision")(provision)
app.command("demo")(demo)


@app.callback()
def _root() -> None:
    """Thu thập, kiểm tra và tổng hợp báo cáo thông tin cơ sở."""


def main() -> None:
    app()

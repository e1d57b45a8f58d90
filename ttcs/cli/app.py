"""The `ttcs` command."""

from __future__ import annotations

import os
import sys

# Before anything imports Prefect: no usage-data notice, no telemetry from the CLI.
os.environ.setdefault("DO_NOT_TRACK", "1")

import typer

from ttcs.cli.common import one_line, print_error
from ttcs.cli.demo import demo
from ttcs.cli.deployments import deployments
from ttcs.cli.logfile import LOG_FILE, log_exception
from ttcs.cli.nightly import nightly, status
from ttcs.cli.provision import provision
from ttcs.cli.remind import remind
from ttcs.cli.report import report
from ttcs.cli.server import server_app
from ttcs.cli.units import units
from ttcs.cli.workbook import template, validate

INTERRUPTED = "theo yêu cầu (Ctrl+C)"
INTERRUPTED_EXIT = 130
MAX_MESSAGE = 300  # characters of an unexpected exception's message on the terminal

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
app.command("report")(report)
app.command("provision")(provision)
app.command("demo")(demo)
app.command("deployments")(deployments)
app.add_typer(server_app, name="server")


@app.callback()
def _root() -> None:
    """Thu thập, kiểm tra và tổng hợp báo cáo thông tin cơ sở."""


def main() -> None:
    """The ``ttcs`` entry point, with a last-resort safety net: an exception no command turned
    into its one line is still one line (its traceback in the log file), exit 1; Ctrl+C is one
    line, exit 130."""
    try:
        app()
    except SystemExit as exc:
        if exc.code == INTERRUPTED_EXIT:  # typer turns Ctrl+C into a silent exit 130
            print_error(INTERRUPTED, "Đã dừng")
        raise
    except KeyboardInterrupt:  # before typer took over
        print_error(INTERRUPTED, "Đã dừng")
        sys.exit(INTERRUPTED_EXIT)
    except Exception as exc:
        log = log_exception(exc)
        where = f"chi tiết trong {log}" if log else f"không ghi được nhật ký {LOG_FILE}"
        print_error(f"{type(exc).__name__}: {one_line(exc)[:MAX_MESSAGE]} ({where})",
                    "Lỗi không mong đợi:")
        sys.exit(1)

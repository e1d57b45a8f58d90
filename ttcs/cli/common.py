"""What every command shares: one-line errors (exit 2 bad input, 1 failed run), consoles, JSON
output."""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from ttcs.errors import RunFailed, UserError
from ttcs.vi_format import moment

P = ParamSpec("P")
R = TypeVar("R")

console = Console()
err_console = Console(stderr=True)


def one_line(text: object) -> str:
    """``text`` on one line (a message may quote a multi-line answer)."""
    return " ".join(str(text).split())


def print_error(message: str, label: str = "Lỗi:") -> None:
    """One line on stderr: ``label`` in bold red, then ``message``."""
    # As Text: brackets in a message (a cell "[1]", a path) are not rich markup.
    err_console.print(Text.assemble((label, "bold red"), " ", one_line(message)),
                      highlight=False, soft_wrap=True)


def one_line_errors(func: Callable[P, R]) -> Callable[P, R]:
    """A failure as one line on stderr, never a traceback: exit code 2 for a
    :class:`UserError` (the input), 1 for a failed run (:class:`RunFailed`, e.g. a service
    still unavailable after its retries)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (UserError, RunFailed) as exc:
            print_error(str(exc))
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def flow_result(state: Any, what: str) -> Any:
    """A flow run's result, or its failure as one line: a UserError keeps its words (exit 2);
    anything else is a failed run (exit 1), its traceback in the log file."""
    from ttcs.cli.logfile import LOG_FILE

    if not (state.is_failed() or state.is_crashed()):
        return state.result()
    failed = f"Lượt chạy {what} không thành công"
    exc = state.result(raise_on_failure=False)
    if isinstance(exc, UserError):
        raise UserError(f"{failed}: {exc}")
    if isinstance(exc, RunFailed):
        raise RunFailed(f"{failed}: {exc}")
    reason = f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) \
        else state.message or "không rõ lý do"
    raise RunFailed(f"{failed}: {one_line(reason)} (chi tiết trong {LOG_FILE})")


def shown_time(text: str | None) -> str:
    """A document's local ISO time as a coordinator reads it: 29/09/2025 22:00."""
    if not text:
        return ""
    when = dt.datetime.fromisoformat(text)
    return moment(when, when.tzinfo or dt.UTC)


def print_json(document: Any) -> None:
    """JSON on stdout only (UTF-8, diacritics kept), for scripts and pipes."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")

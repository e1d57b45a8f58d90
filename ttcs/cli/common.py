"""What every command shares: one-line errors with exit code 2, consoles, JSON output."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from ttcs.errors import UserError

P = ParamSpec("P")
R = TypeVar("R")

console = Console()
err_console = Console(stderr=True)


def one_line_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`UserError` into one line on stderr and exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            err_console.print(f"[bold red]Lỗi:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def flow_result(state: Any, what: str) -> Any:
    """A flow run's result, or its failure as one line (a UserError keeps its own words)."""
    if not (state.is_failed() or state.is_crashed()):
        return state.result()
    message = state.message or f"luồng {what} thất bại"
    try:
        state.result()
    except UserError as exc:
        message = str(exc)
    except Exception as exc:  # the flow's own failure, shown in one line
        message = f"{type(exc).__name__}: {exc}"
    raise UserError(f"Lượt chạy {what} không thành công: {message}")


def print_json(document: Any) -> None:
    """JSON on stdout only (UTF-8, diacritics kept), for scripts and pipes."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")

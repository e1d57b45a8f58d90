"""Where the details of a command go, so that the terminal shows one line on failure.

``~/.ttcs/logs/ttcs.log`` (one older file kept, ``ttcs.log.1``) receives, while a command runs
flows, every log line of Prefect and of the libraries (a failed task's or flow's traceback
above all) and Python's warnings, which Prefect would otherwise print to the terminal; they
reach the Prefect server (the UI) as before. An unexpected exception's traceback is appended to
it too. The local Prefect server's own output is in ``~/.ttcs/prefect/server.log``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sys
import traceback
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FILE = Path.home() / ".ttcs" / "logs" / "ttcs.log"
LOG_MAX_BYTES = 5_000_000
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _Muted(logging.Filter):
    """Drops every record: set on the terminal's handlers, it survives a later setLevel."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


_muted = _Muted()
_active = False  # a block of logs_to_file() is running


def _file_handler() -> logging.Handler | None:
    try:
        LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(LOG_FILE, maxBytes=LOG_MAX_BYTES, backupCount=1,
                                      encoding="utf-8")
    except OSError:
        return None  # no log file: the terminal still gets its one line
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


def _console_handlers() -> Iterator[tuple[logging.Logger, logging.Handler]]:
    """Every handler writing to a stream rather than a file (Prefect's console and debug
    handlers, on the root logger and on the loggers that do not propagate)."""
    loggers = [logging.getLogger(), *(logging.getLogger(name)
                                      for name in list(logging.root.manager.loggerDict))]
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) \
                    and not isinstance(handler, logging.FileHandler):
                yield logger, handler


@contextlib.contextmanager
def logs_to_file() -> Iterator[None]:
    """For the length of the block: log lines and warnings to :data:`LOG_FILE`, none to the
    terminal. Call it once Prefect is imported (its import configures logging afresh)."""
    global _active
    if _active:  # an enclosing block already does it
        yield
        return
    handler = _file_handler()
    muted = list(_console_handlers())
    targets = {logging.getLogger()} | {logger for logger, _ in muted if not logger.propagate}
    for _logger, console in muted:
        console.addFilter(_muted)
    if handler is not None:
        for logger in targets:
            logger.addHandler(handler)
    logging.captureWarnings(True)
    _active = True
    try:
        yield
    finally:
        _active = False
        logging.captureWarnings(False)
        for _logger, console in muted:
            console.removeFilter(_muted)
        if handler is not None:
            for logger in targets:
                logger.removeHandler(handler)
            handler.close()


def log_exception(exc: BaseException) -> Path | None:
    """Append ``exc``'s traceback to :data:`LOG_FILE`; the file, or None if it cannot be
    written."""
    stamp = dt.datetime.now().isoformat(timespec="seconds")
    text = "".join(traceback.format_exception(exc))
    try:
        LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
        with LOG_FILE.open("a", encoding="utf-8") as log:
            log.write(f"=== {stamp} {' '.join(sys.argv)} (pid {os.getpid()})\n{text}")
    except OSError:
        return None
    return LOG_FILE

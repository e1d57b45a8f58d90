"""One run at a time per campaign database and job (nightly, remind).

The lock belongs to the operating system or the database server, never to a row we would have
to clean up: an SQLite database is locked with ``flock`` on a file beside it, a PostgreSQL one
with a session advisory lock. Either is released when the process ends, even by SIGKILL, so a
crashed run never blocks the next night.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from ttcs.campaign.settings import load_campaign
from ttcs.errors import RunFailed

WAIT_S = 15.0  # a second run waits this long for the first, then refuses
_POLL_S = 0.25
_JOB_VI = {"nightly": "thu thập hằng đêm (nightly)", "remind": "nhắc nhở (remind)"}


class RunLocked(RunFailed):
    """Another run of the same job holds the campaign database (the input was fine)."""


def _refusal(job: str, holder: str, wait_s: float) -> RunLocked:
    who = f" ({holder})" if holder else ""
    return RunLocked(f"một lượt {_JOB_VI.get(job, job)} khác đang chạy trên cùng cơ sở dữ liệu"
                     f"{who}; đã chờ {wait_s:.0f} giây. Hãy chạy lại khi lượt kia kết thúc")


def _sqlite_path(url: str) -> Path | None:
    rest = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else None
    return None if not rest or ":memory:" in rest else Path(rest)


@contextmanager
def _file_lock(path: Path, job: str, wait_s: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    raise _refusal(job, handle.read().strip(), wait_s) from None
                time.sleep(_POLL_S)
        handle.seek(0)
        handle.truncate()
        started = dt.datetime.now().astimezone().strftime("%d/%m/%Y %H:%M:%S")
        handle.write(f"tiến trình {os.getpid()}, bắt đầu lúc {started}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _advisory_key(job: str) -> int:
    return int.from_bytes(hashlib.sha256(f"ttcs:{job}".encode()).digest()[:8], "big",
                          signed=True)


@contextmanager
def _advisory_lock(url: str, job: str, wait_s: float) -> Iterator[None]:
    engine = create_engine(url, pool_size=1)
    key = _advisory_key(job)
    try:
        # Autocommit: a session "idle in transaction" for the whole run may be ended by the
        # server (idle_in_transaction_session_timeout), silently releasing the lock.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            deadline = time.monotonic() + wait_s
            while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                if time.monotonic() >= deadline:
                    raise _refusal(job, "", wait_s)
                time.sleep(_POLL_S)
            try:
                yield
            finally:
                # A lost session released the lock already; that must not hide the run's result.
                with suppress(DBAPIError):
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        engine.dispose()


@contextmanager
def exclusive(database_url: str, job: str, wait_s: float | None = None) -> Iterator[None]:
    """Hold the campaign's lock for ``job``; waits up to ``wait_s``, then :class:`RunLocked`.

    An in-memory database is private to its process and needs no lock; other databases than
    SQLite and PostgreSQL are not locked (docs/decisions.md).
    """
    wait_s = WAIT_S if wait_s is None else wait_s
    path = _sqlite_path(database_url)
    if path is not None:
        with _file_lock(path.with_name(f"{path.name}.{job}.lock"), job, wait_s):
            yield
    elif database_url.startswith(("postgresql", "postgres")):
        with _advisory_lock(database_url, job, wait_s):
            yield
    else:
        yield


@contextmanager
def campaign_lock(config: str | Path | None, job: str) -> Iterator[None]:
    """:func:`exclusive` on the database of the campaign file ``config``."""
    with exclusive(load_campaign(config).database, job):
        yield

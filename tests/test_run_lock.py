"""One run at a time per campaign database: a real flock, real processes, real nightly flows."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.test_nightly import DEADLINE, UNITS, _answers, _book, _campaign
from ttcs.run.run_lock import RunLocked, exclusive
from ttcs.state.store import open_store, runs, verdicts

HOLD = """
import sys, time
from ttcs.run.run_lock import exclusive
with exclusive(sys.argv[1], sys.argv[2]):
    print("held", flush=True)
    time.sleep(600)
"""


def _holder(url: str, job: str) -> subprocess.Popen[str]:
    """Another process holding the lock, as a running nightly would."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, url, job], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_second_run_waits_then_refuses_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ttcs.db'}"
    holder = _holder(url, "nightly")
    try:
        with pytest.raises(RunLocked) as refused, exclusive(url, "nightly", wait_s=0.5):
            pass
        message = str(refused.value)
        assert "\n" not in message
        assert message.startswith("một lượt thu thập hằng đêm (nightly) khác đang chạy")
        assert f"tiến trình {holder.pid}" in message
        assert refused.value.exit_code == 1
        with exclusive(url, "remind", wait_s=0.5):  # another job is not blocked
            pass
    finally:
        holder.kill()
        holder.wait()


def test_lock_of_a_killed_run_is_free(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ttcs.db'}"
    holder = _holder(url, "remind")
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    entered = False
    with exclusive(url, "remind", wait_s=0.5):
        entered = True
    assert entered


def test_second_run_gets_the_lock_when_the_first_ends_in_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ttcs.db'}"
    order: list[str] = []
    first_in = threading.Event()

    def first() -> None:
        with exclusive(url, "nightly"):
            first_in.set()
            time.sleep(0.6)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with exclusive(url, "nightly", wait_s=10):
        order.append("second in")
    thread.join()
    assert order == ["first done", "second in"]


def test_two_nightlies_at_once_on_a_fresh_database(prefect_harness, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Both complete one after the other: no IntegrityError, every verdict stored once."""
    from flows.nightly import nightly

    monkeypatch.setattr("ttcs.run.run_lock.WAIT_S", 300.0)  # a loaded machine must not refuse

    config = _campaign(tmp_path)
    for code in UNITS[:6]:
        _book(tmp_path, code, DEADLINE - dt.timedelta(days=2), _answers(code))
    results: dict[str, object] = {}

    def night(name: str) -> None:
        state = nightly(str(config), DEADLINE, return_state=True)
        results[name] = state

    threads = [threading.Thread(target=night, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(state.is_completed() for state in results.values()), results
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    with store.begin() as conn:
        finished = conn.execute(select(func.count()).select_from(runs)
                                .where(runs.c.finished.is_not(None))).scalar_one()
        judged = conn.execute(select(func.count()).select_from(verdicts)).scalar_one()
    assert finished == 2
    assert judged == 6  # the second run re-used the first one's verdicts


def test_nightly_refused_while_another_holds_the_database(prefect_harness, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          ) -> None:
    """The flow refuses; the command's line and exit code (flow_result) say so; nothing ran."""
    from flows.nightly import nightly
    from ttcs.cli.common import RunFailed, flow_result

    monkeypatch.setattr("ttcs.run.run_lock.WAIT_S", 0.5)
    config = _campaign(tmp_path)
    _book(tmp_path, UNITS[0], DEADLINE - dt.timedelta(days=2), _answers(UNITS[0]))
    holder = _holder(f"sqlite:///{tmp_path / 'state.db'}", "nightly")
    try:
        state = nightly(str(config), DEADLINE, return_state=True)
    finally:
        holder.kill()
        holder.wait()
    with pytest.raises(RunFailed) as failed:
        flow_result(state, "nightly")
    assert failed.value.exit_code == 1
    assert re.fullmatch(
        "Lượt chạy nightly không thành công: một lượt thu thập hằng đêm \\(nightly\\) khác đang "
        f"chạy trên cùng cơ sở dữ liệu \\(tiến trình {holder.pid}, bắt đầu lúc "
        r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\); đã chờ 0 giây\. Hãy chạy lại khi lượt kia kết thúc",
        str(failed.value)), str(failed.value)
    assert not (tmp_path / "out" / "status.json").exists()

"""Kill-and-rerun (issue 14, crash safety): the real `ttcs nightly` and `ttcs remind` are
SIGKILLed at chosen points, then run again to the end.

The points are found from outside, as an operator would see them: the state database (responses
stored, nothing classified yet), the output folder (the summary's temporary file, i.e. mid-way
through publishing) and an SMTP server on 127.0.0.1 that holds its reply (mid-send). Then: the
database is sound, every unit has the status of an uninterrupted twin campaign, every stored raw
response is kept, the outputs are whole, nothing is left half-written, and no reminder reaches
anyone twice; a send cut off is listed as unconfirmed and never repeated.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import ROOT, cli
from tests.smtp_sinks import Mailbox, serving
from tests.test_remind import (
    COORDINATOR,
    EXCLUDED,
    answers,
    book,
    local,
    mail,
    write_campaign,
    write_contacts,
)
from ttcs.campaign import registry
from ttcs.state.store import content_hash, open_store

TTCS = Path(sys.executable).with_name("ttcs")
UNITS = [u.code for u in registry.units("44") if u.code != EXCLUDED]
VALID, BLANK, LATE, REGRET = UNITS[:6], UNITS[6], UNITS[7], UNITS[0]
OWING = UNITS[8:12]  # no workbook: unreachable, reminded by e-mail
NIGHT_1, NIGHT_2 = local(26, 22), local(27, 22)
WAIT_S = 180.0


def prefect_env() -> dict[str, str]:
    """The environment of a `ttcs` command that uses the test session's Prefect server."""
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()),
            "PYTHONPATH": str(ROOT)}


def start(tmp: Path, *args: str) -> subprocess.Popen[bytes]:
    """The real command, its output in files beside the campaign."""
    out = (tmp / "stdout.txt").open("wb")
    err = (tmp / "stderr.txt").open("wb")
    return subprocess.Popen([str(TTCS), *args], stdout=out, stderr=err, env=prefect_env(),
                            start_new_session=True)


def kill_when(process: subprocess.Popen[bytes], seen: Callable[[], Any], what: str,
              tmp: Path) -> Any:
    """SIGKILL ``process`` as soon as ``seen()`` gives something true; that thing."""
    deadline = time.monotonic() + WAIT_S
    while process.poll() is None and time.monotonic() < deadline:
        found = seen()
        if found:
            os.kill(process.pid, signal.SIGKILL)
            assert process.wait(30) == -signal.SIGKILL
            return found
        time.sleep(0.003)
    process.kill()
    pytest.fail(f"never saw {what} (exit {process.wait()}): "
                f"{(tmp / 'stderr.txt').read_text(encoding='utf-8')[-2000:]}")


def query(db: Path, sql: str) -> list[tuple]:
    """Read the database as an outsider (read-only, never creating it); [] while it cannot."""
    try:
        with closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=0.2)) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.Error:
        return []


def counts(db: Path) -> tuple[int, int] | None:
    """(snapshots, unit runs) once the first response is stored and nothing is classified."""
    rows = query(db, "SELECT (SELECT count(*) FROM snapshots), (SELECT count(*) FROM unit_runs)")
    return rows[0] if rows and rows[0][0] >= 1 and rows[0][1] == 0 else None


def nightly(config: Path, now: dt.datetime) -> dict:
    done = cli("nightly", "--config", str(config), "--now", now.isoformat())
    assert done.returncode == 0, done.stderr
    return json.loads((config.parent / "out" / "status.json").read_text(encoding="utf-8"))


def sound(db: Path) -> None:
    """SQLite's own checks, ttcs's (open_store refuses a damaged file), and the store's rules:
    each raw response whole and matching its hash, each finished run with every unit."""
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []
    store = open_store(f"sqlite:///{db}")
    try:
        for (snapshot_id, digest) in query(db, "SELECT id, content_hash FROM snapshots"):
            assert content_hash(store.snapshot_raw(snapshot_id)) == digest
        per_run = query(db, "SELECT runs.id, count(unit) FROM runs LEFT JOIN unit_runs "
                            "ON unit_runs.run_id = runs.id WHERE finished IS NOT NULL "
                            "GROUP BY runs.id")
        assert per_run and all(n == len(UNITS) + 1 for _, n in per_run)  # + the excluded unit
        assert query(db, "SELECT count(*) FROM runs WHERE finished IS NOT NULL "
                         "AND crashed IS NOT NULL") == [(0,)]
    finally:
        store.engine.dispose()


def statuses(document: dict) -> dict[str, tuple]:
    return {u["code"]: (u["status"], u["flags"], u["errors"], u["last_modified"],
                        u["first_accepted"]) for u in document["units"]}


def responses(db: Path) -> Counter:
    return Counter(query(db, "SELECT unit, content_hash FROM snapshots"))


def shown(path: Path) -> list[list[tuple]]:
    return [list(sheet.iter_rows(values_only=True)) for sheet in load_workbook(path).worksheets]


@pytest.fixture(scope="module")
def nights(prefect_harness, tmp_path_factory) -> dict[str, Any]:
    """Two nights of one campaign, each killed once and run again, and of its twin, never
    interrupted: the same workbooks with the same times."""
    base = tmp_path_factory.mktemp("crash")
    killed, calm = base / "killed", base / "calm"
    for folder in (killed, calm):
        folder.mkdir()
        write_campaign(folder, 25)
        write_contacts(folder / "contacts.csv", [])
    for code in VALID:
        book(killed, code, local(24, 10), answers(code))
    book(killed, BLANK, local(24, 9))
    shutil.copytree(killed / "communes", calm / "communes", dirs_exist_ok=True)
    db, out = killed / "state.db", killed / "out"
    seen: dict[str, Any] = {}

    # Night 1, killed once responses are stored and before anything is classified.
    first = start(killed, "nightly", "--config", str(killed / "campaign.yaml"),
                  "--now", NIGHT_1.isoformat())
    seen["stored"] = kill_when(first, lambda: counts(db), "a stored response", killed)
    seen["responses_1"] = responses(db)
    seen["runs_1"] = query(db, "SELECT id, finished, crashed FROM runs")
    seen["out_1"] = sorted(p.name for p in out.iterdir()) if out.exists() else []
    nightly(killed / "campaign.yaml", NIGHT_1)
    nightly(calm / "campaign.yaml", NIGHT_1)

    # Between the nights: one unit submits after a blank start, one empties its accepted sheet.
    for folder in (killed, calm):
        book(folder, BLANK, local(27, 9), answers(BLANK))
        book(folder, REGRET, local(27, 10))
        book(folder, LATE, local(27, 11), answers(LATE))

    # Night 2, killed while the summary workbook is being written.
    second = start(killed, "nightly", "--config", str(killed / "campaign.yaml"),
                   "--now", NIGHT_2.isoformat())
    seen["leftover"] = kill_when(second, lambda: [p.name for p in out.glob(".tong-hop*.tmp")],
                                 "the summary's temporary file", killed)
    seen["status_2"] = json.loads((out / "status.json").read_text(encoding="utf-8"))
    seen["runs_2"] = query(db, "SELECT id, finished IS NOT NULL, crashed IS NOT NULL FROM runs")
    latest = cli("status", "--config", str(killed / "campaign.yaml"), "--json")
    seen["latest_2"] = json.loads(latest.stdout)["run_id"]
    (out / ".status.json.4242.tmp").write_text('{"half', encoding="utf-8")  # a kill mid-write
    final = nightly(killed / "campaign.yaml", NIGHT_2)
    twin = nightly(calm / "campaign.yaml", NIGHT_2)
    return {"killed": killed, "calm": calm, "seen": seen, "final": final, "twin": twin}


def test_nightly_killed_twice_ends_as_if_never_interrupted(nights) -> None:
    killed, calm, seen = nights["killed"], nights["calm"], nights["seen"]
    db = killed / "state.db"
    # Killed where intended: some responses stored, none classified, no output, run unfinished.
    assert seen["stored"][0] >= 1 and seen["runs_1"] == [(1, None, None)]
    assert seen["out_1"] == [] or "status.json" not in seen["out_1"]
    # Killed mid-publishing: status.json already whole (the killed run's), the summary's
    # temporary file left over, the run not finished; `ttcs status` still reads the night before.
    assert seen["leftover"] and seen["status_2"]["run_id"] == 3
    assert seen["runs_2"] == [(1, 0, 1), (2, 1, 0), (3, 0, 0)]
    assert seen["latest_2"] == 2
    # After the reruns: each killed run marked crashed, never finished; the reruns finished.
    assert query(db, "SELECT id, finished IS NOT NULL, crashed IS NOT NULL FROM runs") == [
        (1, 0, 1), (2, 1, 0), (3, 0, 1), (4, 1, 0)]
    sound(db)
    # Every unit as in the twin that was never interrupted, and every raw response kept once.
    assert nights["final"]["run_id"] == 4
    assert statuses(nights["final"]) == statuses(nights["twin"])
    assert {s for s, *_ in statuses(nights["final"]).values()} >= {"submitted", "not_started",
                                                                  "unreachable"}
    assert responses(db) == responses(calm / "state.db")
    assert not seen["responses_1"] - responses(db)  # what the killed run stored is still there
    assert nights["final"]["totals"] == nights["twin"]["totals"]
    # Outputs whole, nothing temporary left, the summary workbook the same as the twin's.
    assert sorted(p.name for p in (killed / "out").iterdir()) == sorted(
        p.name for p in (calm / "out").iterdir()) == [".tong-hop.xlsx.digest", "status.json",
                                                      "tong-hop.xlsx"]
    assert shown(killed / "out" / "tong-hop.xlsx") == shown(calm / "out" / "tong-hop.xlsx")
    status = cli("status", "--config", str(killed / "campaign.yaml"), "--json")
    assert json.loads(status.stdout) == nights["final"]


class HoldingMailbox(Mailbox):
    """A mailbox that, for the addresses in ``hold_rcpt`` or ``hold_data``, stops answering at
    that step (RCPT: before the message; DATA: after the whole message arrived) until
    ``release``; ``holding`` is set when it starts holding."""

    def __init__(self) -> None:
        super().__init__()
        self.hold_rcpt: set[str] = set()
        self.hold_data: set[str] = set()
        self.holding = threading.Event()
        self.released = threading.Event()

    async def _hold(self) -> None:
        self.holding.set()
        while not self.released.is_set():
            await asyncio.sleep(0.02)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.hold_rcpt:
            await self._hold()
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if self.hold_data & set(envelope.rcpt_tos):
            await self._hold()
        return reply

    def arm(self, *, rcpt: str | None = None, data: str | None = None) -> None:
        self.hold_rcpt, self.hold_data = {rcpt} - {None}, {data} - {None}
        self.holding.clear()
        self.released.clear()


def remind_killed(config: Path, mailbox: HoldingMailbox, now: dt.datetime) -> None:
    """`ttcs remind` SIGKILLed while the mailbox holds."""
    tmp = config.parent
    process = start(tmp, "remind", "--config", str(config), "--now", now.isoformat(), "--json")
    kill_when(process, mailbox.holding.is_set, "the held send", tmp)
    mailbox.released.set()


def remind(config: Path, now: dt.datetime) -> tuple[int, dict[str, str], str]:
    """`ttcs remind --json`: exit code, {unit: result} of this run's sends, stderr."""
    done = cli("remind", "--config", str(config), "--now", now.isoformat(), "--json")
    return (done.returncode, {r["unit"]: r["result"] for r in json.loads(done.stdout)},
            done.stderr)


def log(db: Path) -> dict[tuple[str, int], str]:
    return {(unit, stage): status for unit, stage, status
            in query(db, "SELECT unit, stage, status FROM reminder_log")}


def test_remind_killed_mid_send_never_sends_twice(nights) -> None:
    """Killed twice: while the server holds its reply to a whole message (it got there), and
    while it holds a recipient before the message (it did not). Neither is ever repeated;
    both are listed; the one a coordinator sends back for retry goes out once."""
    killed = nights["killed"]
    db = killed / "state.db"
    a, b, c, d = OWING
    mailbox = HoldingMailbox()
    with serving(mailbox) as port:
        config = write_campaign(killed, port, reminders={
            "stages": [-3, -1], "window_start": "07:30", "window_end": "17:00",
            "cc_coordinators_from": 9, "collect_if_older_than_hours": 72})
        write_contacts(killed / "contacts.csv", [{"code": u, "email": mail(u)} for u in OWING])
        # Stage -3: killed while the reply to b's message is held (b's message arrived whole).
        mailbox.arm(data=mail(b))
        remind_killed(config, mailbox, local(28, 8))
        assert log(db) == {(a, -3): "sent", (b, -3): "reserved"}
        code, again, stderr = remind(config, local(28, 9))
        assert (code, again) == (0, {c: "sent", d: "sent"}), stderr
        stage_3 = mailbox.take()
        # Stage -1: killed while a's recipient is held (a's message never left).
        mailbox.arm(rcpt=mail(a))
        remind_killed(config, mailbox, local(29, 8))
        assert log(db)[(a, -1)] == "reserved"
        code, again, stderr = remind(config, local(29, 9))
        assert (code, again) == (0, {b: "sent", c: "sent", d: "sent"}), stderr
        resolved = cli("remind", "--config", str(config), "--resolve", a, "--stage", "-1",
                       "--as", "retry")
        assert resolved.returncode == 0, resolved.stderr
        code, retried, stderr = remind(config, local(29, 10))
        assert (code, retried) == (0, {a: "sent"}), stderr
        stage_1 = mailbox.take()
    # Each killed run is reported to the coordinators once, by the run after it.
    alerts = [[r for r in stage if r.message["X-TTCS-Alert"]] for stage in (stage_3, stage_1)]
    assert [[(r.rcpt, r.message["X-TTCS-Alert"]) for r in sent] for sent in alerts] == [
        [([COORDINATOR], "remind")]] * 2
    assert all("bị dừng đột ngột" in r.subject for sent in alerts for r in sent)
    stage_3, stage_1 = ([r for r in stage if not r.message["X-TTCS-Alert"]]
                        for stage in (stage_3, stage_1))
    per_stage_3 = Counter(r.rcpt[0] for r in stage_3)
    assert per_stage_3 == Counter({mail(u): 1 for u in OWING} | {COORDINATOR: 1})
    digests = [r for r in stage_1 if r.rcpt == [COORDINATOR]]
    assert Counter(r.rcpt[0] for r in stage_1 if r not in digests) == Counter(
        {mail(u): 1 for u in OWING})
    assert len(digests) == 2  # the run after the kill and the retry; the killed run sent none
    assert f"{a} {registry.unit(a).name} — mốc -1" in digests[0].text.split(
        "Chưa xác nhận đã gửi")[1]
    assert "Chưa xác nhận đã gửi (1 tin" in digests[1].text  # b at -3 only: a is settled
    (digest_3,) = [r for r in stage_3 if r.rcpt == [COORDINATOR]]
    assert f"{b} {registry.unit(b).name} — mốc -3" in digest_3.text.split(
        "Chưa xác nhận đã gửi (1 tin")[1]
    assert log(db) == {(a, -3): "sent", (b, -3): "reserved", (c, -3): "sent", (d, -3): "sent",
                       (a, -1): "sent", (b, -1): "sent", (c, -1): "sent", (d, -1): "sent"}
    sound(db)


PROBE = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from prefect import flow, task
    from tasks.stale_runs import campaign_run

    config, mode = sys.argv[1], sys.argv[2]

    @task
    def hang() -> None:
        Path(config).with_name("hanging").touch()
        time.sleep(600)

    @flow(name="crash-probe")
    def probe(config: str, fail: bool = False) -> None:
        with campaign_run(config, "nightly"):
            if mode == "hang":
                hang()
            if fail:
                raise RuntimeError("thất bại thử")

    if mode == "hang":
        probe(config)
    else:
        probe(config, fail=True, return_state=True)
        probe(config)
    """
)


def test_a_killed_flow_run_is_marked_crashed_by_the_next_run(prefect_harness, tmp_path) -> None:
    """A flow SIGKILLed inside the campaign's lock stays Running until the next run of the job,
    which marks it (and its task runs) Crashed and tells the coordinators, as the killed run's
    own on_crashed hook could not; a run that failed keeps its Failed."""

    mailbox = Mailbox()
    with serving(mailbox) as port:
        _killed_then_rerun(tmp_path, write_campaign(tmp_path, port))
    (alert,) = mailbox.take()
    assert alert.rcpt == [COORDINATOR]
    assert alert.subject.startswith("[ttcs] Lượt chạy ") and "bị dừng đột ngột" in alert.subject
    assert "bị tắt" in alert.text


def _killed_then_rerun(tmp_path: Path, config: Path) -> None:
    from prefect.client.orchestration import get_client

    script = tmp_path / "probe.py"
    script.write_text(PROBE, encoding="utf-8")
    db = tmp_path / "state.db"
    hang = subprocess.Popen([sys.executable, str(script), str(config), "hang"],
                            env=prefect_env(), stdout=subprocess.DEVNULL,
                            stderr=(tmp_path / "stderr.txt").open("wb"))

    def task_known() -> str | None:
        """The flow run's id once its task is running and the server knows the task run."""
        found = query(db, "SELECT flow_run_id FROM flow_runs")
        if found and (tmp_path / "hanging").exists() and tasks_of(client, found[0][0]):
            return found[0][0]
        return None

    with get_client(sync_client=True) as client:
        killed_id = kill_when(hang, task_known, "the task running", tmp_path)
        before = [client.read_flow_run(killed_id).state, *tasks_of(client, killed_id)]
    after_run = subprocess.run([sys.executable, str(script), str(config), "after"],
                               env=prefect_env(), capture_output=True, text=True, timeout=300)
    assert after_run.returncode == 0, after_run.stderr
    rows = query(db, "SELECT flow_run_id, ended IS NOT NULL, crashed IS NOT NULL FROM flow_runs "
                     "ORDER BY started")
    assert [(ended, crashed) for _, ended, crashed in rows] == [(0, 1), (1, 0), (1, 0)]
    with get_client(sync_client=True) as client:
        states = [client.read_flow_run(run_id).state for run_id, *_ in rows]
        task_states = [tasks_of(client, run_id) for run_id, *_ in rows]
    # The flow Running, its task not finished (Pending or Running: task states are sent in
    # the background, and the kill may come first).
    assert before[0].is_running() and not before[1].is_final()
    assert [s.type.value for s in states] == ["CRASHED", "FAILED", "COMPLETED"]
    assert "bị tắt" in states[0].message
    assert [[s.type.value for s in run] for run in task_states] == [
        ["CRASHED"], ["COMPLETED"], []]  # the hanging task; the marking, in the next run only


def tasks_of(client: Any, flow_run_id: str) -> list[Any]:
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId

    found = client.read_task_runs(task_run_filter=TaskRunFilter(
        flow_run_id=TaskRunFilterFlowRunId(any_=[flow_run_id])))
    return [run.state for run in found]


def test_a_schema_2_database_gains_the_crash_records(tmp_path) -> None:
    """Schema 3 adds `runs.crashed` and the flow runs journal; an unfinished run of the old
    database is marked by the next run, never read as the latest."""
    from sqlalchemy import text

    from ttcs.state.store import SCHEMA_VERSION

    url = f"sqlite:///{tmp_path / 'state.db'}"
    store = open_store(url)
    store.finish_run(store.start_run(NIGHT_1, "44", "local"), [])
    store.start_run(NIGHT_2, "44", "local")  # killed: never finished
    with store.begin() as conn:
        conn.execute(text("DROP TABLE flow_runs"))
        conn.execute(text("ALTER TABLE runs DROP COLUMN crashed"))
        conn.execute(text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))
    store.engine.dispose()
    migrated = open_store(url)
    assert (SCHEMA_VERSION, migrated.latest_run()) == (3, 1)
    assert migrated.start_run(local(28, 22), "44", "local") == 3
    assert query(tmp_path / "state.db", "SELECT id, crashed IS NOT NULL FROM runs") == [
        (1, 0), (2, 1), (3, 0)]
    assert query(tmp_path / "state.db", "SELECT count(*) FROM flow_runs") == [(0,)]
    migrated.engine.dispose()

"""The state database on PostgreSQL (issue 14): the same schema and migration, a real nightly
run giving the same statuses as on SQLite, the reminder log's at-most-once and the run lock, on
a real PostgreSQL server (tests/postgres.py). Without one, these tests skip with the reason;
the unreachable-server test needs none and always runs."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import threading
from pathlib import Path

import pytest
import yaml
from sqlalchemy import inspect, select, text

from tests.conftest import cli
from tests.smtp_sinks import Mailbox, Received, free_port, serving
from tests.test_nightly import (
    BROKEN_RULE,
    CORRUPT,
    DEADLINE,
    LATE_SUBMIT,
    ON_TIME,
    PARTIAL,
    REGRET,
    _answers,
    _book,
    _by_code,
    _campaign,
)
from tests.test_remind import (
    BLANK,
    COORDINATOR,
    NEEDS_FIX,
    SUBMITTED,
    answers,
    book,
    local,
    mail,
    run_remind,
    write_campaign,
    write_contacts,
)
from tests.test_run_lock import _holder
from tests.test_store_damaged import RUN_1, RUN_2, two_runs
from ttcs.campaign.settings import load_campaign
from ttcs.errors import ConfigError
from ttcs.reminders.notify import Channels, Mailer
from ttcs.reminders.remind import plan_from_store, voice
from ttcs.reminders.reminder_log import ReminderLog, deliver, reminder_log
from ttcs.run.run_lock import RunLocked, exclusive
from ttcs.state.store import SCHEMA_VERSION, check_database, metadata, open_store
from ttcs.workbook.issues import Issue

DAY = dt.timedelta(days=1)


def _use_database(config: Path, url: str) -> Path:
    """The campaign file ``config`` with its state in ``url``."""
    data = yaml.safe_load(config.read_text(encoding="utf-8")) | {"database": url}
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return config


# -- the store -------------------------------------------------------------------------------
def test_a_new_database_gets_the_whole_schema_and_is_reopened(postgres_url) -> None:
    assert check_database(postgres_url) is None  # nothing to check on disk
    store = open_store(postgres_url)
    with store.begin() as conn:
        assert set(inspect(conn).get_table_names()) == set(metadata.tables)
        assert conn.execute(text("SELECT value FROM meta")).scalar() == str(SCHEMA_VERSION)
    run_id = store.start_run(RUN_1, "44", "local")
    store.finish_run(run_id, ["ghi chú có dấu: Quảng Trị"])
    store.engine.dispose()
    again = open_store(postgres_url)
    assert again.latest_run() == run_id
    assert again.run(run_id)["as_of"] == RUN_1
    assert json.loads(again.run(run_id)["notes"]) == ["ghi chú có dấu: Quảng Trị"]


def test_a_database_of_a_newer_ttcs_is_refused(postgres_url) -> None:
    store = open_store(postgres_url)
    with store.begin() as conn:
        conn.execute(text("UPDATE meta SET value = :v"), {"v": str(SCHEMA_VERSION + 1)})
    with pytest.raises(ConfigError, match="phiên bản ttcs mới hơn"):
        open_store(postgres_url)


def test_a_schema_1_database_is_migrated_keeping_every_source(postgres_url) -> None:
    """The schema-1 layout (schema 2 added three columns to `sources`, schema 3 `runs.crashed`
    and the `flow_runs` table) with a source read in each of two runs, opened with this version
    (as tests/test_store_damaged.py on SQLite)."""
    store = open_store(postgres_url)
    second = two_runs(store)
    with store.begin() as conn:
        conn.execute(text("ALTER TABLE sources DROP COLUMN first_seen, DROP COLUMN seen_at, "
                          "DROP COLUMN dated"))
        conn.execute(text("ALTER TABLE runs DROP COLUMN crashed"))
        conn.execute(text("DROP TABLE flow_runs"))
        conn.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
    store.engine.dispose()

    migrated = open_store(postgres_url)
    with migrated.begin() as conn:
        assert conn.execute(text("SELECT value FROM meta")).scalar() == str(SCHEMA_VERSION)
        assert set(inspect(conn).get_table_names()) == set(metadata.tables)
        assert "crashed" in {c["name"] for c in inspect(conn).get_columns("runs")}
    states = migrated.sources()
    assert set(states) == {"/c/a.xlsx", "/c/b.xlsx"}
    a, b = states["/c/a.xlsx"].sighting, states["/c/b.xlsx"].sighting
    assert (a.first_seen, a.seen_at, a.dated) == (RUN_1, RUN_2, RUN_2)
    assert (b.first_seen, b.seen_at, b.dated) == (RUN_2, RUN_2, RUN_1)
    assert migrated.snapshot_count() == 3 and migrated.latest_run() == second


def test_a_nul_a_commune_typed_is_stored(postgres_url) -> None:
    """A cell holding `_x0000_` reads as a NUL, and the issue's message quotes it: PostgreSQL
    refuses NUL in text, so the store keeps it as "␀" rather than failing the whole night."""
    store = open_store(postgres_url)
    run_id = store.start_run(RUN_1, "44", "local")
    typed = Issue("18859", "PL01", "J9", "villages", "type_count", "invalid",
                  'giá trị "12\x00ab" không phải số')
    with store.begin() as conn:
        snapshot = store.put_snapshot(conn, run_id, "18859", "/c/a.xlsx", RUN_1, {"t": [[1]]})
        verdict = store.put_verdict(conn, snapshot, "form", "needs_fix", [typed], {})
    (stored,) = store.verdict_issues([verdict])[verdict]
    assert stored.message == 'giá trị "12\u2400ab" không phải số'


# -- a nightly run: the same statuses as on SQLite -------------------------------------------
def _nights(tmp: Path, url: str) -> dict:
    """Two nights of the same campaign (before and after the deadline, units changing between
    them) with the state at ``url``: both status documents and the snapshots stored."""
    from flows.nightly import nightly

    config = _use_database(_campaign(tmp), url)
    _book(tmp, ON_TIME, DEADLINE - 2 * DAY, _answers(ON_TIME))
    partial = {k: v for k, v in _answers(PARTIAL).items() if k[0] == "PL01.stations"}
    _book(tmp, PARTIAL, DEADLINE - 3 * DAY, partial)
    broken = _answers(BROKEN_RULE)
    broken[("PL02.web_boards", f"{BROKEN_RULE}:after", "boards_connected")] = 99
    _book(tmp, BROKEN_RULE, DEADLINE - 3 * DAY, broken)
    (tmp / "communes" / f"{CORRUPT}-hong.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    _book(tmp, REGRET, DEADLINE - 4 * DAY, _answers(REGRET))
    before = nightly(str(config), DEADLINE - DAY)
    _book(tmp, LATE_SUBMIT, DEADLINE + DAY, _answers(LATE_SUBMIT))
    _book(tmp, REGRET, DEADLINE - dt.timedelta(hours=2))
    after = nightly(str(config), DEADLINE + 2 * DAY)
    return {"config": config, "before": before, "after": after,
            "snapshots": open_store(load_campaign(config).database).snapshot_count()}


@pytest.fixture(scope="module")
def nights(postgres_server, prefect_harness, tmp_path_factory) -> dict[str, dict]:
    return {name: _nights(tmp_path_factory.mktemp(f"nights-{name}"), url) for name, url in
            (("sqlite", "sqlite:///state.db"), ("postgres", postgres_server.new_database()))}


def test_nightly_on_postgres_gives_what_it_gives_on_sqlite(nights) -> None:
    on_sqlite, on_postgres = nights["sqlite"], nights["postgres"]
    for night in ("before", "after"):
        assert _by_code(on_postgres[night]) == _by_code(on_sqlite[night])
        assert on_postgres[night]["totals"] == on_sqlite[night]["totals"]
    # snapshots: five books, LATE_SUBMIT's and REGRET's second one (the corrupt file has none)
    assert on_postgres["snapshots"] == on_sqlite["snapshots"] == 6
    before, after = _by_code(on_postgres["before"]), _by_code(on_postgres["after"])
    assert {code: before[code]["status"] for code in (ON_TIME, PARTIAL, BROKEN_RULE, CORRUPT)
            } == {ON_TIME: "submitted", PARTIAL: "in_progress", BROKEN_RULE: "needs_fix",
                  CORRUPT: "unreachable"}
    assert {"late", "submitted_late"} <= set(after[LATE_SUBMIT]["flags"])
    assert "changed_after_submit" in after[REGRET]["flags"]
    assert on_postgres["after"]["totals"]["reported"] == 3


def test_status_reads_the_run_back_from_postgres(nights) -> None:
    """`ttcs status --json` on the PostgreSQL campaign prints the latest run as stored."""
    result = cli("status", "--config", str(nights["postgres"]["config"]), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == nights["postgres"]["after"]


# -- reminders: at most once per unit, stage and channel -------------------------------------
@pytest.fixture(scope="module")
def reminded(postgres_server, prefect_harness, tmp_path_factory):
    """A campaign on PostgreSQL: one nightly run, then remind twice on the morning of stage -3
    and once on the morning of stage -1, every message to an SMTP sink."""
    from flows.nightly import nightly

    tmp = tmp_path_factory.mktemp("remind-postgres")
    mailbox = Mailbox()
    with serving(mailbox) as port:
        config = write_campaign(tmp, port, database=postgres_server.new_database())
        write_contacts(tmp / "contacts.csv", [{"code": code, "email": mail(code)}
                                             for code in (SUBMITTED, BLANK, NEEDS_FIX)])
        book(tmp, SUBMITTED, local(25, 10), answers(SUBMITTED))
        book(tmp, BLANK, local(24, 9))
        nightly(str(config), local(26, 22))
        mailbox.take()
        received = {}
        for name, now in (("first", local(27, 8)), ("again", local(27, 9, 30)),
                          ("next_stage", local(29, 8))):
            run_remind(config, now)
            received[name] = mailbox.take()
        yield {"config": config, "received": received, "mailbox": mailbox}


def _to_units(received: list[Received]) -> list[str]:
    return sorted(r.to for r in received if r.to != COORDINATOR)


def test_two_remind_runs_send_each_unit_stage_once(reminded) -> None:
    received = reminded["received"]
    owing = sorted([mail(BLANK), mail(NEEDS_FIX)])  # SUBMITTED owes nothing
    assert _to_units(received["first"]) == owing
    assert _to_units(received["again"]) == []  # the same stage: nothing new
    assert [r.to for r in received["again"]] == [COORDINATOR]  # the digest only
    assert _to_units(received["next_stage"]) == owing  # a new stage: once more
    store = open_store(load_campaign(reminded["config"]).database)
    with store.begin() as conn:
        rows = conn.execute(select(reminder_log.c.unit, reminder_log.c.stage,
                                   reminder_log.c.status)).all()
    assert sorted(rows) == sorted([(BLANK, -3, "sent"), (NEEDS_FIX, -3, "sent"),
                                   (BLANK, -1, "sent"), (NEEDS_FIX, -1, "sent")])


def test_two_runs_at_once_on_postgres_send_each_message_once(reminded, postgres_url) -> None:
    """Two deliveries of the same reminders, started together, each with its own engine: the
    unique constraint lets one run win each message."""
    campaign = load_campaign(reminded["config"])
    now = local(30, 8)
    due = plan_from_store(voice(campaign), open_store(campaign.database), now, log={})
    assert len(due.reminders) == 2
    open_store(postgres_url)
    start = threading.Barrier(2)
    outcomes: dict[str, list] = {}

    def run(name: str, order: list) -> None:
        log = ReminderLog(open_store(postgres_url))
        start.wait()
        outcomes[name] = deliver(log, order, Channels(Mailer.from_campaign(campaign)).send, now)

    threads = [threading.Thread(target=run, args=(name, order)) for name, order in
               (("a", due.reminders), ("b", due.reminders[::-1]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert _to_units(reminded["mailbox"].take()) == sorted(r.target for r in due.reminders)
    results = sorted(o.result for found in outcomes.values() for o in found)
    assert results == ["sent", "sent", "taken", "taken"]


# -- the run lock ----------------------------------------------------------------------------
def test_the_advisory_lock_excludes_a_second_run_of_the_same_job(postgres_server) -> None:
    url, other = postgres_server.new_database(), postgres_server.new_database()
    holder = _holder(url, "nightly")
    try:
        with pytest.raises(RunLocked) as refused, exclusive(url, "nightly", wait_s=0.5):
            pass
        assert str(refused.value).startswith("một lượt thu thập hằng đêm (nightly) khác")
        assert refused.value.exit_code == 1
        with exclusive(url, "remind", wait_s=0.5), exclusive(other, "nightly", wait_s=0.5):
            pass  # another job, another campaign's database: not blocked
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    # The server freed the killed session's lock; ours is then the only one.
    with exclusive(url, "nightly", wait_s=30), postgres_server.connect(url) as conn:
        held = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        assert held.fetchone() == (1,)


# -- an unreachable server (no PostgreSQL needed) --------------------------------------------
def test_an_unreachable_database_is_one_line(tmp_path) -> None:
    config = _use_database(_campaign(tmp_path), f"postgresql+psycopg://127.0.0.1:{free_port()}/x")
    result = cli("status", "--config", str(config))
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Lỗi: không mở được cơ sở dữ liệu postgresql+psycopg://127.0.0.1:")
    assert "Connection refused" in line


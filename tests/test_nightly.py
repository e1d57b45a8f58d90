"""The nightly flow, run for real (Prefect test harness, real SQLite, real .xlsx files)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import CONFIG, cli, run_ttcs
from ttcs.campaign import registry
from ttcs.state.store import open_store
from ttcs.workbook.form import load_form
from ttcs.workbook.sample import valid_answers
from ttcs.workbook.template import render_workbook

TZ = dt.timezone(dt.timedelta(hours=7))
DEADLINE = dt.datetime(2025, 9, 30, 17, 0, tzinfo=TZ)
TEXTS = {"data_as_of": "30/09/2025", "deadline": "17:00 ngày 30/09/2025"}
FORM = load_form(CONFIG / "form.yaml")
UNITS = [u.code for u in registry.units("44")]
# Crafted units (Quảng Trị); every other unit has no file and is unreachable.
ON_TIME, LATE_SUBMIT, BLANK, PARTIAL, BROKEN_RULE, WARNED, CORRUPT, REGRET = UNITS[:8]
EXCLUDED = "19742"


def _campaign(tmp: Path) -> Path:
    path = tmp / "campaign.yaml"
    path.write_text(yaml.safe_dump({
        "title": "Thử nghiệm", "province": "44", "data_as_of": "2025-09-30",
        "deadline": DEADLINE.isoformat(), "form": str(CONFIG / "form.yaml"),
        "contacts": "contacts.csv", "output_dir": "out", "database": "sqlite:///state.db",
        "excluded_units": [EXCLUDED],
        "backend": {"kind": "local", "local": {"folder": "communes"}},
    }, allow_unicode=True), encoding="utf-8")
    (tmp / "communes").mkdir()
    return path


def _book(tmp: Path, code: str, when: dt.datetime, answers: dict | None = None) -> Path:
    path = render_workbook(FORM, registry.unit(code), TEXTS, tmp / "communes" / f"{code}.xlsx",
                           answers)
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def _answers(code: str, **changes) -> dict:
    answers = valid_answers(FORM, registry.unit(code), random.Random(code))
    answers.update(changes)
    return answers


def _night(config: Path, now: dt.datetime) -> dict:
    from flows.nightly import nightly

    return nightly(str(config), now)


def _by_code(document: dict) -> dict[str, dict]:
    return {unit["code"]: unit for unit in document["units"]}


@pytest.fixture(scope="module")
def replay(prefect_harness, tmp_path_factory):
    """Two nights before the deadline, one after, with units changing between them."""
    tmp = tmp_path_factory.mktemp("nightly")
    config = _campaign(tmp)
    day = dt.timedelta(days=1)
    _book(tmp, ON_TIME, DEADLINE - 2 * day, _answers(ON_TIME))
    _book(tmp, BLANK, DEADLINE - 5 * day)
    partial = {k: v for k, v in _answers(PARTIAL).items() if k[0] == "PL01.stations"}
    _book(tmp, PARTIAL, DEADLINE - 3 * day, partial)
    connected_ref = ("PL02.web_boards", f"{BROKEN_RULE}:after", "boards_connected")
    broken = _answers(BROKEN_RULE, **{})
    broken[connected_ref] = 99
    _book(tmp, BROKEN_RULE, DEADLINE - 3 * day, broken)
    warned = _answers(WARNED)
    warned[("PL03.training", "", "training_participants")] = 0
    warned[("PL03.training", "", "training_sessions")] = 0
    warned[("PL03.training", "", "training_contents")] = None
    villages = ("PL01.stations", f"{WARNED}:after", "villages")
    warned[villages] = 400  # above villages_max: a plausibility warning only
    _book(tmp, WARNED, DEADLINE - 3 * day, warned)
    (tmp / "communes" / f"{CORRUPT}-hong.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    _book(tmp, REGRET, DEADLINE - 4 * day, _answers(REGRET))

    night1 = _night(config, DEADLINE - 2 * day + dt.timedelta(hours=5))
    snapshots_after_1 = open_store(f"sqlite:///{tmp / 'state.db'}").snapshot_count()
    quiet = _night(config, DEADLINE - day + dt.timedelta(hours=5))
    snapshots_after_quiet = open_store(f"sqlite:///{tmp / 'state.db'}").snapshot_count()
    # Between nights: one commune submits after the deadline, one empties its accepted sheet.
    _book(tmp, LATE_SUBMIT, DEADLINE + day, _answers(LATE_SUBMIT))
    _book(tmp, REGRET, DEADLINE - dt.timedelta(hours=2))
    night3 = _night(config, DEADLINE + 2 * day)
    return {"tmp": tmp, "config": config, "night1": night1, "quiet": quiet, "night3": night3,
            "snapshots": (snapshots_after_1, snapshots_after_quiet)}


def test_statuses_before_the_deadline(replay) -> None:
    units = _by_code(replay["night1"])
    assert units[ON_TIME]["status"] == "submitted" and units[ON_TIME]["flags"] == []
    assert units[BLANK]["status"] == "not_started" and units[BLANK]["flags"] == []
    assert units[PARTIAL]["status"] == "in_progress"
    assert units[BROKEN_RULE]["status"] == "needs_fix"
    assert units[BROKEN_RULE]["flags"] == ["inconsistent"]
    assert units[WARNED]["status"] == "submitted"
    assert units[WARNED]["flags"] == ["warnings"]
    assert units[CORRUPT]["status"] == "unreachable"
    assert "không đọc được bảng tính" in units[CORRUPT]["reason"]
    assert units[LATE_SUBMIT]["status"] == "unreachable"
    assert "không tìm thấy tệp" in units[LATE_SUBMIT]["reason"]
    assert units[EXCLUDED]["status"] == "excluded" and units[EXCLUDED]["flags"] == []
    assert units[REGRET]["status"] == "submitted"
    assert units[REGRET]["first_accepted"].startswith("2025-09-26T17:00:00+07:00")
    assert replay["night1"]["as_of"] == "2025-09-28T22:00:00+07:00"


def test_statuses_and_flags_after_the_deadline(replay) -> None:
    units = _by_code(replay["night3"])
    assert units[ON_TIME]["flags"] == []  # accepted before the deadline
    assert units[LATE_SUBMIT]["status"] == "submitted"
    assert units[LATE_SUBMIT]["flags"] == ["late", "submitted_late"]
    assert units[BLANK]["flags"] == ["late"]
    assert units[PARTIAL]["flags"] == ["late"]
    assert units[CORRUPT]["flags"] == ["late"]  # unreachable is never confused with late...
    assert units[CORRUPT]["status"] == "unreachable"  # ...but is not excused either
    assert units[EXCLUDED]["flags"] == []
    assert units[REGRET]["status"] == "not_started"
    assert units[REGRET]["flags"] == ["changed_after_submit"]  # accepted on time: not late
    totals = replay["night3"]["totals"]
    assert totals["expected"] == 77 and totals["excluded"] == 1
    assert totals["reported"] == 4  # on time, late, warned, regret (kept submission)
    assert totals["on_time"] == 3
    every_flag = {flag for unit in units.values() for flag in unit["flags"]}
    every_flag |= {flag for unit in replay["night1"]["units"] for flag in unit["flags"]}
    assert every_flag == {"late", "submitted_late", "inconsistent", "warnings",
                          "changed_after_submit"}


def test_changed_after_submit_keeps_the_accepted_submission(replay) -> None:
    store = open_store(f"sqlite:///{replay['tmp'] / 'state.db'}")
    accepted = store.submissions_until(DEADLINE + dt.timedelta(days=3))
    ((when, verdict_id),) = accepted[REGRET]
    assert when == DEADLINE - dt.timedelta(days=4)
    record = store.verdict_record(verdict_id)
    assert record["items"]["complete"] is True
    assert record["tables"]["PL01.stations"][-1]["values"]["villages"] >= 5


def test_quiet_rerun_stores_no_new_snapshot(replay) -> None:
    after_first, after_quiet = replay["snapshots"]
    assert after_first == 6  # every readable workbook once; the corrupt one has none
    assert after_quiet == after_first
    assert _by_code(replay["quiet"])[ON_TIME]["status"] == "submitted"


def test_the_run_result_is_read_once_and_is_what_status_json_says(replay) -> None:
    """Every output is made from one reading of the run: the run row and the unit rows are each
    queried once, and status.json is exactly that result as JSON."""
    from sqlalchemy import event

    from ttcs.campaign.settings import load_campaign
    from ttcs.outputs import run_result, status_doc

    campaign = load_campaign(replay["config"])
    store = open_store(campaign.database)
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda conn, cursor, sql, *rest: statements.append(sql))
    result = run_result.load(store, campaign, replay["night3"]["run_id"], FORM)
    def reads(table: str) -> int:
        return sum(bool(re.search(rf"\bFROM {table}\b", sql)) for sql in statements)

    assert (reads("runs"), reads("unit_runs"), reads("submissions")) == (1, 1, 1)
    assert status_doc.document(result) == replay["night3"]
    assert result.totals.reported == 4 and len(result.figures.reported) == 4
    assert result.figures.expected == [u.code for u in result.units if u.status != "excluded"]


def test_timeliness_at_several_times(replay) -> None:
    """`ttcs status --as-of` returns the run of that time, and it equals what was written."""
    config = str(replay["config"])
    earlier = run_ttcs("status", "--config", config, "--as-of", "2025-09-29T23:00:00+07:00",
                       "--json")
    assert earlier.returncode == 0, earlier.stderr
    document = json.loads(earlier.stdout)
    assert document["run_id"] == replay["quiet"]["run_id"]
    assert _by_code(document)[BLANK]["flags"] == []
    latest = run_ttcs("status", "--config", config, "--json")
    assert json.loads(latest.stdout) == replay["night3"]
    written = json.loads((replay["tmp"] / "out" / "status.json").read_text(encoding="utf-8"))
    assert written == json.loads(latest.stdout)
    none = run_ttcs("status", "--config", config, "--as-of", "2025-01-01T00:00:00")
    assert none.returncode == 2 and "chưa có lượt chạy" in none.stderr
    shown = cli("status", "--config", config)  # as a coordinator reads it: no ISO times
    assert "hạn nộp 30/09/2025 17:00" in shown.stdout and "+07:00" not in shown.stdout


def test_cli_nightly_uses_the_configured_server(replay) -> None:
    """The real command against the harness's server: exit 0, clean output, status.json."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    import subprocess
    import sys

    result = subprocess.run(
        [str(Path(sys.executable).with_name("ttcs")), "nightly", "--config",
         str(replay["config"]), "--now", "2025-10-03T22:00:00+07:00"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "Đã nộp hợp lệ 4/77" in result.stdout
    status = run_ttcs("status", "--config", str(replay["config"]), "--json")
    assert json.loads(status.stdout)["as_of"] == "2025-10-03T22:00:00+07:00"


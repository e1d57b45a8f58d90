"""`ttcs remind` as a user runs it (in process), the remind deployment, the stage arithmetic."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import json
from pathlib import Path

import pytest
import yaml
from prefect import Flow
from sqlalchemy import func, select

from tests.conftest import ROOT, cli
from tests.smtp_sinks import free_port
from tests.test_remind import (
    BLANK,
    EXCLUDED,
    NEEDS_FIX,
    SUBMITTED,
    answers,
    book,
    local,
    write_campaign,
)
from ttcs.campaign import registry
from ttcs.campaign.contacts import COLUMNS
from ttcs.campaign.settings import load_campaign
from ttcs.reminders.remind import current_stage, day_offset, in_window, time_left
from ttcs.reminders.reminder_log import reminder_log
from ttcs.state.store import open_store, runs

NOW = "2025-09-27T08:00:00+07:00"


@pytest.fixture(scope="module")
def collected(prefect_harness, tmp_path_factory):
    """One nightly run on a campaign where every unit has an e-mail contact."""
    from flows.nightly import nightly

    tmp = tmp_path_factory.mktemp("remind-cli")
    config = write_campaign(tmp, free_port())
    with (tmp / "contacts.csv").open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS.values())
        for unit in registry.units("44"):
            writer.writerow([unit.code, unit.name, "", f"u{unit.code}@xa.example", "", "", ""])
    book(tmp, SUBMITTED, local(25, 10), answers(SUBMITTED))
    book(tmp, BLANK, local(24, 9))
    broken = answers(NEEDS_FIX)
    broken[("PL02.web_boards", f"{NEEDS_FIX}:after", "boards_connected")] = 99
    book(tmp, NEEDS_FIX, local(26, 9), broken)
    nightly(str(config), local(26, 22))
    return config


def _counts(config: Path) -> tuple[int, int]:
    store = open_store(load_campaign(config).database)
    with store.begin() as conn:
        return (conn.execute(select(func.count()).select_from(reminder_log)).scalar_one(),
                conn.execute(select(func.count()).select_from(runs)).scalar_one())


def test_dry_run_lists_exactly_the_units_neither_submitted_nor_excluded(collected) -> None:
    before = _counts(collected)
    status = cli("status", "--config", str(collected), "--as-of", NOW, "--json")
    assert status.returncode == 0, status.stderr
    owing = {u["code"] for u in json.loads(status.stdout)["units"]
             if u["status"] not in ("submitted", "excluded")}
    dry = cli("remind", "--config", str(collected), "--now", NOW, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    listed = json.loads(dry.stdout)  # stdout holds only the JSON
    assert {r["unit"] for r in listed} == owing
    assert len(owing) == 76 and SUBMITTED not in owing and EXCLUDED not in owing
    assert all(set(r) == {"unit", "stage", "channel", "to", "cc", "subject", "text"}
               for r in listed)
    assert {(r["stage"], r["channel"]) for r in listed} == {(-3, "email")}
    fix = next(r for r in listed if r["unit"] == NEEDS_FIX)
    assert fix["to"] == [f"u{NEEDS_FIX}@xa.example"] and fix["cc"] == []
    assert "Trang PL02, ô G" in fix["text"] and "còn 3 ngày" in fix["text"]
    assert _counts(collected) == before  # nothing written, nothing collected


def test_dry_run_ignores_the_window_and_prints_the_texts(collected) -> None:
    evening = cli("remind", "--config", str(collected), "--now",
                       "2025-09-27T22:00:00+07:00", "--dry-run")
    assert evening.returncode == 0, evening.stderr
    assert "76 tin sẽ gửi" in evening.stdout
    assert registry.unit(NEEDS_FIX).name in evening.stdout
    assert "Kính gửi" in evening.stdout


def test_dry_run_before_any_collection_is_one_line(tmp_path) -> None:
    config = write_campaign(tmp_path, free_port())
    result = cli("remind", "--config", str(config), "--now", NOW, "--dry-run")
    assert result.returncode == 2
    assert "nightly" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "state.db").exists()


def test_real_run_outside_the_window_exits_0_and_sends_nothing(collected) -> None:
    result = cli("remind", "--config", str(collected), "--now", "2025-09-27T21:00:00+07:00",
                 "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert _counts(collected)[0] == 0


def test_remind_deployment_runs_the_flow_each_morning_in_the_window() -> None:
    project = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    deployment = next(d for d in project["deployments"] if d["name"] == "remind")
    path, name = deployment["entrypoint"].split(":")
    module = path.removesuffix(".py").replace("/", ".")
    assert isinstance(getattr(importlib.import_module(module), name), Flow)
    (schedule,) = deployment["schedules"]
    assert schedule["timezone"] == "Asia/Ho_Chi_Minh"
    minute, hour, *_ = schedule["cron"].split()
    campaign = load_campaign(ROOT / deployment["parameters"]["config"])
    tz = campaign.tz
    assert in_window(dt.datetime(2025, 9, 27, int(hour), int(minute), tzinfo=tz), campaign)


@pytest.mark.parametrize(("now", "stage", "left"), [
    ("2025-09-22T08:00:00+07:00", None, "còn 8 ngày"),
    ("2025-09-23T08:00:00+07:00", -7, "còn 7 ngày"),
    ("2025-09-26T08:00:00+07:00", -7, "còn 4 ngày"),
    ("2025-09-27T08:00:00+07:00", -3, "còn 3 ngày"),
    ("2025-09-29T16:59:00+07:00", -1, "còn 1 ngày"),
    ("2025-09-29T23:30:00+00:00", 0, "hôm nay là hạn cuối"),  # 06:30 on the 30th in Vietnam
    ("2025-09-30T17:30:00+07:00", 0, "đã quá giờ hạn nộp hôm nay"),
    ("2025-10-01T08:00:00+07:00", 1, "đã quá hạn 1 ngày"),
    ("2025-10-02T08:00:00+07:00", 1, "đã quá hạn 2 ngày"),
    ("2025-10-20T08:00:00+07:00", 3, "đã quá hạn 20 ngày"),
])
def test_stage_is_the_most_recent_due_in_vietnam_calendar_days(now, stage, left) -> None:
    campaign = load_campaign(ROOT / "config" / "campaign.yaml")
    when = dt.datetime.fromisoformat(now)
    assert current_stage(campaign.reminders.stages, day_offset(when, campaign)) == stage
    assert time_left(when, campaign) == left


def test_window_is_local_time_start_included_end_excluded() -> None:
    campaign = load_campaign(ROOT / "config" / "campaign.yaml")
    vn = campaign.tz
    assert in_window(dt.datetime(2025, 9, 27, 7, 30, tzinfo=vn), campaign)
    assert not in_window(dt.datetime(2025, 9, 27, 17, 0, tzinfo=vn), campaign)
    assert not in_window(dt.datetime(2025, 9, 27, 7, 29, tzinfo=vn), campaign)
    assert in_window(dt.datetime(2025, 9, 27, 2, 0, tzinfo=dt.UTC), campaign)  # 09:00 in VN

"""The remind flow: nothing once the campaign has ended; else collect if the data is stale →
plan → send (at most once) → digest."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from typing import Any

from prefect import flow, get_run_logger

from flows.hooks import alert_coordinators, run_name
from flows.nightly import nightly
from tasks.remind import load_settings, plan_reminders, send_digest, send_reminders
from tasks.stale_runs import campaign_run
from ttcs.reminders import run_log


@flow(name="remind", description="Nhắc các đơn vị chưa nộp báo cáo theo từng mốc và gửi bản "
      "tổng hợp cho cán bộ điều phối.", flow_run_name=run_name,
      on_failure=[alert_coordinators], on_crashed=[alert_coordinators])
def remind(config: str | None = None, now: dt.datetime | None = None,
           dry_run: bool = False) -> dict[str, Any]:
    # A dry run only reads: it never waits for, nor blocks, a real run.
    with nullcontext() if dry_run else campaign_run(config, "remind"):
        return _remind(config, now, dry_run)


def _remind(config: str | None, now: dt.datetime | None, dry_run: bool) -> dict[str, Any]:
    log = get_run_logger()
    setup = load_settings(config, now or dt.datetime.now(dt.UTC))
    summary: dict[str, Any] = {"now": setup.now.isoformat(), "dry_run": dry_run,
                               "in_window": setup.in_window, "collected": False,
                               "ended": setup.ended}
    if setup.ended or (not dry_run and not setup.in_window):
        log.info(run_log.nothing_sent(setup.campaign, setup.ended))
        return summary | {"reminders": [], "digest": None}
    if not dry_run and setup.needs_collection:
        log.info("Dữ liệu của lượt thu thập gần nhất đã cũ: thu thập lại trước khi nhắc.")
        nightly(config, setup.now)
        summary["collected"] = True
    plan = plan_reminders(setup)
    log.info(run_log.planned(plan))
    summary |= {"run_id": plan.run_id, "stage": plan.stage,
                "no_contact": [unit.code for unit in plan.no_contact],
                "unconfirmed": [list(entry.key) for entry in plan.unconfirmed]}
    if dry_run:
        return summary | {"reminders": [r.public() for r in plan.reminders], "digest": None}
    outcomes = send_reminders(setup, plan)
    for line in run_log.sent(outcomes):
        log.info(line)
    digest = send_digest(setup, plan, outcomes)
    log.info(run_log.digest(digest))
    reminders = [o.reminder.public() | {"result": o.result, "error": o.error} for o in outcomes]
    return summary | {"reminders": reminders, "digest": digest}

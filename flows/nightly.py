"""The nightly flow: load config → list units → fetch → store → validate → classify → write
each commune's feedback tab (Google Sheets) → publish. Its log says, in Vietnamese, what each
step did; a failed or crashed run alerts the coordinators."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger
from prefect.utilities.annotations import quote

from flows.hooks import alert_coordinators, run_name
from tasks.nightly import (
    fetch_all,
    judge_and_classify,
    list_sources,
    start_run,
    write_feedback,
)
from tasks.publish import publish
from tasks.stale_runs import campaign_run
from ttcs.outputs import night_log
from ttcs.outputs.publish import SUMMARY_NAME
from ttcs.run.collect import locate


@flow(name="nightly", description="Thu thập, kiểm tra và phân loại báo cáo của các đơn vị.",
      flow_run_name=run_name, on_failure=[alert_coordinators], on_crashed=[alert_coordinators])
def nightly(config: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    log = get_run_logger()
    with campaign_run(config, "nightly"):
        run = start_run(config, now or dt.datetime.now(dt.UTC))
        to_read, unchanged = list_sources(run)
        log.info(night_log.listed(to_read, unchanged))
        fetched = fetch_all(run, to_read) if to_read else []  # a quiet night: no progress bar
        log.info(night_log.read(fetched))
        located, notes = locate(run.expected, unchanged + fetched,
                                run.backend.describe_missing())
        # quote(): the per-unit records go to the tasks as they are; Prefect would otherwise
        # walk all of them, twice per call, looking for futures (most of a night's overhead).
        rows = judge_and_classify(run, quote(located))
        log.info(night_log.statuses(rows))
        written = write_feedback(run, quote(located), quote(rows))
        log.info(night_log.feedback(written, run.campaign))
        document = publish(run, notes + written.notes())
        totals = document["totals"]
        log.info(night_log.outputs(run.campaign.output_dir, ["status.json", SUMMARY_NAME],
                                   totals["reported"], totals["expected"]))
        return document

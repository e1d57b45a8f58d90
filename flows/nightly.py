"""The nightly flow: load config → list units → fetch → store → validate → classify → write
each commune's feedback tab (Google Sheets) → publish."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow
from prefect.utilities.annotations import quote

from tasks.nightly import (
    fetch_all,
    judge_and_classify,
    list_sources,
    start_run,
    write_feedback,
)
from tasks.publish import publish
from ttcs.run.collect import locate
from ttcs.run.run_lock import campaign_lock


@flow(name="nightly", description="Thu thập, kiểm tra và phân loại báo cáo của các đơn vị.")
def nightly(config: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    with campaign_lock(config, "nightly"):
        run = start_run(config, now or dt.datetime.now(dt.UTC))
        to_read, unchanged = list_sources(run)
        fetched = fetch_all(run, to_read) if to_read else []  # a quiet night: no progress bar
        located, notes = locate(run.expected, unchanged + fetched,
                                run.backend.describe_missing())
        # quote(): the per-unit records go to the tasks as they are; Prefect would otherwise
        # walk all of them, twice per call, looking for futures (most of a night's overhead).
        rows = judge_and_classify(run, quote(located))
        written = write_feedback(run, quote(located), quote(rows))
        return publish(run, notes + written.notes())

"""The provision flow: plan from what Drive shows → create, lay out, share, adopt → contacts."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows.hooks import alert_coordinators, run_name
from tasks.provision import BATCH, apply_batch, plan, prepare
from ttcs.backends.provision import Outcome, summarize, summary_markdown


@flow(name="provision", description="Tạo (hoặc nhận) bảng tính Google cho từng đơn vị, đúng "
      "mẫu, chia sẻ đúng người, ghi vào danh bạ.", flow_run_name=run_name,
      on_failure=[alert_coordinators], on_crashed=[alert_coordinators])
def provision(config: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    setup = prepare(config)
    todo = plan(setup)
    if dry_run:
        return todo.public() | {"dry_run": True}
    outcomes: list[Outcome] = []
    for start in range(0, len(todo.steps), BATCH):
        outcomes += apply_batch(setup, todo.steps[start:start + BATCH])
    result = summarize(todo, outcomes)
    create_markdown_artifact(summary_markdown(result), key="provision-summary",
                             description="Kết quả cấp bảng tính cho các đơn vị")
    return result | {"dry_run": False}

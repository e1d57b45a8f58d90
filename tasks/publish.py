"""Publishing a run: status.json, the summary workbook and the Prefect artifacts."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from tasks.nightly import Run, retry_unless_final
from ttcs.outputs.attention import summary_markdown
from ttcs.outputs.publish import publish_outputs, publish_summary_sheet


@task(name="publish", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10,
      retry_condition_fn=retry_unless_final)
def publish(run: Run, notes: list[str]) -> dict[str, Any]:
    """The run's outputs; returns status.json's document (the flow's result crosses Prefect).

    The run is recorded finished last: a run killed before has no result anyone reads, and the
    next run marks it crashed and writes the outputs again."""
    run.store.note_run(run.run_id, notes)
    published = publish_outputs(run.store, run.campaign, run.run_id, run.form)
    publish_summary_sheet(run.backend, published.tabs)
    create_markdown_artifact(summary_markdown(published.result, published.attention),
                             key="nightly-summary", description="Tóm tắt tình hình báo cáo")
    create_table_artifact(
        published.attention or [{"Mã": "", "Đơn vị": "Không có đơn vị cần chú ý"}],
        key="units-needing-attention", description="Đơn vị cần chú ý")
    run.store.finish_run(run.run_id)
    return published.document

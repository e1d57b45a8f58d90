"""Publishing a run: status.json in the output folder and the Prefect artifacts."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from tasks.nightly import Run
from ttcs import status_doc
from ttcs.attention import attention_rows, summary_markdown


@task(name="publish", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10)
def publish(run: Run, notes: list[str]) -> dict[str, Any]:
    run.store.finish_run(run.run_id, notes)
    document = status_doc.build(run.store, run.campaign, run.run_id)
    status_doc.write(document, run.campaign.output_dir / "status.json")
    attention = attention_rows(run.store, document)
    create_markdown_artifact(summary_markdown(document, attention), key="nightly-summary",
                             description="Tóm tắt tình hình báo cáo")
    create_table_artifact(attention or [{"Mã": "", "Đơn vị": "Không có đơn vị cần chú ý"}],
                          key="units-needing-attention", description="Đơn vị cần chú ý")
    return document

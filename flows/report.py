"""The report flow: the latest run (or the run at ``as_of``) → the draft report (.docx) and
Phụ lục 01–03 (.xlsx) in the output folder. It reads the state database only, never the
communes' files, so it needs no run lock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow

from flows.hooks import alert_coordinators, report_run_name
from tasks.report import prepare_report, write_appendix_file, write_draft_file
from ttcs.report.draft import coverage_sentence, unanswered


@flow(name="report", description="Dự thảo báo cáo tổng kết (.docx) và Phụ lục 01–03 (.xlsx) "
      "từ lượt chạy mới nhất.", flow_run_name=report_run_name, on_failure=[alert_coordinators],
      on_crashed=[alert_coordinators])
def report(config: str | None = None, as_of: dt.datetime | None = None,
           out: str | None = None) -> dict[str, Any]:
    setup = prepare_report(config, as_of)
    draft = write_draft_file(setup, out)
    appendices = write_appendix_file(setup, out)
    result = setup.result
    return {"run_id": result.run_id, "as_of": result.local(result.as_of).isoformat(),
            "draft": str(draft), "appendices": str(appendices),
            "coverage": coverage_sentence(setup), "unanswered": unanswered(setup),
            "province_created": setup.province.created,
            "province_issues": setup.province.issue_lines()}

"""Tasks of the report flow: thin wrappers over ttcs.report (read one run, write the draft and
the Phụ lục workbook)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from tasks.nightly import read_secret
from ttcs.backends.select import backend_for
from ttcs.campaign.settings import load_campaign
from ttcs.google.secret_key import service_account_from_secret
from ttcs.report.build import load_report, write_appendices, write_report_draft
from ttcs.report.draft import ReportInput, coverage_sentence, unanswered
from ttcs.state.store import open_store


@task(name="load-report", cache_policy=NO_CACHE)
def prepare_report(config: str | None, as_of: dt.datetime | None) -> ReportInput:
    """The run and the province's answers: with Google Sheets, from the summary spreadsheet
    the nightly writes (its key from the file or the Secret block, as the nightly's)."""
    campaign = load_campaign(Path(config) if config else None)
    backend = backend_for(campaign, open_store(campaign.database),
                          service_account_from_secret(campaign, read_secret))
    return load_report(campaign, as_of, backend.summary_writer())


def _out(report: ReportInput, out: str | None) -> Path:
    return Path(out) if out else report.campaign.output_dir


@task(name="write-draft", cache_policy=NO_CACHE)
def write_draft_file(report: ReportInput, out: str | None) -> Path:
    path = write_report_draft(report, _out(report, out))
    missing = unanswered(report)
    province = [report.province.created or "", *report.province.issue_lines()]
    create_markdown_artifact(
        f"Dự thảo báo cáo: `{path}`\n\n{coverage_sentence(report)}\n\n"
        + (f"Mục Sở cần điền hoặc sửa: {', '.join(missing)}" if missing
           else "Sở đã điền đủ các mục.")
        + "".join(f"\n\n{line}" for line in province if line),
        key="report-draft", description="Dự thảo báo cáo tổng kết")
    return path


@task(name="write-appendices", cache_policy=NO_CACHE)
def write_appendix_file(report: ReportInput, out: str | None) -> Path:
    return write_appendices(report, _out(report, out))

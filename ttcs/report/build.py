"""The report of one run: read from the state database (never the communes' files), written
to the output folder as the draft (.docx) and the Phụ lục 01–03 workbook (.xlsx)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from ttcs.backends import SummarySheet
from ttcs.campaign.settings import Campaign
from ttcs.errors import UserError, os_reason
from ttcs.outputs import run_result
from ttcs.outputs.atomic import remove_leftovers
from ttcs.outputs.summary import summary_model
from ttcs.outputs.summary_xlsx import write_summary_xlsx
from ttcs.report.draft import DRAFT_NAME, ReportInput, write_draft
from ttcs.report.outline import load_outline, outline_path
from ttcs.report.province_answers import province_answers
from ttcs.state.store import open_store
from ttcs.workbook.form import load_form

APPENDIX_NAME = "phu-luc.xlsx"
APPENDIX_TAB_PREFIX = "Phụ lục"


def check_out_dir(out: Path) -> None:
    """The output folder exists (made if missing) and takes a file: checked by the CLI before
    the flow starts, so a mistyped --out is one line and exit 2, not a failed run."""
    if out.exists() and not out.is_dir():
        raise UserError(f"'{out}' là một tệp, không phải thư mục")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise UserError(f"không ghi được vào thư mục {out} ({os_reason(exc)})") from None


def find_run(campaign: Campaign, as_of: dt.datetime | None = None) -> int:
    """The latest finished run at or before ``as_of``, and the outline is readable: what the
    CLI checks before a Prefect server starts."""
    load_outline(outline_path(campaign.form))
    run_id = open_store(campaign.database).latest_run(as_of)
    if run_id is None:
        when = f" trước {as_of.isoformat()}" if as_of else ""
        raise UserError(f"chưa có lượt chạy nào{when}; hãy chạy 'ttcs nightly' trước")
    return run_id


def run_time(campaign: Campaign, as_of: dt.datetime | None = None) -> dt.datetime:
    """The as-of time of the run :func:`find_run` picks: given to the flow, it names the run
    and keeps the report on that run even if a nightly finishes meanwhile."""
    store = open_store(campaign.database)
    return store.run(find_run(campaign, as_of))["as_of"]


def load_report(campaign: Campaign, as_of: dt.datetime | None = None,
                summary: SummarySheet | None = None) -> ReportInput:
    """The run of :func:`find_run` and what the report adds to it: the outline beside the
    form, the province's own answers (the summary spreadsheet's tab when ``summary`` is given,
    else the file beside campaign.yaml; an empty one is created when missing)."""
    run_id = find_run(campaign, as_of)
    form = load_form(campaign.form)
    result = run_result.load(open_store(campaign.database), campaign, run_id, form)
    return ReportInput(campaign, result, form, load_outline(outline_path(campaign.form)),
                       province_answers(campaign, form, summary))


def write_appendices(report: ReportInput, out: Path) -> Path:
    """Phụ lục 01–03 of the summary workbook, alone, to attach to the report."""
    tabs = summary_model(report.campaign, report.form, report.result)
    appendices = [tab for tab in tabs if tab.name.startswith(APPENDIX_TAB_PREFIX)]
    out.mkdir(parents=True, exist_ok=True)
    return write_summary_xlsx(appendices, out / APPENDIX_NAME)


def write_report_draft(report: ReportInput, out: Path) -> Path:
    """The draft, after removing what a killed run left (the appendices are written next)."""
    remove_leftovers(out, (DRAFT_NAME, APPENDIX_NAME))  # what a killed report run left
    return write_draft(report, out / DRAFT_NAME)

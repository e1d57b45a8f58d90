"""A run's outputs: status.json and the province summary workbook, in the output folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ttcs import status_doc
from ttcs.attention import attention_rows, run_issues
from ttcs.backends import Backend
from ttcs.backends.gsheets import GsheetsBackend
from ttcs.campaign import Campaign
from ttcs.form import load_form
from ttcs.store import Store
from ttcs.summary import SummaryTab, summary_model
from ttcs.summary_sheets import write_summary_sheet
from ttcs.summary_xlsx import write_summary_xlsx

SUMMARY_NAME = "tong-hop.xlsx"


@dataclass
class Published:
    document: dict[str, Any]
    attention: list[dict[str, str]]
    status_path: Path
    summary_path: Path
    tabs: list[SummaryTab]


def publish_outputs(store: Store, campaign: Campaign, run_id: int) -> Published:
    figures = status_doc.consolidation(store, campaign, run_id)
    document = status_doc.build(store, campaign, run_id, figures)
    issues = run_issues(store, run_id)
    out = campaign.output_dir
    status_path = status_doc.write(document, out / "status.json")
    every_issue = [issue for code in sorted(issues) for issue in issues[code]]
    tabs = summary_model(campaign, load_form(campaign.form), document, figures, every_issue)
    summary_path = write_summary_xlsx(tabs, out / SUMMARY_NAME)
    return Published(document, attention_rows(document, issues), status_path, summary_path, tabs)


def publish_summary_sheet(backend: Backend, campaign: Campaign, tabs: list[SummaryTab]) -> bool:
    """Write the summary spreadsheet when the campaign has one on Google; False otherwise."""
    settings = campaign.backend.gsheets
    if not isinstance(backend, GsheetsBackend) or not settings:
        return False
    if not settings.summary_spreadsheet_id:
        return False
    write_summary_sheet(backend.client, settings.summary_spreadsheet_id, tabs)
    return True

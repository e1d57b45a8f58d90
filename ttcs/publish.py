"""A run's outputs: status.json and the province summary workbook, in the output folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ttcs import status_doc
from ttcs.attention import attention_rows, run_issues
from ttcs.campaign import Campaign
from ttcs.form import load_form
from ttcs.store import Store
from ttcs.summary import summary_model
from ttcs.summary_xlsx import write_summary_xlsx

SUMMARY_NAME = "tong-hop.xlsx"


@dataclass
class Published:
    document: dict[str, Any]
    attention: list[dict[str, str]]
    status_path: Path
    summary_path: Path


def publish_outputs(store: Store, campaign: Campaign, run_id: int) -> Published:
    figures = status_doc.consolidation(store, campaign, run_id)
    document = status_doc.build(store, campaign, run_id, figures)
    issues = run_issues(store, run_id)
    out = campaign.output_dir
    status_path = status_doc.write(document, out / "status.json")
    every_issue = [issue for code in sorted(issues) for issue in issues[code]]
    tabs = summary_model(campaign, load_form(campaign.form), document, figures, every_issue)
    summary_path = write_summary_xlsx(tabs, out / SUMMARY_NAME)
    return Published(document, attention_rows(document, issues), status_path, summary_path)

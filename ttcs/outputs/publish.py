"""A run's outputs: status.json and the province summary workbook, in the output folder.

Each file is written to a temporary file beside it, then renamed over it: a reader never sees
half a file. A run killed while writing leaves the temporary file; the next run removes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ttcs.backends import Backend
from ttcs.campaign.settings import Campaign
from ttcs.outputs import run_result, status_doc
from ttcs.outputs.attention import attention_rows, sheet_links
from ttcs.outputs.outputs_cache import write_summary_workbook
from ttcs.outputs.run_result import RunResult
from ttcs.outputs.summary import SummaryTab, summary_model
from ttcs.outputs.summary_sheets import write_summary_sheet
from ttcs.state.store import Store
from ttcs.workbook.form import Form, load_form

SUMMARY_NAME = "tong-hop.xlsx"
STATUS_NAME = "status.json"
# What a killed run may leave: status_doc.write's and the summary's (outputs_cache, summary_xlsx)
LEFTOVERS = ("status.tmp", f".{SUMMARY_NAME}.*.tmp")


@dataclass
class Published:
    result: RunResult
    document: dict[str, Any]  # status.json
    attention: list[dict[str, str]]
    status_path: Path
    summary_path: Path
    tabs: list[SummaryTab]


def publish_outputs(store: Store, campaign: Campaign, run_id: int,
                    form: Form | None = None) -> Published:
    """Read the run's result once and write every output of it (``form``: the run's)."""
    form = form or load_form(campaign.form)
    result = run_result.load(store, campaign, run_id, form)
    document = status_doc.document(result)
    out = campaign.output_dir
    remove_leftovers(out)
    status_path = status_doc.write(document, out / STATUS_NAME)
    tabs = summary_model(campaign, form, result)
    summary_path = write_summary_workbook(tabs, out / SUMMARY_NAME)  # time line alone if quiet
    links = sheet_links(store, run_id, campaign.backend.kind)
    return Published(result, document, attention_rows(result, links=links), status_path,
                     summary_path, tabs)


def remove_leftovers(out: Path) -> list[Path]:
    """Remove the temporary files a killed run left in the output folder ``out``; those
    removed. Only one nightly run at a time writes there (the campaign lock)."""
    found = [path for pattern in LEFTOVERS for path in out.glob(pattern)]
    for path in found:
        path.unlink(missing_ok=True)
    return found


def publish_summary_sheet(backend: Backend, tabs: list[SummaryTab]) -> bool:
    """Write the summary spreadsheet when the campaign has one on Google; False otherwise."""
    sheet = backend.summary_writer()
    if sheet is None:
        return False
    write_summary_sheet(sheet, tabs)
    return True

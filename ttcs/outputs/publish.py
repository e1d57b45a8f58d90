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
from ttcs.outputs.atomic import remove_leftovers
from ttcs.outputs.attention import attention_rows, sheet_links
from ttcs.outputs.outputs_cache import write_summary_workbook
from ttcs.outputs.run_result import RunResult
from ttcs.outputs.summary import SummaryTab, summary_model
from ttcs.outputs.summary_sheets import write_summary_sheet
from ttcs.state.store import Store
from ttcs.workbook.form import Form, load_form

SUMMARY_NAME = "tong-hop.xlsx"
STATUS_NAME = "status.json"
# The outputs whose temporary files a killed run may leave (the summary's digest stamp, a
# hidden ".tong-hop.xlsx.digest", leaves ".tong-hop.xlsx.digest.<pid>.tmp": the same pattern)
OUTPUTS = (STATUS_NAME, SUMMARY_NAME)


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
    remove_leftovers(out, OUTPUTS)
    status_path = status_doc.write(document, out / STATUS_NAME)
    tabs = summary_model(campaign, form, result)
    summary_path = write_summary_workbook(tabs, out / SUMMARY_NAME)  # time line alone if quiet
    links = sheet_links(store, run_id, campaign.backend.kind)
    return Published(result, document, attention_rows(result, links=links), status_path,
                     summary_path, tabs)


def publish_summary_sheet(backend: Backend, tabs: list[SummaryTab]) -> bool:
    """Write the summary spreadsheet when the campaign has one on Google; False otherwise."""
    sheet = backend.summary_writer()
    if sheet is None:
        return False
    write_summary_sheet(sheet, tabs)
    return True

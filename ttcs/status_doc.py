"""The status document (status.json): one run's standing of every unit, built from the store.

`ttcs nightly` writes it and `ttcs status --json` prints it; both call :func:`build`, so the
two are the same document.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

from ttcs import registry
from ttcs.campaign import Campaign
from ttcs.classify import FLAGS, STATUSES
from ttcs.consolidate import Consolidation, consolidate
from ttcs.form import load_form
from ttcs.store import Store


def _iso(when: dt.datetime | None, campaign: Campaign) -> str | None:
    return when.astimezone(campaign.tz).isoformat() if when else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def consolidation(store: Store, campaign: Campaign, run_id: int) -> Consolidation:
    """The province figures from the latest accepted submissions as of the run."""
    run = store.run(run_id)
    expected = [r.unit for r in store.unit_runs(run_id) if r.status != "excluded"]
    return consolidate(load_form(campaign.form), store.accepted_records(run["as_of"]), expected)


def build(store: Store, campaign: Campaign, run_id: int,
          figures: Consolidation | None = None) -> dict[str, Any]:
    run = store.run(run_id)
    figures = figures or consolidation(store, campaign, run_id)
    rows = store.unit_runs(run_id)
    summaries = store.verdict_summaries(r.verdict_id for r in rows if r.verdict_id)
    accepted = store.submissions_until(run["as_of"])
    units = []
    for row in rows:
        unit = registry.unit(row.unit)
        verdict = summaries.get(row.verdict_id or -1)
        first = accepted.get(row.unit, [(None, None)])[0][0]
        units.append({
            "code": unit.code,
            "name": unit.name,
            "type": unit.type,
            "status": row.status,
            "flags": row.flags,
            "errors": verdict["errors"] if verdict else 0,
            "warnings": verdict["warnings"] if verdict else 0,
            "last_modified": _iso(row.last_modified, campaign),
            "first_accepted": _iso(first, campaign),
            "reason": row.reason,
        })
    province = registry.find_province(run["province"])
    return {
        "campaign": campaign.title,
        "province": {"code": province.code, "name": province.name},
        "as_of": _iso(run["as_of"], campaign),
        "deadline": _iso(campaign.deadline, campaign),
        "deadline_note": campaign.deadline_note,  # a deadline written without a time
        "run_id": run_id,
        "units": units,
        "totals": totals(units, accepted, campaign.deadline) | {
            "figures": figures.indicators},
        # about files: several claiming a unit, other provinces, no unit code, dates out of
        # bounds (runs.notes)
        "notes": json.loads(run["notes"] or "[]"),
    }


def totals(units: list[dict[str, Any]], accepted: dict[str, list], deadline: dt.datetime,
           ) -> dict[str, Any]:
    expected = [u for u in units if u["status"] != "excluded"]
    by_status = Counter(u["status"] for u in units)
    by_flag = Counter(flag for u in units for flag in u["flags"])
    reported = [u for u in expected if accepted.get(u["code"])]
    on_time = [u for u in reported if accepted[u["code"]][0][0] <= deadline]
    return {
        "units": len(units),
        "expected": len(expected),
        "excluded": by_status["excluded"],
        "by_status": {status: by_status[status] for status in STATUSES},
        "by_flag": {flag: by_flag[flag] for flag in FLAGS},
        "reported": len(reported),
        "reporting_rate": _rate(len(reported), len(expected)),
        "on_time": len(on_time),
        "on_time_rate": _rate(len(on_time), len(expected)),
    }


def write(document: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)  # readers never see a half-written file
    return path

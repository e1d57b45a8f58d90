"""The status document (status.json): a run's result as JSON, the only place it becomes JSON.

`ttcs nightly` writes it and `ttcs status --json` prints it; both call :func:`document` on a
:class:`~ttcs.outputs.run_result.RunResult`, so the two are the same document.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ttcs.outputs.atomic import replacing
from ttcs.outputs.run_result import RunResult, Totals, UnitResult


def _iso(when: dt.datetime | None, result: RunResult) -> str | None:
    return result.local(when).isoformat() if when else None


def _unit(unit: UnitResult, result: RunResult) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "type": unit.type,
        "status": unit.status,
        "flags": list(unit.flags),
        "errors": unit.errors,
        "warnings": unit.warnings,
        "last_modified": _iso(unit.last_modified, result),
        "first_accepted": _iso(unit.first_accepted, result),
        "reason": unit.reason,
    }


def _totals(totals: Totals) -> dict[str, Any]:
    return {
        "units": totals.units,
        "expected": totals.expected,
        "excluded": totals.excluded,
        "by_status": dict(totals.by_status),
        "by_flag": dict(totals.by_flag),
        "reported": totals.reported,
        "reporting_rate": totals.reporting_rate,
        "on_time": totals.on_time,
        "on_time_rate": totals.on_time_rate,
    }


def document(result: RunResult) -> dict[str, Any]:
    return {
        "campaign": result.campaign_title,
        "province": {"code": result.province.code, "name": result.province.name},
        "as_of": _iso(result.as_of, result),
        "deadline": _iso(result.deadline, result),
        "deadline_note": result.deadline_note,
        "run_id": result.run_id,
        "units": [_unit(unit, result) for unit in result.units],
        "totals": _totals(result.totals) | {"figures": result.figures.indicators},
        "notes": list(result.notes),
    }


def write(doc: dict[str, Any], path: Path) -> Path:
    with replacing(path) as temporary:  # readers never see a half-written file
        temporary.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n",
                             encoding="utf-8")
    return path

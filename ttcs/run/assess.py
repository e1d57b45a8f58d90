"""Judging a run's units: verdicts per snapshot (cached by form version), then statuses, flags
and accepted submissions at the run's as-of time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ttcs.run.classify import Standing, flags
from ttcs.run.collect import Located
from ttcs.state.store import Store, UnitRun, content_hash
from ttcs.workbook.form import Form
from ttcs.workbook.parse import Parsed
from ttcs.workbook.validate import CheckFailed, validate_raw


@dataclass
class Judged:
    """A run's verdicts (unit -> verdict id) and the units whose workbook could not be checked
    (unit -> one-line reason): those are unreachable tonight, with nothing stored for them, so
    the next run checks them again."""

    verdicts: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


@cache
def _form_hash(form_json: str) -> str:
    return content_hash(form_json)


def form_hash(form: Form) -> str:
    return _form_hash(form.model_dump_json())


def record(parsed: Parsed) -> dict[str, Any]:
    """The parsed values kept with a verdict, for consolidation."""
    return {
        "tables": {table: [{"key": r.key, "period": r.period,
                            "values": {f: v.value for f, v in r.values.items()}} for r in rows]
                   for table, rows in parsed.tables.items()},
        "items": {f: v.value for f, v in parsed.items.items()},
        "sections": {s: v.value for s, v in parsed.sections.items()},
    }


def judge(store: Store, form: Form, located: Iterable[Located]) -> Judged:
    """Each unit's verdict, validating only snapshots not yet judged under this form; a unit
    whose checks fail costs only its own verdict."""
    digest = form_hash(form)
    with_snapshot = [item for item in located if item.snapshot_id]
    known = store.verdict_ids((item.snapshot_id for item in with_snapshot), digest)
    judged = Judged()
    for item in with_snapshot:
        assert item.snapshot_id is not None
        if item.snapshot_id not in known:
            try:
                verdict = validate_raw(form, store.snapshot_raw(item.snapshot_id), item.unit)
            except CheckFailed as exc:
                judged.failed[item.unit] = str(exc)
                continue
            with store.begin() as conn:
                known[item.snapshot_id] = store.put_verdict(
                    conn, item.snapshot_id, digest, verdict.status, verdict.issues,
                    record(verdict.parsed))
        judged.verdicts[item.unit] = known[item.snapshot_id]
    return judged


def classify_run(store: Store, run_id: int, as_of: dt.datetime, deadline: dt.datetime,
                 located: Sequence[Located], judged: Judged,
                 excluded: Iterable[str]) -> list[UnitRun]:
    """Record accepted submissions seen now, then every unit's status and flags."""
    verdicts = judged.verdicts
    summaries = store.verdict_summaries(verdicts.values())
    with store.begin() as conn:
        for item in located:
            verdict = summaries.get(verdicts.get(item.unit, -1))
            if verdict and verdict["status"] == "submitted" and item.modified:
                store.accept(conn, item.unit, verdict["id"], item.modified, run_id)
    accepted = store.submissions_until(as_of)
    rows = []
    for item in located:
        verdict = summaries.get(verdicts.get(item.unit, -1))
        reason = item.reason or judged.failed.get(item.unit)
        if reason or verdict is None:
            standing = Standing("unreachable", False, 0, bool(item.conflicts))
        else:
            standing = Standing(verdict["status"], bool(verdict["inconsistent"]),
                                verdict["warnings"], bool(item.conflicts))
        times = [when for when, _ in accepted.get(item.unit, [])]
        rows.append(UnitRun(item.unit, standing.status, flags(standing, times, deadline, as_of),
                            verdict["id"] if verdict else None, item.modified, reason))
    rows += [UnitRun(code, "excluded", [], None, None, None) for code in excluded]
    with store.begin() as conn:
        store.put_unit_runs(conn, run_id, rows)
    return rows

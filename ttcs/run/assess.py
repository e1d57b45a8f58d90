"""Judging a run's units: verdicts per snapshot (cached by form version), then statuses, flags
and accepted submissions at the run's as-of time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ttcs.run import cross_checks
from ttcs.run.classify import Standing, flags
from ttcs.run.collect import Located
from ttcs.state.store import Store, UnitRun, content_hash
from ttcs.workbook.form import Form
from ttcs.workbook.parse import Parsed, Value
from ttcs.workbook.validate import CheckFailed, validate_raw


@dataclass
class Judged:
    """A run's verdicts under ``form`` (unit -> verdict id) and the units whose workbook could
    not be checked (unit -> one-line reason): those are unreachable tonight, with nothing
    stored for them, so the next run checks them again."""

    form: Form
    verdicts: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


@cache
def _form_hash(form_json: str) -> str:
    return content_hash(form_json)


def form_hash(form: Form) -> str:
    return _form_hash(form.model_dump_json())


def _cells(values: Mapping[str, Value]) -> dict[str, list[str]]:
    return {f: [v.sheet, v.cell] for f, v in values.items()}


def record(parsed: Parsed) -> dict[str, Any]:
    """The parsed values kept with a verdict, for consolidation and the night's review, with
    the sheet and cell each was read from."""
    return {
        "tables": {table: [{"key": r.key, "period": r.period,
                            "values": {f: v.value for f, v in r.values.items()},
                            "cells": _cells(r.values)} for r in rows]
                   for table, rows in parsed.tables.items()},
        "items": {f: v.value for f, v in parsed.items.items()},
        "item_cells": _cells(parsed.items),
        "sections": {s: v.value for s, v in parsed.sections.items()},
        "section_cells": _cells(parsed.sections),
    }


def judge(store: Store, form: Form, located: Iterable[Located]) -> Judged:
    """Each unit's verdict, validating only snapshots not yet judged under this form; a unit
    whose checks fail costs only its own verdict."""
    digest = form_hash(form)
    with_snapshot = [item for item in located if item.snapshot_id]
    known = store.verdict_ids((item.snapshot_id for item in with_snapshot), digest)
    judged = Judged(form)
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
    """Record accepted submissions seen now, review every unit against its own record and the
    others' accepted submissions, then every unit's status and flags."""
    summaries = store.verdict_summaries(judged.verdicts.values())
    with store.begin() as conn:
        for item in located:
            verdict = summaries.get(judged.verdicts.get(item.unit, -1))
            if verdict and verdict["status"] == "submitted" and item.modified:
                store.accept(conn, item.unit, verdict["id"], item.modified, run_id)
    accepted = store.submissions_until(as_of)
    verdicts = reviewed(store, judged, accepted, set(excluded))
    summaries = store.verdict_summaries(verdicts.values())
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


def reviewed(store: Store, judged: Judged, accepted: Mapping[str, list[tuple[Any, int]]],
             excluded: set[str]) -> dict[str, int]:
    """Each unit's verdict for the run: its own, or, when the night's review
    (:func:`ttcs.run.cross_checks.review`) warns about it, the same verdict with those warnings
    added, stored apart under the form's hash and the warnings (a verdict of the file in the
    province's context: the file's own verdict stays as it is, and a unit whose file did not
    change still gets, or loses, the warnings that depend on the others)."""
    latest = {unit: seen[-1][1] for unit, seen in accepted.items() if unit not in excluded}
    records = store.verdict_records(set(judged.verdicts.values()) | set(latest.values()))
    found = cross_checks.review(
        judged.form, {unit: records[v] for unit, v in judged.verdicts.items()},
        {unit: records[v] for unit, v in latest.items()})
    out = dict(judged.verdicts)
    if not found:
        return out
    own = store.verdict_issues(judged.verdicts[unit] for unit in found if unit in out)
    summaries = store.verdict_summaries(own)
    digest = form_hash(judged.form)
    for unit, extra in found.items():
        if unit not in out:
            continue  # no verdict tonight (unreachable): nothing to add to
        base = summaries[out[unit]]
        key = content_hash({"form": digest, "review": [i.to_dict() for i in extra]})
        known = store.verdict_ids([base["snapshot_id"]], key)
        if base["snapshot_id"] not in known:
            with store.begin() as conn:
                known[base["snapshot_id"]] = store.put_verdict(
                    conn, base["snapshot_id"], key, base["status"], own[out[unit]] + extra,
                    records[out[unit]])
        out[unit] = known[base["snapshot_id"]]
    return out

"""One run's result, typed: every unit's standing, the run's issues and the province figures.

Read once from the store after a run (:func:`load`) and handed to every output: status.json
(:mod:`ttcs.outputs.status_doc`, the only place it becomes JSON), the summary workbook and
sheet, the Prefect artifacts and the CLI. Times are aware datetimes; figures come from
:mod:`ttcs.outputs.consolidate` with their coverage (units reported out of units expected).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from ttcs.campaign import registry
from ttcs.campaign.settings import Campaign
from ttcs.outputs.consolidate import Consolidation, consolidate
from ttcs.run.classify import FLAGS, STATUSES
from ttcs.state.store import Store
from ttcs.workbook.form import Form, load_form
from ttcs.workbook.issues import Issue


@dataclass(frozen=True)
class UnitResult:
    """A unit's row of the run."""

    code: str
    name: str
    type: str
    status: str
    flags: tuple[str, ...]
    errors: int
    warnings: int
    last_modified: dt.datetime | None
    first_accepted: dt.datetime | None  # the first accepted submission, if any
    reason: str | None  # why it is unreachable

    @property
    def expected(self) -> bool:
        return self.status != "excluded"


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class Totals:
    units: int
    expected: int
    by_status: Mapping[str, int]  # every status, in STATUSES order
    by_flag: Mapping[str, int]  # every flag, in FLAGS order
    reported: int  # expected units with an accepted submission
    on_time: int  # ... accepted by the deadline

    @property
    def excluded(self) -> int:
        return self.by_status["excluded"]

    @property
    def reporting_rate(self) -> float | None:
        return _rate(self.reported, self.expected)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.expected)


def totals(units: tuple[UnitResult, ...], deadline: dt.datetime) -> Totals:
    expected = [u for u in units if u.expected]
    by_status = Counter(u.status for u in units)
    by_flag = Counter(flag for u in units for flag in u.flags)
    reported = [u for u in expected if u.first_accepted is not None]
    return Totals(
        units=len(units), expected=len(expected),
        by_status={status: by_status[status] for status in STATUSES},
        by_flag={flag: by_flag[flag] for flag in FLAGS},
        reported=len(reported),
        on_time=sum(u.first_accepted <= deadline for u in reported),  # type: ignore[operator]
    )


@dataclass(frozen=True)
class RunResult:
    run_id: int
    campaign_title: str
    province: registry.Province
    as_of: dt.datetime
    deadline: dt.datetime
    deadline_note: str | None  # a deadline written without a time
    tz: dt.tzinfo  # the campaign's: how every time is shown
    units: tuple[UnitResult, ...]
    issues: tuple[Issue, ...]  # of every unit's current verdict, by unit code
    figures: Consolidation
    # about files: several claiming a unit, other provinces, no unit code, dates out of bounds
    notes: tuple[str, ...] = ()

    @cached_property
    def totals(self) -> Totals:
        return totals(self.units, self.deadline)

    def issues_by_unit(self) -> dict[str, list[Issue]]:
        out: dict[str, list[Issue]] = {}
        for issue in self.issues:
            out.setdefault(issue.unit or "", []).append(issue)
        return out

    def local(self, when: dt.datetime) -> dt.datetime:
        return when.astimezone(self.tz)


def load(store: Store, campaign: Campaign, run_id: int, form: Form | None = None) -> RunResult:
    """The result of run ``run_id``, read from the store in one pass (``form``: the run's, or
    loaded from the campaign)."""
    run = store.run(run_id)
    rows = store.unit_runs(run_id)
    verdict_ids = [r.verdict_id for r in rows if r.verdict_id]
    summaries = store.verdict_summaries(verdict_ids)
    found = store.verdict_issues(verdict_ids)
    accepted = store.submissions_until(run["as_of"])
    units = []
    for row in rows:
        unit = registry.unit(row.unit)
        verdict = summaries.get(row.verdict_id or -1)
        first = accepted[row.unit][0][0] if accepted.get(row.unit) else None
        units.append(UnitResult(
            unit.code, unit.name, unit.type, row.status, tuple(row.flags),
            verdict["errors"] if verdict else 0, verdict["warnings"] if verdict else 0,
            row.last_modified, first, row.reason))
    expected = [u.code for u in units if u.expected]
    latest = {code: seen[-1][1] for code, seen in accepted.items()}
    records = store.verdict_records(latest.values())
    figures = consolidate(form or load_form(campaign.form),
                          {code: records[verdict] for code, verdict in latest.items()}, expected)
    return RunResult(
        run_id=run_id, campaign_title=campaign.title,
        province=registry.find_province(run["province"]),
        as_of=run["as_of"], deadline=campaign.deadline, deadline_note=campaign.deadline_note,
        tz=campaign.tz, units=tuple(units),
        issues=tuple(issue for row in rows if row.verdict_id for issue in found[row.verdict_id]),
        figures=figures, notes=tuple(json.loads(run["notes"] or "[]")))

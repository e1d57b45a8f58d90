"""Each unit's status and flags at a run's as-of time (docs/design.md §4).

- status follows the sheet as it is now; ``unreachable`` when it could not be read;
- an accepted submission is a state seen marked complete with no errors, timed by the sheet's
  modification time when it was seen; the first one decides timeliness, the latest one is
  what consolidation uses;
- ``late``: past the deadline with no submission accepted by the deadline (it stays on a
  unit that submitted afterwards, next to ``submitted_late``);
- ``changed_after_submit``: accepted before, and the sheet is no longer complete and valid;
- ``conflict``: several sources claim the unit; one is used (see :mod:`ttcs.run.collect`), the
  others wait for the coordinator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

FLAGS = ("late", "submitted_late", "inconsistent", "warnings", "changed_after_submit",
         "conflict")
STATUSES = ("not_started", "in_progress", "submitted", "needs_fix", "unreachable", "excluded")


@dataclass(frozen=True)
class Standing:
    status: str
    inconsistent: bool  # errors of kind invalid or contradiction
    warnings: int
    conflict: bool = False  # other sources claim the unit


def flags(standing: Standing, accepted: Sequence[dt.datetime], deadline: dt.datetime,
          as_of: dt.datetime) -> list[str]:
    """Sorted flags of one unit; ``accepted`` are its acceptance times seen so far."""
    found: set[str] = set()
    first = min(accepted, default=None)
    if as_of > deadline and (first is None or first > deadline):
        found.add("late")
    if first is not None and first > deadline:
        found.add("submitted_late")
    if standing.inconsistent:
        found.add("inconsistent")
    if standing.warnings:
        found.add("warnings")
    if first is not None and standing.status not in ("submitted", "unreachable"):
        found.add("changed_after_submit")
    if standing.conflict:
        found.add("conflict")
    return sorted(found)

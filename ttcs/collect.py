"""Collecting: list sources, read only what changed, store every raw response before parsing.

Plain functions over a backend and the store; the Prefect tasks in tasks/ call them in
batches and add retries and timeouts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ttcs.backends import Backend, FetchError, Source
from ttcs.form import Form
from ttcs.parse import find_unit_code
from ttcs.store import SourceState, Store


@dataclass(frozen=True)
class Fetched:
    """One source after this run's look: read now, unchanged since last time, or failed."""

    source: Source
    unit: str | None
    snapshot_id: int | None
    reason: str | None = None  # why it could not be read
    read_now: bool = False


@dataclass(frozen=True)
class Located:
    """What the run knows of one unit's sheet."""

    unit: str
    snapshot_id: int | None
    modified: dt.datetime | None
    reason: str | None  # set when the unit is unreachable
    read_now: bool = False


def plan(sources: Sequence[Source], known: dict[str, SourceState]) -> tuple[list[Source],
                                                                            list[Fetched]]:
    """Split sources into those to read and those unchanged since their stored snapshot.

    A source read before keeps the unit it belonged to as a hint, so that a read that fails
    tonight still says which unit is unreachable. A sheet whose only change since then is our
    own feedback tab (its time is the one recorded right after our write) is unchanged, and
    keeps the time of the commune's last change: our write is never the commune's.
    """
    to_read: list[Source] = []
    unchanged: list[Fetched] = []
    for source in sources:
        state = known.get(source.locator)
        if (state and state.snapshot_id and state.unit and source.modified
                and source.modified in (state.modified, state.feedback_modified)):
            unchanged.append(Fetched(replace(source, modified=state.modified), state.unit,
                                     state.snapshot_id))
        elif state and state.unit and not source.unit_hint:
            to_read.append(replace(source, unit_hint=state.unit))
        else:
            to_read.append(source)
    return to_read, unchanged


def fetch_batch(backend: Backend, store: Store, form: Form, run_id: int,
                batch: Sequence[Source]) -> list[Fetched]:
    """Read a batch of sources; each raw response is stored before anything parses it."""
    results: list[Fetched] = []
    for source in batch:
        try:
            raw = backend.fetch(source)
        except FetchError as exc:
            results.append(Fetched(source, source.unit_hint, None, reason=str(exc)))
            continue
        unit = find_unit_code(form, raw) or source.unit_hint
        with store.begin() as conn:
            snapshot_id = store.put_snapshot(conn, run_id, unit, source.locator,
                                             source.modified, raw)
        results.append(Fetched(source, unit, snapshot_id, read_now=True))
    return results


def locate(expected: Iterable[str], fetched: Sequence[Fetched], missing_reason: str,
           ) -> tuple[dict[str, Located], list[str]]:
    """Each expected unit's sheet for this run, plus notes for the coordinator.

    Two readable sources claiming one unit: the most recently modified wins and the other is
    noted. A source whose unit cannot be told, or that belongs to another province, is noted.
    """
    expected = set(expected)
    notes: list[str] = []
    by_unit: dict[str, list[Fetched]] = {}
    for item in fetched:
        if item.unit is None:
            notes.append(f"Không xác định được đơn vị của {item.source.locator}: "
                         f"{item.reason or 'không thấy mã đơn vị trong bảng tính'}")
        elif item.unit not in expected:
            notes.append(f"{item.source.locator} ghi mã {item.unit}, không thuộc danh sách "
                         "đơn vị phải báo cáo")
        else:
            by_unit.setdefault(item.unit, []).append(item)
    located: dict[str, Located] = {}
    for unit in sorted(expected):
        items = by_unit.get(unit, [])
        readable = sorted((i for i in items if i.snapshot_id), key=_newest, reverse=True)
        if readable:
            best = readable[0]
            for other in readable[1:]:
                notes.append(f"Đơn vị {unit} có nhiều tệp; dùng {best.source.locator}, bỏ qua "
                             f"{other.source.locator}")
            located[unit] = Located(unit, best.snapshot_id, best.source.modified, None,
                                    best.read_now)
        elif items:
            failed = items[0]
            located[unit] = Located(unit, None, failed.source.modified, failed.reason)
        else:
            located[unit] = Located(unit, None, None, missing_reason)
    return located, notes


def _newest(item: Fetched) -> dt.datetime:
    return item.source.modified or dt.datetime.min.replace(tzinfo=dt.UTC)

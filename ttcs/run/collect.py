"""Collecting: list sources, read only what changed, store every raw response before parsing.

Plain functions over a backend and the store; the Prefect tasks in tasks/ call them in
batches and add retries and timeouts.

Which source a unit uses is never decided by a file's own date: when several sources claim a
unit, the one holding its accepted submission stays in use, else the one in use last run,
else the one seen first; the others are a conflict (a flag on the unit and a note) until the
coordinator removes them. A version's time is kept between the last run that had not seen it
and the first run that did, so a back-dated or future-dated file cannot change timeliness.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path, PurePath
from zoneinfo import ZoneInfo

from ttcs.backends import Backend, FetchError, Source
from ttcs.state.store import Sighting, SourceState, Store
from ttcs.workbook.form import Form
from ttcs.workbook.parse import find_unit_code

# Times in notes are Vietnam's (every campaign is); status.json keeps exact ISO times.
_NOTE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_ABSOLUTE_PATH = re.compile(r"(?:[A-Za-z]:)?[\\/][^\s'\"]*[\\/]([^\s'\"\\/]+)")
_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Fetched:
    """One source after this run's look: read now, unchanged since last time, or failed.

    ``source.modified`` is the time counted for the version (see :class:`Sighting`).
    """

    source: Source
    unit: str | None
    snapshot_id: int | None
    reason: str | None = None  # why it could not be read
    read_now: bool = False
    first_seen: dt.datetime | None = None
    accepted: bool = False  # holds the unit's latest accepted submission
    in_use: bool = False  # the unit's verdict came from it in the latest run
    note: str | None = None  # for the coordinator, e.g. a date out of bounds


@dataclass(frozen=True)
class Located:
    """What the run knows of one unit's sheet."""

    unit: str
    snapshot_id: int | None
    modified: dt.datetime | None
    reason: str | None  # set when the unit is unreachable
    read_now: bool = False
    conflicts: tuple[str, ...] = ()  # other sources claiming the unit, not used


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
            counted = state.sighting.dated or state.modified
            unchanged.append(Fetched(replace(source, modified=counted), state.unit,
                                     state.snapshot_id, first_seen=state.sighting.first_seen,
                                     accepted=state.accepted, in_use=state.in_use))
        elif state and state.unit and not source.unit_hint:
            to_read.append(replace(source, unit_hint=state.unit))
        else:
            to_read.append(source)
    return to_read, unchanged


def sighting(source: Source, state: SourceState | None, as_of: dt.datetime,
             run_before: Callable[[dt.datetime], dt.datetime | None]) -> Sighting:
    """When this version of the source was first seen, and the time counted for it.

    A version listed before (with a read that failed, say) keeps the run that first saw it.
    Its time is never later than that run (a future date), nor earlier than the last finished
    run before it, which had not seen it (a back-dated file); with no date at all it is the
    run that first saw it.
    """
    known = state.sighting if state else Sighting(None, None, None)
    same_version = state is not None and state.modified == source.modified
    seen_at = known.seen_at if same_version and known.seen_at else as_of
    dated = min(source.modified or seen_at, seen_at)
    previous = run_before(seen_at)
    if previous is not None:
        dated = max(dated, previous)
    return Sighting(known.first_seen or as_of, seen_at, dated)


def fetch_batch(backend: Backend, store: Store, form: Form, run_id: int,
                batch: Sequence[Source]) -> list[Fetched]:
    """Read a batch of sources; each raw response is stored before anything parses it.

    Whatever one source does — an error of any kind while reading it or finding its unit —
    makes that source unreadable with a one-line reason; the others are read.
    """
    known = store.sources()
    as_of = store.run(run_id)["as_of"]
    run_before = cache(store.run_before)
    return [_fetch_one(backend, store, form, run_id, source, known.get(source.locator),
                       sighting(source, known.get(source.locator), as_of, run_before))
            for source in batch]


def _fetch_one(backend: Backend, store: Store, form: Form, run_id: int, source: Source,
               state: SourceState | None, seen: Sighting) -> Fetched:
    counted = replace(source, modified=seen.dated)
    common = {"first_seen": seen.first_seen, "accepted": bool(state and state.accepted),
              "in_use": bool(state and state.in_use), "note": _date_note(source, seen)}
    try:
        raw = backend.fetch(source)
    except Exception as exc:  # any failure is this source's alone
        reason = str(exc) if isinstance(exc, FetchError) else unexpected(exc, source.locator)
        with store.begin() as conn:  # remembered, so a later read keeps when it was seen
            store.remember_source(conn, source.locator, source.modified,
                                  source.unit_hint or (state.unit if state else None), None, seen)
        return Fetched(counted, source.unit_hint, None, reason=reason, **common)
    try:
        unit, reason = find_unit_code(form, raw) or source.unit_hint, None
    except Exception as exc:  # kept without a unit, so that it is read again next run
        unit, reason = None, unexpected(exc, source.locator)
    with store.begin() as conn:
        snapshot_id = store.put_snapshot(conn, run_id, unit, source.locator, source.modified,
                                         raw, seen)
    if reason:
        return Fetched(counted, source.unit_hint, None, reason=reason, **common)
    if state and state.unit != unit:  # its marks were earned for the unit it claimed before
        common |= {"accepted": False, "in_use": False}
    return Fetched(counted, unit, snapshot_id, read_now=True, **common)


def unexpected(exc: BaseException, locator: str) -> str:
    """An unexpected error as one Vietnamese line: its type and message, with the source's
    folder left out and any other absolute path cut to its last part."""
    lines = str(exc).strip().splitlines()
    message = lines[0] if lines else ""
    folder = PurePath(locator).parent
    if str(folder) != ".":
        for prefix in {str(folder), str(Path(folder).resolve())}:
            message = message.replace(prefix + os.sep, "")
    message = _ABSOLUTE_PATH.sub(r"\1", message)[:300]
    return f"lỗi bất ngờ khi đọc ({type(exc).__name__}{': ' + message if message else ''})"


def _date_note(source: Source, seen: Sighting) -> str | None:
    if source.modified is None or seen.dated == source.modified:
        return None
    late = seen.seen_at is not None and source.modified > seen.seen_at
    when = "sau lúc được đọc" if late else "trước lượt chạy gần nhất chưa thấy tệp"
    return (f"{_name(source.locator)}: ngày sửa ghi trên tệp {_vi_time(source.modified)} "
            f"là {when}; tính là {_vi_time(seen.dated)}")


def _vi_time(when: dt.datetime | None) -> str:
    return when.astimezone(_NOTE_TZ).strftime("%d/%m/%Y %H:%M") if when else "—"


def _name(locator: str) -> str:
    """A file's name (a spreadsheet id stays as it is)."""
    return PurePath(locator).name or locator


def locate(expected: Iterable[str], fetched: Sequence[Fetched], missing_reason: str,
           ) -> tuple[dict[str, Located], list[str]]:
    """Each expected unit's sheet for this run, plus notes for the coordinator.

    Several sources claiming one unit: one is used (see the module's docstring) and the unit
    carries the others as conflicts, noted. A source whose unit cannot be told, that belongs
    to another province, or whose date was out of bounds, is noted.
    """
    expected = set(expected)
    notes = [item.note for item in fetched if item.note]
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
        items = sorted(by_unit.get(unit, []), key=_precedence)
        if not items:
            located[unit] = Located(unit, None, None, missing_reason)
            continue
        used, others = items[0], items[1:]
        if others:
            notes.append(_conflict_note(unit, used, others))
        located[unit] = Located(unit, used.snapshot_id, used.source.modified, used.reason,
                                used.read_now, tuple(o.source.locator for o in others))
    return located, notes


def _precedence(item: Fetched) -> tuple:
    """Accepted source, then the one in use, then the first seen: never the file's own date."""
    return (not item.accepted, not item.in_use, item.first_seen or _NEVER,
            item.snapshot_id is None, item.source.locator)


def _conflict_note(unit: str, used: Fetched, others: Sequence[Fetched]) -> str:
    why = ("giữ bản đã nộp hợp lệ" if used.accepted else
           "tệp đang dùng từ lượt trước" if used.in_use else "tệp có trước")
    ignored = ", ".join(o.source.locator for o in others)
    return (f"Đơn vị {unit} có {1 + len(others)} tệp cùng ghi mã đơn vị: dùng "
            f"{used.source.locator} ({why}), không dùng {ignored}. Hãy xóa hoặc chuyển khỏi "
            "thư mục tệp không đúng; tệp còn lại sẽ được dùng từ lượt chạy sau")

"""The reminder log: each (unit, stage, channel) is sent at most once.

A send is three steps, each its own transaction: *reserve* the row (the unique constraint on
``(unit, stage, channel)`` lets exactly one run win, even two runs at the same moment), send,
then mark the row ``sent``, ``failed`` or ``unconfirmed``. A ``failed`` row (nothing went out)
may be reserved again by a later run (a conditional update, so again only one run wins). A row
``unconfirmed`` (the connection was lost after the whole message was sent, before the server
answered) or left ``reserved`` (the run stopped between reserving and confirming) may have gone
out: it is never sent again and the coordinators' digest reports it, until a coordinator who
checked with the unit resolves it (:meth:`ReminderLog.resolve`: ``sent``, or ``failed`` so that a
run retries it). A ``sent`` row's ``error`` holds the copies the server refused, if any, or the
resolution.

The table is defined with the others in :mod:`ttcs.state.store`, so
:func:`ttcs.state.store.open_store` creates it. A :class:`Reminder` (one planned message) is
defined here, below the planning in :mod:`ttcs.reminders.remind`, so the log never imports the
planner.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ttcs.state.store import Store, reminder_log
from ttcs.workbook.issues import Issue

RESERVED, SENT, FAILED, UNCONFIRMED = "reserved", "sent", "failed", "unconfirmed"
MAY_HAVE_GONE = (RESERVED, UNCONFIRMED)  # never sent again, listed in every digest
RESOLUTIONS = {"sent": SENT, "retry": FAILED}  # `ttcs remind --resolve … --as …`

Key = tuple[str, int, str]  # (unit, stage, channel)


@dataclass(frozen=True)
class Reminder:
    unit: str
    unit_name: str
    stage: int
    channel: str  # email | apprise
    to: list[str]  # as shown (an apprise URL is masked)
    cc: list[str]
    subject: str
    text: str
    html: str
    number: int  # this is the unit's n-th reminder
    target: str  # where it really goes: the address, or the apprise URL
    retry: bool = False  # an earlier attempt at this (unit, stage, channel) failed
    attachment: str | None = None  # the file name of the issues workbook (e-mail only)
    issues: tuple[Issue, ...] = ()  # what the attachment lists

    @property
    def key(self) -> Key:
        return (self.unit, self.stage, self.channel)

    def public(self) -> dict[str, Any]:
        """The `ttcs remind --json` object."""
        return {"unit": self.unit, "stage": self.stage, "channel": self.channel,
                "to": list(self.to), "cc": list(self.cc), "subject": self.subject,
                "text": self.text}


@dataclass(frozen=True)
class Entry:
    """One row of the log (or, for dry runs and the demo, one kept in memory)."""

    unit: str
    stage: int
    channel: str
    status: str
    attempts: int = 1
    error: str | None = None
    planned_at: dt.datetime | None = None
    reserved_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    recipients: dict[str, list[str]] | None = None
    subject: str = ""
    id: int | None = None

    @property
    def key(self) -> Key:
        return (self.unit, self.stage, self.channel)

    @property
    def may_have_gone(self) -> bool:
        return self.status in MAY_HAVE_GONE


@dataclass(frozen=True)
class Outcome:
    """What happened to one planned reminder in this run."""

    reminder: Reminder
    result: str  # sent | failed | taken (another run reserved it) | unconfirmed
    error: str | None = None  # why (failed, unconfirmed) or the refused copies (sent)


class SendError(Exception):
    """A message that was not delivered; the text says why (for the log and the digest)."""


class Unconfirmed(Exception):
    """A message that may have been delivered: the whole of it was sent but no answer came."""


class ReminderLog:
    """The log table of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def entries(self) -> dict[Key, Entry]:
        with self.store.begin() as conn:
            rows = conn.execute(select(reminder_log).order_by(reminder_log.c.id))
            return {(r.unit, r.stage, r.channel): _entry(r) for r in rows}

    def reserve(self, reminder: Reminder, planned_at: dt.datetime,
                collection_run: int | None = None) -> int | None:
        """Claim the right to send ``reminder``; the row id, or None when another run has it.

        A new key is inserted (the unique constraint decides between concurrent runs); a key
        whose last attempt failed is taken back by a conditional update. Rows that are sent or
        reserved are never taken.
        """
        values = {
            "recipients": json.dumps({"to": reminder.to, "cc": reminder.cc}, ensure_ascii=False),
            "subject": reminder.subject, "error": None, "planned_at": planned_at,
            "reserved_at": dt.datetime.now(dt.UTC), "finished_at": None,
            "collection_run": collection_run, "status": RESERVED,
        }
        where = (reminder_log.c.unit == reminder.unit, reminder_log.c.stage == reminder.stage,
                 reminder_log.c.channel == reminder.channel)
        try:
            with self.store.begin() as conn:
                result = conn.execute(insert(reminder_log).values(
                    unit=reminder.unit, stage=reminder.stage, channel=reminder.channel,
                    attempts=1, **values))
                return int(result.inserted_primary_key[0])
        except IntegrityError:
            pass  # the key exists: only a failed attempt may be taken again
        with self.store.begin() as conn:
            taken = conn.execute(update(reminder_log).where(
                *where, reminder_log.c.status == FAILED).values(
                attempts=reminder_log.c.attempts + 1, **values))
            if taken.rowcount != 1:
                return None
            return int(conn.execute(select(reminder_log.c.id).where(*where)).scalar_one())

    def mark_sent(self, row_id: int, note: str | None = None) -> None:
        self._finish(row_id, SENT, note)

    def mark_failed(self, row_id: int, error: str) -> None:
        self._finish(row_id, FAILED, error)

    def mark_unconfirmed(self, row_id: int, error: str) -> None:
        self._finish(row_id, UNCONFIRMED, error)

    def resolve(self, unit: str, stage: int, channel: str | None, resolution: str) -> list[Entry]:
        """Mark the sends of ``unit`` at ``stage`` (on ``channel``, else every channel) that may
        have gone out as ``sent`` or, for ``retry``, as failed (a later run sends them again while
        their stage is current); the rows changed, as they were. The note says who decided."""
        status = RESOLUTIONS[resolution]
        note = ("cán bộ điều phối xác nhận đã gửi" if status == SENT
                else "cán bộ điều phối yêu cầu gửi lại")
        where = [reminder_log.c.unit == unit, reminder_log.c.stage == stage,
                 reminder_log.c.status.in_(MAY_HAVE_GONE)]
        if channel:
            where.append(reminder_log.c.channel == channel)
        with self.store.begin() as conn:
            rows = [_entry(r) for r in conn.execute(select(reminder_log).where(*where))]
            for entry in rows:
                before = f"trước đó: {entry.status}" + (f", {entry.error}" if entry.error else "")
                conn.execute(update(reminder_log).where(
                    reminder_log.c.id == entry.id, reminder_log.c.status.in_(MAY_HAVE_GONE)
                ).values(status=status, error=f"{note} ({before})"[:2000],
                         finished_at=dt.datetime.now(dt.UTC)))
        return rows

    def _finish(self, row_id: int, status: str, error: str | None) -> None:
        with self.store.begin() as conn:
            conn.execute(update(reminder_log).where(
                reminder_log.c.id == row_id, reminder_log.c.status == RESERVED).values(
                status=status, error=error and error[:2000],
                finished_at=dt.datetime.now(dt.UTC)))


def _entry(row: object) -> Entry:
    return Entry(
        unit=row.unit, stage=row.stage, channel=row.channel, status=row.status,
        attempts=row.attempts, error=row.error, planned_at=row.planned_at,
        reserved_at=row.reserved_at, finished_at=row.finished_at,
        recipients=json.loads(row.recipients), subject=row.subject, id=row.id)


def deliver(log: ReminderLog, reminders: Sequence[Reminder],
            send: Callable[[Reminder], str | None], planned_at: dt.datetime,
            collection_run: int | None = None) -> list[Outcome]:
    """Reserve, send and confirm each reminder; one failure never stops the others.

    ``send`` returns a note (copies refused while the main recipient accepted) or None; it raises
    :class:`Unconfirmed` when the message may have gone out, and :class:`SendError` (or any
    other ``Exception``) when it did not go out: that row is marked failed and a later run
    retries it. Anything that stops the process between reserving and confirming
    (``KeyboardInterrupt``, a kill) leaves the row reserved, which is never sent again.
    """
    outcomes = []
    for reminder in reminders:
        row_id = log.reserve(reminder, planned_at, collection_run)
        if row_id is None:
            outcomes.append(Outcome(reminder, "taken"))
            continue
        try:
            note = send(reminder)
        except Unconfirmed as exc:
            log.mark_unconfirmed(row_id, str(exc))
            outcomes.append(Outcome(reminder, UNCONFIRMED, str(exc)))
            continue
        except Exception as exc:  # every channel failure is recorded, never raised
            error = str(exc) if isinstance(exc, SendError) else f"{type(exc).__name__}: {exc}"
            log.mark_failed(row_id, error)
            outcomes.append(Outcome(reminder, "failed", error))
            continue
        try:
            log.mark_sent(row_id, note)
        except Exception as exc:  # sent, but not confirmed: never resent
            outcomes.append(Outcome(reminder, UNCONFIRMED, f"{type(exc).__name__}: {exc}"))
            continue
        outcomes.append(Outcome(reminder, SENT, note))
    return outcomes

"""The state database (SQLAlchemy; SQLite by default, any SQLAlchemy URL accepted).

Everything fetched is kept: raw responses are stored content-hashed *before* they are parsed,
so nothing a commune later deletes is lost. A verdict (status + issues) belongs to a snapshot
and a form version; a run records each unit's status and flags at the run's as-of time;
accepted submissions are kept with the sheet's modification time that decides timeliness.

A run is finished only once its outputs are written; a run the next one finds unfinished (its
process was killed, or it failed) is marked crashed and never read as a result. The flow runs
table journals every job run (nightly, remind) that held the campaign's lock, so that the next
run of the job knows which ones were killed (:mod:`ttcs.run.journal`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, DBAPIError

from ttcs.errors import ConfigError, os_reason
from ttcs.workbook.issues import Issue

SCHEMA_VERSION = 3


class UtcDateTime(TypeDecorator):
    """Aware datetimes stored as UTC ISO-8601 text (sortable, portable across databases)."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the store")
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")

    def process_result_value(self, value: str | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else dt.datetime.fromisoformat(value)


class SafeText(TypeDecorator):
    """Text any database keeps: a NUL (a commune can type one as ``_x0000_`` in a sheet, and
    messages quote what was typed) is stored as "␀"; PostgreSQL refuses NUL in text, failing
    the whole night's transaction."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else value.replace("\x00", "\u2400")


metadata = MetaData()

meta = Table("meta", metadata, Column("key", String(64), primary_key=True),
             Column("value", Text, nullable=False))

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("as_of", UtcDateTime, nullable=False, index=True),
    Column("started", UtcDateTime, nullable=False),
    Column("finished", UtcDateTime),  # set once its outputs are written
    Column("province", String(2), nullable=False),
    Column("backend", String(16), nullable=False),
    Column("notes", Text, nullable=False, default="[]"),
    Column("crashed", UtcDateTime),  # when a later run found it unfinished (schema 3)
)

# Each run of a job that held the campaign's lock (schema 3): ``ended`` is set when it left
# the lock, whether it succeeded or failed; a row the next run of the job finds not ended is
# a run that was killed, and gets ``crashed``.
flow_runs = Table(
    "flow_runs", metadata,
    Column("flow_run_id", String(36), primary_key=True),  # Prefect's id
    Column("job", String(16), nullable=False),
    Column("started", UtcDateTime, nullable=False),
    Column("ended", UtcDateTime),
    Column("crashed", UtcDateTime),
    Index("ix_flow_runs_job", "job"),
)

snapshots = Table(
    "snapshots", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit", String(5)),  # None: a workbook whose unit could not be told
    Column("locator", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("modified", UtcDateTime),
    Column("fetched_in_run", ForeignKey("runs.id"), nullable=False),
    Column("raw", LargeBinary, nullable=False),  # zlib-compressed canonical JSON
    Index("ix_snapshots_unit_hash", "unit", "content_hash"),
)

# What each source (file path or spreadsheet id) looked like when last read, so that an
# unchanged source is not read again. ``modified`` is the time the listing gave (compared with
# the next listing); ``dated`` is the time we count for that version, kept between the last
# run that had not seen it and ``seen_at``, the first run that did (schema 2).
sources = Table(
    "sources", metadata,
    Column("locator", Text, primary_key=True),
    Column("modified", UtcDateTime),
    Column("unit", String(5)),
    Column("snapshot_id", ForeignKey("snapshots.id")),
    Column("first_seen", UtcDateTime),  # as-of time of the first run that listed the locator
    Column("seen_at", UtcDateTime),  # as-of time of the first run that listed this version
    Column("dated", UtcDateTime),
)

# The feedback tab we last wrote into each commune spreadsheet: what it said (a digest of the
# status, flags and issues), the sheet's modification time right after our write when the
# write was verified to be the last change (the next listing then shows an unchanged sheet),
# and the spreadsheet's tabs (title -> sheetId) for links to cells.
feedback = Table(
    "feedback", metadata,
    Column("locator", Text, primary_key=True),
    Column("unit", String(5)),
    Column("digest", String(64)),
    Column("modified", UtcDateTime),  # after our write; None when it could not be verified
    Column("written_at", UtcDateTime),
    Column("run_id", ForeignKey("runs.id")),
    Column("tabs", Text),  # JSON {title: sheetId}
)

verdicts = Table(
    "verdicts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("snapshot_id", ForeignKey("snapshots.id"), nullable=False),
    Column("form_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("errors", Integer, nullable=False),
    Column("warnings", Integer, nullable=False),
    Column("inconsistent", Integer, nullable=False),  # has invalid/contradiction errors
    Column("record", LargeBinary, nullable=False),  # parsed values, zlib JSON
    Index("ix_verdicts_snapshot_form", "snapshot_id", "form_hash", unique=True),
)

issues = Table(
    "issues", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("verdict_id", ForeignKey("verdicts.id"), nullable=False, index=True),
    Column("unit", String(5)),
    Column("sheet", SafeText),
    Column("cell", String(16)),
    Column("field", String(64)),
    Column("rule", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("message", SafeText, nullable=False),
)

unit_runs = Table(
    "unit_runs", metadata,
    Column("run_id", ForeignKey("runs.id"), primary_key=True),
    Column("unit", String(5), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("flags", Text, nullable=False),  # JSON list, sorted
    Column("verdict_id", ForeignKey("verdicts.id")),
    Column("last_modified", UtcDateTime),
    Column("reason", SafeText),  # why a unit is unreachable
)

submissions = Table(
    "submissions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit", String(5), nullable=False, index=True),
    Column("verdict_id", ForeignKey("verdicts.id"), nullable=False, unique=True),
    Column("accepted_at", UtcDateTime, nullable=False),  # the sheet's modification time
    Column("seen_in_run", ForeignKey("runs.id"), nullable=False),
)

# each (unit, stage, channel) reminded at most once: see ttcs.reminders.reminder_log
reminder_log = Table(
    "reminder_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit", String(5), nullable=False),
    Column("stage", Integer, nullable=False),  # days from the deadline
    Column("channel", String(16), nullable=False),  # email | apprise
    Column("status", String(12), nullable=False),  # reserved | sent | failed | unconfirmed
    Column("attempts", Integer, nullable=False),
    Column("recipients", Text, nullable=False),  # JSON {"to": [...], "cc": [...]} as shown
    Column("subject", SafeText, nullable=False),
    Column("error", SafeText),
    Column("planned_at", UtcDateTime, nullable=False),  # the reminder run's "now"
    Column("reserved_at", UtcDateTime, nullable=False),  # wall clock
    Column("finished_at", UtcDateTime),
    Column("collection_run", Integer),  # the nightly run the message was built from
    UniqueConstraint("unit", "stage", "channel", name="uq_reminder_once"),
)


def _pack(data: Any) -> bytes:
    return zlib.compress(canonical(data).encode("utf-8"))


def _unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob).decode("utf-8"), object_hook=_decode)


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    raise TypeError(f"cannot store {type(value).__name__}")


def _decode(obj: dict) -> Any:
    if len(obj) == 1:
        ((tag, text),) = obj.items()
        if tag == "$datetime":
            return dt.datetime.fromisoformat(text)
        if tag == "$date":
            return dt.date.fromisoformat(text)
        if tag == "$time":
            return dt.time.fromisoformat(text)
    return obj


def canonical(data: Any) -> str:
    """The JSON text that is hashed and stored: sorted keys, dates tagged."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=_encode,
                      separators=(",", ":"))


def content_hash(data: Any) -> str:
    return hashlib.sha256(canonical(data).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Sighting:
    """When a source's current version was seen, and the time counted for it."""

    first_seen: dt.datetime | None  # the first run that listed the locator
    seen_at: dt.datetime | None  # the first run that listed this version
    dated: dt.datetime | None  # the version's time, within the runs' bounds


@dataclass(frozen=True)
class SourceState:
    locator: str
    modified: dt.datetime | None
    unit: str | None
    snapshot_id: int | None
    feedback_modified: dt.datetime | None = None  # the sheet's time right after our feedback
    sighting: Sighting = Sighting(None, None, None)
    accepted: bool = False  # holds its unit's latest accepted submission
    in_use: bool = False  # its unit's verdict in the latest finished run came from it


@dataclass(frozen=True)
class FeedbackState:
    locator: str
    unit: str | None
    digest: str | None
    modified: dt.datetime | None
    tabs: dict[str, int]


@dataclass(frozen=True)
class Snapshot:
    id: int
    unit: str
    locator: str
    content_hash: str
    modified: dt.datetime | None


@dataclass(frozen=True)
class UnitRun:
    unit: str
    status: str
    flags: list[str]
    verdict_id: int | None
    last_modified: dt.datetime | None
    reason: str | None


class Store:
    """Repository over one database; create it with :func:`open_store`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # -- runs ------------------------------------------------------------------------------
    def start_run(self, as_of: dt.datetime, province: str, backend: str) -> int:
        """A new run; every earlier run still unfinished is marked crashed (the caller holds
        the campaign's nightly lock, so none of them is running)."""
        now = dt.datetime.now(dt.UTC)
        with self.begin() as conn:
            conn.execute(update(runs).where(runs.c.finished.is_(None), runs.c.crashed.is_(None))
                         .values(crashed=now))
            result = conn.execute(insert(runs).values(
                as_of=as_of, started=now, province=province, backend=backend, notes="[]"))
            return int(result.inserted_primary_key[0])

    def note_run(self, run_id: int, notes: Sequence[str]) -> None:
        """The run's notes for the coordinator, before its outputs are written."""
        with self.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(
                notes=json.dumps(list(notes), ensure_ascii=False)))

    def finish_run(self, run_id: int, notes: Sequence[str] | None = None) -> None:
        """Record the run as finished: call it once its outputs are written."""
        if notes is not None:
            self.note_run(run_id, notes)
        with self.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(
                finished=dt.datetime.now(dt.UTC)))

    def run(self, run_id: int) -> dict[str, Any]:
        with self.begin() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().one()
            return dict(row)

    def run_before(self, when: dt.datetime) -> dt.datetime | None:
        """The as-of time of the latest finished run strictly before ``when``."""
        query = select(func.max(runs.c.as_of)).where(runs.c.finished.is_not(None),
                                                     runs.c.as_of < when)
        with self.begin() as conn:
            return conn.execute(query).scalar()

    def latest_run(self, as_of: dt.datetime | None = None) -> int | None:
        """The latest finished run whose as-of time is not after ``as_of``."""
        query = select(runs.c.id).where(runs.c.finished.is_not(None))
        if as_of is not None:
            query = query.where(runs.c.as_of <= as_of)
        query = query.order_by(runs.c.as_of.desc(), runs.c.id.desc()).limit(1)
        with self.begin() as conn:
            return conn.execute(query).scalar()

    # -- sources and snapshots ---------------------------------------------------------------
    def sources(self) -> dict[str, SourceState]:
        query = select(sources, feedback.c.modified.label("feedback_modified")).outerjoin(
            feedback, feedback.c.locator == sources.c.locator)
        # A mark is earned for a unit: a file that now claims another unit does not carry it.
        accepted = set(self._accepted_locators().items())
        in_use = set(self._locators_in_use().items())
        with self.begin() as conn:
            return {r.locator: SourceState(r.locator, r.modified, r.unit, r.snapshot_id,
                                           r.feedback_modified,
                                           Sighting(r.first_seen, r.seen_at, r.dated),
                                           (r.unit, r.locator) in accepted,
                                           (r.unit, r.locator) in in_use)
                    for r in conn.execute(query)}

    def _accepted_locators(self) -> dict[str, str]:
        """unit -> the source of its latest accepted submission."""
        query = (select(submissions.c.unit, snapshots.c.locator)
                 .join(verdicts, verdicts.c.id == submissions.c.verdict_id)
                 .join(snapshots, snapshots.c.id == verdicts.c.snapshot_id)
                 .order_by(submissions.c.accepted_at, submissions.c.id))
        with self.begin() as conn:
            return {r.unit: r.locator for r in conn.execute(query)}

    def _locators_in_use(self) -> dict[str, str]:
        """unit -> the source its verdict came from in the latest finished run."""
        run_id = self.latest_run()
        query = (select(unit_runs.c.unit, snapshots.c.locator)
                 .join(verdicts, verdicts.c.id == unit_runs.c.verdict_id)
                 .join(snapshots, snapshots.c.id == verdicts.c.snapshot_id)
                 .where(unit_runs.c.run_id == run_id))
        with self.begin() as conn:
            return {r.unit: r.locator for r in conn.execute(query)}

    def snapshot_sources(self, snapshot_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """Snapshot id -> (locator, content hash)."""
        ids = list(snapshot_ids)
        out: dict[int, tuple[str, str]] = {}
        with self.begin() as conn:
            for start in range(0, len(ids), 500):
                query = select(snapshots.c.id, snapshots.c.locator, snapshots.c.content_hash
                               ).where(snapshots.c.id.in_(ids[start:start + 500]))
                out.update({r.id: (r.locator, r.content_hash) for r in conn.execute(query)})
        return out

    # -- feedback written into commune sheets --------------------------------------------------
    def feedback_states(self) -> dict[str, FeedbackState]:
        with self.begin() as conn:
            return {r.locator: FeedbackState(r.locator, r.unit, r.digest, r.modified,
                                             json.loads(r.tabs or "{}"))
                    for r in conn.execute(select(feedback))}

    def put_feedback(self, locator: str, **values: Any) -> None:
        """Insert or update a spreadsheet's feedback record (``tabs`` as a dict)."""
        if "tabs" in values:
            values["tabs"] = json.dumps(values["tabs"], ensure_ascii=False, sort_keys=True)
        with self.begin() as conn:
            done = conn.execute(update(feedback).where(feedback.c.locator == locator)
                                .values(**values))
            if done.rowcount == 0:
                conn.execute(insert(feedback).values(locator=locator, **values))

    def put_snapshot(self, conn: Connection, run_id: int, unit: str | None, locator: str,
                     modified: dt.datetime | None, raw: Any,
                     sighting: Sighting | None = None) -> int:
        """Store a raw response (before parsing) unless the unit's latest one is identical."""
        digest = content_hash(raw)
        latest = conn.execute(
            select(snapshots.c.id, snapshots.c.content_hash)
            .where(snapshots.c.unit == unit if unit else snapshots.c.locator == locator)
            .order_by(snapshots.c.id.desc()).limit(1)
        ).first()
        if latest is not None and latest.content_hash == digest:
            snapshot_id = int(latest.id)
        else:
            snapshot_id = int(conn.execute(insert(snapshots).values(
                unit=unit, locator=locator, content_hash=digest, modified=modified,
                fetched_in_run=run_id, raw=_pack(raw))).inserted_primary_key[0])
        self.remember_source(conn, locator, modified, unit, snapshot_id, sighting)
        return snapshot_id

    def remember_source(self, conn: Connection, locator: str, modified: dt.datetime | None,
                        unit: str | None, snapshot_id: int | None,
                        sighting: Sighting | None = None) -> None:
        sighting = sighting or Sighting(None, None, modified)
        values = {"modified": modified, "unit": unit, "snapshot_id": snapshot_id,
                  "first_seen": sighting.first_seen, "seen_at": sighting.seen_at,
                  "dated": sighting.dated}
        done = conn.execute(update(sources).where(sources.c.locator == locator).values(**values))
        if done.rowcount == 0:
            conn.execute(insert(sources).values(locator=locator, **values))

    def latest_snapshots(self) -> dict[str, Snapshot]:
        """Each unit's most recent snapshot."""
        newest = (select(snapshots.c.unit, func.max(snapshots.c.id).label("id"))
                  .where(snapshots.c.unit.is_not(None)).group_by(snapshots.c.unit).subquery())
        query = select(snapshots.c.id, snapshots.c.unit, snapshots.c.locator,
                       snapshots.c.content_hash, snapshots.c.modified).join(
            newest, snapshots.c.id == newest.c.id)
        with self.begin() as conn:
            return {r.unit: Snapshot(r.id, r.unit, r.locator, r.content_hash, r.modified)
                    for r in conn.execute(query)}

    def snapshot_raw(self, snapshot_id: int) -> Any:
        with self.begin() as conn:
            blob = conn.execute(select(snapshots.c.raw).where(snapshots.c.id == snapshot_id))
            return _unpack(blob.scalar_one())

    def snapshot_count(self) -> int:
        with self.begin() as conn:
            return int(conn.execute(select(func.count()).select_from(snapshots)).scalar_one())

    # -- verdicts ----------------------------------------------------------------------------
    def verdict_ids(self, snapshot_ids: Iterable[int], form_hash: str) -> dict[int, int]:
        ids = list(snapshot_ids)
        found: dict[int, int] = {}
        with self.begin() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                query = select(verdicts.c.snapshot_id, verdicts.c.id).where(
                    verdicts.c.form_hash == form_hash, verdicts.c.snapshot_id.in_(chunk))
                found.update({r.snapshot_id: r.id for r in conn.execute(query)})
        return found

    def put_verdict(self, conn: Connection, snapshot_id: int, form_hash: str, status: str,
                    found: Sequence[Issue], record: Any) -> int:
        errors = sum(issue.is_error for issue in found)
        inconsistent = any(issue.kind in ("invalid", "contradiction") for issue in found)
        verdict_id = int(conn.execute(insert(verdicts).values(
            snapshot_id=snapshot_id, form_hash=form_hash, status=status, errors=errors,
            warnings=len(found) - errors, inconsistent=int(inconsistent),
            record=_pack(record))).inserted_primary_key[0])
        if found:
            conn.execute(insert(issues), [
                {"verdict_id": verdict_id, "unit": i.unit, "sheet": i.sheet, "cell": i.cell,
                 "field": i.field, "rule": i.rule, "kind": i.kind, "message": i.message}
                for i in found])
        return verdict_id

    def verdict_summaries(self, verdict_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        ids = list(verdict_ids)
        out: dict[int, dict[str, Any]] = {}
        with self.begin() as conn:
            for start in range(0, len(ids), 500):
                query = select(verdicts.c.id, verdicts.c.status, verdicts.c.errors,
                               verdicts.c.warnings, verdicts.c.inconsistent,
                               verdicts.c.snapshot_id).where(
                    verdicts.c.id.in_(ids[start:start + 500]))
                out.update({r.id: dict(r._mapping) for r in conn.execute(query)})
        return out

    def verdict_record(self, verdict_id: int) -> Any:
        return self.verdict_records([verdict_id])[verdict_id]

    def verdict_records(self, verdict_ids: Iterable[int]) -> dict[int, Any]:
        ids = list(verdict_ids)
        out: dict[int, Any] = {}
        with self.begin() as conn:
            for start in range(0, len(ids), 500):
                query = select(verdicts.c.id, verdicts.c.record).where(
                    verdicts.c.id.in_(ids[start:start + 500]))
                out.update({r.id: _unpack(r.record) for r in conn.execute(query)})
        return out

    def verdict_issues(self, verdict_ids: Iterable[int]) -> dict[int, list[Issue]]:
        ids = list(verdict_ids)
        out: dict[int, list[Issue]] = {i: [] for i in ids}
        with self.begin() as conn:
            for start in range(0, len(ids), 500):
                query = select(issues).where(issues.c.verdict_id.in_(ids[start:start + 500])
                                             ).order_by(issues.c.id)
                for r in conn.execute(query):
                    out[r.verdict_id].append(Issue(r.unit, r.sheet, r.cell, r.field, r.rule,
                                                   r.kind, r.message))
        return out

    # -- submissions and unit runs -----------------------------------------------------------
    def accept(self, conn: Connection, unit: str, verdict_id: int,
               accepted_at: dt.datetime, run_id: int) -> None:
        seen = conn.execute(select(submissions.c.id).where(
            submissions.c.verdict_id == verdict_id)).first()
        if seen is None:
            conn.execute(insert(submissions).values(unit=unit, verdict_id=verdict_id,
                                                    accepted_at=accepted_at, seen_in_run=run_id))

    def submissions_until(self, as_of: dt.datetime,
                          ) -> dict[str, list[tuple[dt.datetime, int]]]:
        """Accepted submissions seen in runs up to ``as_of``: unit -> [(accepted_at, verdict)]."""
        query = (select(submissions.c.unit, submissions.c.accepted_at, submissions.c.verdict_id)
                 .join(runs, runs.c.id == submissions.c.seen_in_run)
                 .where(runs.c.as_of <= as_of).order_by(submissions.c.accepted_at))
        out: dict[str, list[tuple[dt.datetime, int]]] = {}
        with self.begin() as conn:
            for r in conn.execute(query):
                out.setdefault(r.unit, []).append((r.accepted_at, r.verdict_id))
        return out

    def put_unit_runs(self, conn: Connection, run_id: int, rows: Sequence[UnitRun]) -> None:
        if rows:
            conn.execute(insert(unit_runs), [
                {"run_id": run_id, "unit": r.unit, "status": r.status,
                 "flags": json.dumps(r.flags), "verdict_id": r.verdict_id,
                 "last_modified": r.last_modified, "reason": r.reason} for r in rows])

    def unit_runs(self, run_id: int) -> list[UnitRun]:
        with self.begin() as conn:
            query = select(unit_runs).where(unit_runs.c.run_id == run_id).order_by(
                unit_runs.c.unit)
            return [UnitRun(r.unit, r.status, json.loads(r.flags), r.verdict_id,
                            r.last_modified, r.reason) for r in conn.execute(query)]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def open_store(url: str) -> Store:
    """Open (creating and migrating as needed) the database at a SQLAlchemy URL.

    A new SQLite database is created only where no file exists; an existing file that is empty,
    not SQLite or damaged is refused in one line and left exactly as it is.
    """
    path = _check_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = _engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        _migrate(engine)
    except DatabaseError as exc:
        raise ConfigError(f"không mở được cơ sở dữ liệu {path or engine.url}: "
                          f"{_first_line(exc.orig or exc)}") from None
    return Store(engine)


def _engine(url: str) -> Engine:
    try:
        return create_engine(url)
    except Exception as exc:  # bad URL or missing driver
        raise ConfigError(f"không mở được cơ sở dữ liệu {_shown(url)!r}: {exc}") from None


def _shown(url: str) -> str:
    """``url`` as printed: never its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for an in-memory or non-SQLite database."""
    if not url.startswith("sqlite:///") or ":memory:" in url:
        return None
    return Path(url.removeprefix("sqlite:///").split("?")[0])


def check_database(url: str) -> Path | None:
    """Refuse (one line) a SQLite file at ``url`` that is not a healthy database, reading it
    only, or a database server that cannot be reached; the file, or None for an in-memory or
    non-SQLite database."""
    path = _check_file(url)
    if not url.startswith("sqlite"):
        _reach(url)
    return path


def _reach(url: str) -> None:
    """Connect once: a wrong address or password is one line before any run starts."""
    engine = _engine(url)
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise ConfigError(f"không kết nối được cơ sở dữ liệu {engine.url}: "
                          f"{_first_line(exc.orig or exc)}") from None
    finally:
        engine.dispose()


def _check_file(url: str) -> Path | None:
    path = sqlite_path(url)
    if path is not None and (path.exists() or path.is_symlink()):
        _check_sqlite_file(path)
    return path


def _check_sqlite_file(path: Path) -> None:
    if not path.is_file():
        problem = "không phải là một tệp"
    elif path.stat().st_size == 0:
        problem = "là tệp rỗng (0 byte)"
    else:
        problem = _sqlite_problem(path)
    if problem:
        raise ConfigError(
            f"cơ sở dữ liệu trạng thái {path} {problem}; ttcs không sửa và không ghi đè tệp "
            "này: hãy khôi phục nó từ bản sao lưu (hoặc chuyển nó đi nơi khác để bắt đầu một "
            "cơ sở dữ liệu mới)")


def _sqlite_problem(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            header = handle.read(16)
    except OSError as exc:
        return f"không đọc được ({os_reason(exc)})"
    if header != b"SQLite format 3\x00":
        return "không phải là cơ sở dữ liệu SQLite"
    try:  # read-only: the file is never written, whatever state it is in
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        return f"không mở được ({exc})"
    try:
        found = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
    except sqlite3.Error as exc:
        return f"bị hỏng ({exc})"
    finally:
        conn.close()
    return None if found == ["ok"] else f"bị hỏng ({'; '.join(map(str, found))})"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _add_source_sightings(conn: Connection) -> None:
    """Schema 2: when each source was first seen, and the time counted for its version.

    Older databases knew only the listed time: it is kept as the counted time, and the runs
    that fetched the source's snapshots give when it was first seen.
    """
    present = {c["name"] for c in inspect(conn).get_columns("sources")}
    for column in ("first_seen", "seen_at", "dated"):
        if column not in present:
            conn.execute(text(f"ALTER TABLE sources ADD COLUMN {column} VARCHAR(32)"))
    conn.execute(text(
        "UPDATE sources SET dated = modified, "
        "first_seen = (SELECT min(runs.as_of) FROM snapshots JOIN runs "
        "  ON runs.id = snapshots.fetched_in_run WHERE snapshots.locator = sources.locator), "
        "seen_at = (SELECT runs.as_of FROM snapshots JOIN runs "
        "  ON runs.id = snapshots.fetched_in_run WHERE snapshots.id = sources.snapshot_id) "
        "WHERE dated IS NULL"))


def _add_crash_records(conn: Connection) -> None:
    """Schema 3: runs found unfinished are marked crashed (the flow runs table is new, made by
    ``create_all``). Unfinished runs of an older database are left unmarked: the next run
    marks them."""
    if "crashed" not in {c["name"] for c in inspect(conn).get_columns("runs")}:
        conn.execute(text("ALTER TABLE runs ADD COLUMN crashed VARCHAR(32)"))


_SCHEMA_LOCK = int.from_bytes(b"ttcs:sch", "big")  # the advisory lock key of schema changes

# MIGRATIONS[n - 1] brings a database from schema n to n + 1.
MIGRATIONS = (_add_source_sightings, _add_crash_records)


def _migrate(engine: Engine) -> None:
    """Create the schema, or bring an older one up to :data:`SCHEMA_VERSION`."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Processes opening a new or older database at once: one changes the schema, the
            # others wait for its transaction and find it done (DDL races fail on PostgreSQL).
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        metadata.create_all(conn)
        version = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version"))
        current = version.scalar()
        if current is None:
            conn.execute(insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
        elif int(current) > SCHEMA_VERSION:
            raise ConfigError(
                f"cơ sở dữ liệu {engine.url} được tạo bởi phiên bản ttcs mới hơn "
                f"(lược đồ {current} > {SCHEMA_VERSION}); cần cập nhật ttcs")
        elif int(current) < SCHEMA_VERSION:
            for step in MIGRATIONS[int(current) - 1:]:
                step(conn)
            conn.execute(update(meta).where(meta.c.key == "schema_version")
                         .values(value=str(SCHEMA_VERSION)))

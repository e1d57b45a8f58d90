"""The state database: a damaged, foreign or empty file is refused in one line and left exactly
as it was; only where no file exists is a new database created; an older schema is migrated."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest
import yaml
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from tests.conftest import CONFIG, run_ttcs
from ttcs.backends import Source
from ttcs.cli.app import app
from ttcs.errors import ConfigError
from ttcs.run.collect import plan
from ttcs.state.store import SCHEMA_VERSION, Store, open_store

UTC = dt.UTC
RUN_1 = dt.datetime(2025, 9, 27, 15, 0, tzinfo=UTC)
RUN_2 = dt.datetime(2025, 9, 28, 15, 0, tzinfo=UTC)


def _campaign(tmp: Path) -> Path:
    path = tmp / "campaign.yaml"
    path.write_text(yaml.safe_dump({
        "title": "Thử nghiệm", "province": "44", "data_as_of": "2025-09-30",
        "deadline": "2025-09-30T17:00:00+07:00", "form": str(CONFIG / "form.yaml"),
        "contacts": "contacts.csv", "output_dir": "out", "database": "sqlite:///state.db",
        "backend": {"kind": "local", "local": {"folder": "communes"}},
    }, allow_unicode=True), encoding="utf-8")
    return path


def _real_database(path: Path) -> bytes:
    """A real ttcs database with a finished run, checkpointed into its one file."""
    store = open_store(f"sqlite:///{path}")
    store.finish_run(store.start_run(RUN_1, "44", "local"), ["ghi chú"])
    store.engine.dispose()
    return path.read_bytes()


def _damage(kind: str, path: Path) -> None:
    if kind == "random":
        path.write_bytes(os.urandom(64 * 1024))
    elif kind == "text":
        path.write_text("đây không phải cơ sở dữ liệu\n", encoding="utf-8")
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        data = _real_database(path)
        if kind == "truncated":
            path.write_bytes(data[:len(data) // 2])
        else:  # "scribbled": the header intact, a page in the middle overwritten
            page = len(data) // 4096 // 2 * 4096
            path.write_bytes(data[:page] + os.urandom(4096) + data[page + 4096:])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


KINDS = ["random", "text", "empty", "truncated", "scribbled"]


@pytest.mark.parametrize("kind", KINDS)
def test_status_refuses_a_damaged_database_in_one_line_and_keeps_it(tmp_path, kind) -> None:
    config = _campaign(tmp_path)
    database = tmp_path / "state.db"
    _damage(kind, database)
    before = _digest(database)
    result = CliRunner().invoke(app, ["status", "--config", str(config)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and result.stdout == ""
    assert lines[0].startswith(f"Lỗi: cơ sở dữ liệu trạng thái {database}")
    assert "khôi phục nó từ bản sao lưu" in lines[0]
    assert ("tệp rỗng (0 byte)" in lines[0]) == (kind == "empty")
    assert _digest(database) == before


@pytest.mark.parametrize("command", [["remind", "--dry-run"], ["nightly"]])
def test_remind_and_nightly_refuse_it_too_before_anything_runs(tmp_path, command) -> None:
    config = _campaign(tmp_path)
    database = tmp_path / "state.db"
    _damage("truncated", database)
    before = _digest(database)
    result = CliRunner().invoke(app, [*command, "--config", str(config),
                                      "--now", "2025-09-27T08:00:00+07:00"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "bị hỏng" in result.stderr and str(database) in result.stderr
    assert _digest(database) == before
    assert not (tmp_path / "out").exists()  # nothing ran


def test_the_real_command_prints_no_traceback(tmp_path) -> None:
    config = _campaign(tmp_path)
    _damage("random", tmp_path / "state.db")
    before = _digest(tmp_path / "state.db")
    result = run_ttcs("status", "--config", str(config))
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.count("\n") == 1
    assert "không phải là cơ sở dữ liệu SQLite" in result.stderr
    assert _digest(tmp_path / "state.db") == before


def test_a_directory_in_place_of_the_database_is_refused(tmp_path) -> None:
    (tmp_path / "state.db").mkdir()
    with pytest.raises(ConfigError, match="không phải là một tệp"):
        open_store(f"sqlite:///{tmp_path / 'state.db'}")


def test_a_new_database_only_where_no_file_exists(tmp_path) -> None:
    path = tmp_path / "new" / "state.db"
    store = open_store(f"sqlite:///{path}")
    assert path.stat().st_size > 0 and store.latest_run() is None
    run_id = store.start_run(RUN_1, "44", "local")
    store.finish_run(run_id, [])
    assert open_store(f"sqlite:///{path}").latest_run() == run_id  # reopened, not replaced


def two_runs(store: Store) -> int:
    """Two finished runs: a source read in each, and one read only in the second; its id."""
    first = store.start_run(RUN_1, "44", "local")
    with store.begin() as conn:
        store.put_snapshot(conn, first, "18859", "/c/a.xlsx", RUN_1, {"t": [[1]]})
    store.finish_run(first, [])
    second = store.start_run(RUN_2, "44", "local")
    with store.begin() as conn:
        store.put_snapshot(conn, second, "18859", "/c/a.xlsx", RUN_2, {"t": [[2]]})
        store.put_snapshot(conn, second, "18862", "/c/b.xlsx", RUN_1, {"t": [[3]]})
    store.finish_run(second, [])
    return second


def test_a_schema_1_database_is_migrated_keeping_every_source(tmp_path) -> None:
    """Build the schema-1 layout exactly (schema 2 only added three columns to `sources`),
    with a source read in each of two runs, then open it with this version."""
    path = tmp_path / "state.db"
    store = open_store(f"sqlite:///{path}")
    two_runs(store)
    with store.begin() as conn:
        for column in ("first_seen", "seen_at", "dated"):
            conn.execute(text(f"ALTER TABLE sources DROP COLUMN {column}"))
        conn.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
    store.engine.dispose()

    migrated = open_store(f"sqlite:///{path}")
    with migrated.begin() as conn:
        assert conn.execute(text("SELECT value FROM meta")).scalar() == str(SCHEMA_VERSION)
        columns = {c["name"] for c in inspect(conn).get_columns("sources")}
    assert {"first_seen", "seen_at", "dated"} <= columns
    states = migrated.sources()
    assert set(states) == {"/c/a.xlsx", "/c/b.xlsx"}
    a, b = states["/c/a.xlsx"].sighting, states["/c/b.xlsx"].sighting
    assert (a.first_seen, a.seen_at, a.dated) == (RUN_1, RUN_2, RUN_2)
    assert (b.first_seen, b.seen_at, b.dated) == (RUN_2, RUN_2, RUN_1)
    assert states["/c/a.xlsx"].modified == RUN_2 and migrated.snapshot_count() == 3
    # The migrated times are used: an unchanged source keeps its time, nothing is re-read.
    to_read, unchanged = plan([Source("/c/a.xlsx", RUN_2), Source("/c/b.xlsx", RUN_1)],
                              states)
    assert to_read == [] and [item.source.modified for item in unchanged] == [RUN_2, RUN_1]

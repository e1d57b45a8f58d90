"""The feedback tab in each commune's own spreadsheet, written by the nightly flow (gsheets):
one batched write per unit whose issues changed, links to cells, never a formula; our write
never counts as the commune's change (the next night re-reads nothing), never hides one, and
leaves timeliness as it was."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from fakegoogle import DEFAULT_SERVICE_ACCOUNT, FakeGoogle, Formula
from tests.gsheets_setup import TZ, commune_reads, feedback_requests, seed_province
from ttcs.backends.select import backend_for
from ttcs.campaign.settings import load_campaign
from ttcs.google.urls import FEEDBACK_SHEET_ID
from ttcs.labels import FEEDBACK_TAB
from ttcs.outputs.feedback import Writer, targets
from ttcs.state.store import open_store

PROVINCE = "12"  # Lai Châu: 38 units
NIGHT = dt.datetime(2025, 9, 25, 22, 0, tzinfo=TZ)
EDITED = dt.datetime(2025, 9, 25, 10, 0, tzinfo=TZ)  # when the seeded sheets were last edited


@pytest.fixture(scope="module")
def fake():
    with FakeGoogle() as google:
        yield google
        assert google.internal_errors == [], google.internal_errors[-1]


@pytest.fixture(scope="module")
def province(prefect_harness, fake, tmp_path_factory):
    return seed_province(fake, tmp_path_factory.mktemp("feedback"), PROVINCE)


def night(config, now: dt.datetime) -> dict[str, Any]:
    from flows.nightly import nightly

    return nightly(str(config), now)


def standing(document: dict[str, Any]) -> dict[str, tuple]:
    return {u["code"]: (u["status"], u["flags"], u["errors"], u["first_accepted"],
                        u["last_modified"]) for u in document["units"]}


def feedback_cells(fake: FakeGoogle, sheet_id: str) -> list[list[Any]]:
    return fake.cells(sheet_id, FEEDBACK_TAB)


def test_feedback_is_one_batched_write_per_unit_with_links_to_cells(province, fake) -> None:
    fake.reset_counts()
    document = night(province.google, NIGHT)
    assert commune_reads(fake, province) == 38
    for sheet in province.sheets.values():
        # One read; then one time check, one write (tab added in the same batch), one check.
        assert fake.counts(sheet) == {"sheets.get": 1, "drive.files.get": 2,
                                      "sheets.batchUpdate": 1}
        assert fake.tabs(sheet)[0] == FEEDBACK_TAB
    statuses = {u["code"]: u["status"] for u in document["units"]}
    code = next(c for c, s in statuses.items() if s == "needs_fix")
    sheet = province.sheets[code]
    rows = feedback_cells(fake, sheet)
    assert all(isinstance(v, str | int | type(None)) and not isinstance(v, Formula)
               for row in rows for v in row)  # literal strings: nothing is ever a formula
    text = "\n".join(" | ".join(str(v) for v in row if v is not None) for row in rows)
    assert "Trạng thái | cần sửa" in text and "Hạn nộp | 17:00 ngày 30/09/2025" in text
    header = rows.index(["STT", "Trang", "Ô", "Loại", "Nội dung", "Mở ô"])
    issues = [row for row in rows[header + 1:] if row and row[0]]
    assert issues
    number, tab, cell, _kind, message, link = issues[0]
    assert number == 1 and message
    gid = fake.spreadsheet(sheet).find(tab).sheet_id
    assert link == f"https://docs.google.com/spreadsheets/d/{sheet}/edit#gid={gid}&range={cell}"
    ours = fake.spreadsheet(sheet).find(FEEDBACK_TAB)
    assert ours.sheet_id == FEEDBACK_SHEET_ID
    assert [p["editors"]["users"] for p in ours.protected] == [[DEFAULT_SERVICE_ACCOUNT]]
    submitted = next(c for c, s in statuses.items() if s == "submitted")
    assert "Không phát hiện lỗi nào." in str(feedback_cells(fake, province.sheets[submitted]))


def test_the_next_night_rereads_no_sheet_whose_only_change_was_our_feedback(
        province, fake) -> None:
    first = night(province.google, NIGHT + dt.timedelta(hours=1))  # feedback already written
    fake.reset_counts()
    second = night(province.google, NIGHT + dt.timedelta(days=1))
    assert commune_reads(fake, province) == 0 and feedback_requests(fake, province) == 0
    assert sum(sum(fake.counts(s).values()) for s in province.sheets.values()) == 0
    assert fake.counts()["drive.files.list"] == 1
    assert standing(second) == standing(first)
    # The last change is the commune's, not our write.
    assert {dt.datetime.fromisoformat(u["last_modified"]) for u in second["units"]} == {EDITED}
    # The feedback tab is neither parsed nor hashed.
    store = open_store(f"sqlite:///{province.google.parent / 'state.db'}")
    latest = store.latest_snapshots()
    assert all(FEEDBACK_TAB not in store.snapshot_raw(s.id) for s in latest.values())


def test_timeliness_is_unaffected_after_the_deadline(province, fake) -> None:
    after = dt.datetime(2025, 10, 2, 22, 0, tzinfo=TZ)
    fake.reset_counts()
    google = night(province.google, after)
    # The flags changed (late), so units that owe their report are told: one write each, and
    # still no sheet is read.
    late = {u["code"] for u in google["units"] if "late" in u["flags"]}
    assert late and commune_reads(fake, province) == 0
    assert feedback_requests(fake, province) == 3 * len(late)
    fake.reset_counts()
    again = night(province.google, after + dt.timedelta(days=1))
    assert commune_reads(fake, province) == 0 and feedback_requests(fake, province) == 0
    local = night(province.local, after)
    assert standing(google) == standing(again) == standing(local)
    accepted = [u for u in google["units"] if u["status"] == "submitted"]
    assert accepted and all(dt.datetime.fromisoformat(u["first_accepted"]) == EDITED
                            and "submitted_late" not in u["flags"] for u in accepted)


def test_a_commune_edit_is_never_hidden_by_our_feedback(province, fake) -> None:
    config = load_campaign(province.google)
    store = open_store(config.database)
    document = night(province.google, NIGHT + dt.timedelta(days=12))
    code = next(u["code"] for u in document["units"] if u["status"] == "needs_fix")
    sheet = province.sheets[code]
    rows = feedback_cells(fake, sheet)
    first = rows[rows.index(["STT", "Trang", "Ô", "Loại", "Nội dung", "Mở ô"]) + 1]
    # The commune corrects the cell after our read; our next feedback must wait.
    fake.write(sheet, f"'{first[1]}'!{first[2]}", [[0]], by="xa@example.com")
    # On the simulated calendar (a time later than the run that reads it would be clamped).
    fake.set_modified_time(sheet, NIGHT + dt.timedelta(days=12, hours=11))
    edited = fake.modified_time(sheet)
    backend = backend_for(config, store)
    run_id = store.latest_run()
    assert run_id is not None
    rows_of_run = store.unit_runs(run_id)
    located = {r.unit: _located(store, r.unit) for r in rows_of_run if r.verdict_id}
    (target,) = [t for t in targets(store, rows_of_run, located, {}) if t.unit == code]
    changed = dataclasses.replace(target, status="in_progress")  # feedback that differs
    fake.reset_counts()
    access = backend.feedback_writer()
    assert access is not None and access.account == DEFAULT_SERVICE_ACCOUNT
    report = Writer(store, access, config, run_id, NIGHT).run([changed])
    assert report.skipped == [code] and report.written == []
    assert fake.counts(sheet) == {"drive.files.get": 1}  # checked, nothing written
    # The next night reads the commune's change and tells it the new result.
    fake.reset_counts()
    later = night(province.google, NIGHT + dt.timedelta(days=13))
    assert commune_reads(fake, province) == 1 and fake.counts(sheet)["sheets.get"] == 1
    unit = next(u for u in later["units"] if u["code"] == code)
    assert dt.datetime.fromisoformat(unit["last_modified"]) == edited  # not our write's time
    assert first[4] not in str(feedback_cells(fake, sheet))
    assert fake.counts(sheet)["sheets.batchUpdate"] == 1


def test_a_deleted_feedback_tab_comes_back(province, fake) -> None:
    code = sorted(province.sheets)[4]
    sheet = province.sheets[code]
    night(province.google, NIGHT + dt.timedelta(days=14))
    book = fake.spreadsheet(sheet)
    book.sheets = [s for s in book.sheets if s.title != FEEDBACK_TAB]
    book.reindex()
    fake.touch(sheet, "xa@example.com")
    fake.reset_counts()
    night(province.google, NIGHT + dt.timedelta(days=15))
    assert fake.counts(sheet) == {"sheets.get": 1, "drive.files.get": 2,
                                  "sheets.batchUpdate": 1}
    assert fake.tabs(sheet)[0] == FEEDBACK_TAB
    fake.reset_counts()
    night(province.google, NIGHT + dt.timedelta(days=16))
    assert fake.counts(sheet) == {}


def _located(store, unit: str):
    from ttcs.run.collect import Located

    snapshot = store.latest_snapshots()[unit]
    return Located(unit, snapshot.id, snapshot.modified, None)

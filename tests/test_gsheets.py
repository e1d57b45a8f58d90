"""The nightly flow with backend gsheets, against the fake Google through real gspread and
google-auth HTTP calls: same results as local, request counts, faults, quota, summary sheet."""

from __future__ import annotations

import datetime as dt

import pytest

from fakegoogle import FakeGoogle
from tests.gsheets_setup import (
    FORMULA_TEXT,
    TZ,
    commune_reads,
    seed_province,
)
from ttcs.outputs.summary import TAB_ASSESSMENTS
from ttcs.state.store import open_store

NIGHT = dt.datetime(2025, 9, 29, 22, 0, tzinfo=TZ)
PROVINCE = "12"  # Lai Châu: 38 units


@pytest.fixture(scope="module")
def fake():
    with FakeGoogle() as google:
        yield google


def _night(config, now=NIGHT) -> dict:
    from flows.nightly import nightly

    return nightly(str(config), now)


def _standing(document: dict) -> dict:
    units = {u["code"]: (u["status"], u["flags"], u["errors"], u["warnings"],
                         u["first_accepted"]) for u in document["units"]}
    totals = {k: v for k, v in document["totals"].items()}
    return {"units": units, "totals": totals}


@pytest.fixture(scope="module")
def province(prefect_harness, fake, tmp_path_factory):
    return seed_province(fake, tmp_path_factory.mktemp("gsheets"), PROVINCE)


def test_same_statuses_and_totals_as_the_local_backend(province, fake) -> None:
    renamed = province.sheets[sorted(province.sheets)[3]]
    edited = fake.modified_time(renamed)
    fake.rename_tab(renamed, "PL01", "pl01 (đã sửa)")
    fake.set_modified_time(renamed, edited)  # same edit time as the local copy
    fake.reset_counts()
    google = _night(province.google)
    local = _night(province.local)
    assert _standing(google) == _standing(local)
    statuses = {u["status"] for u in google["units"]}
    assert statuses == {"not_started", "needs_fix", "submitted"}
    # A full refresh: one read per commune spreadsheet (renamed tab included), one listing page.
    assert commune_reads(fake, province) == len(province.sheets)
    assert all(fake.counts(s)["sheets.get"] == 1 for s in province.sheets.values())
    assert fake.counts()["drive.files.list"] == 1
    # The summary, new: tab list, add tabs, RAW values, format-and-swap, whatever N.
    assert sum(fake.counts(province.summary_id).values()) == 4


def _as_of_line(fake, summary_id: str) -> str:
    return next(cell for row in fake.values(summary_id, "Tổng hợp") for cell in row
                if str(cell).startswith("Tình hình lúc"))


def test_quiet_night_costs_the_listing_and_one_sheets_write(province, fake) -> None:
    _night(province.google)  # make sure everything is stored
    fake.reset_counts()
    before = open_store(f"sqlite:///{province.google.parent / 'state.db'}").snapshot_count()
    _night(province.google, NIGHT + dt.timedelta(hours=1))
    assert commune_reads(fake, province) == 0
    requests = {k: n for k, n in fake.counts().items() if k != "token"}
    # Drive's listing, and the summary's "Tình hình lúc" line alone (no figure moved).
    assert requests == {"drive.files.list": 1, "values.batchUpdate": 1}
    assert fake.counts(province.summary_id) == {"values.batchUpdate": 1}
    assert "23:00 ngày 29/9/2025" in _as_of_line(fake, province.summary_id)
    after = open_store(f"sqlite:///{province.google.parent / 'state.db'}").snapshot_count()
    assert after == before


def test_summary_sheet_is_written_whole_when_a_tab_is_gone_and_keeps_formulas_as_text(
        province, fake) -> None:
    fake.rename_tab(province.summary_id, "Tổng hợp", "Tổng hợp (sửa tay)")
    fake.reset_counts()
    _night(province.google, NIGHT + dt.timedelta(hours=2))  # no figure moved
    # The time line's write is refused (its tab is gone), then the four requests of a rewrite.
    assert fake.counts(province.summary_id) == {"values.batchUpdate": 2, "sheets.get": 1,
                                                "sheets.batchUpdate": 2}
    assert fake.tabs(province.summary_id)[:2] == ["Tổng hợp", "Phụ lục 01"]
    assert "Tổng hợp (sửa tay)" not in fake.tabs(province.summary_id)
    answers = [cell for row in fake.values(province.summary_id, TAB_ASSESSMENTS)
               for cell in row]
    assert FORMULA_TEXT in answers
    row, col = next((r, c) for r, row in enumerate(fake.cells(province.summary_id,
                                                              TAB_ASSESSMENTS))
                    for c, cell in enumerate(row) if cell == FORMULA_TEXT)
    assert fake.cell(province.summary_id, f"'{TAB_ASSESSMENTS}'!{chr(65 + col)}{row + 1}") \
        == FORMULA_TEXT


def test_faults_leave_every_unit_read_or_unreachable_and_lose_nothing(
        prefect_harness, fake, tmp_path) -> None:
    faulty = seed_province(fake, tmp_path, PROVINCE, max_retries=1)
    first = _night(faulty.google)
    accepted = {u["code"] for u in first["units"] if u["first_accepted"]}
    for sheet_id in faulty.sheets.values():  # every commune touches its sheet
        fake.set_modified_time(sheet_id, dt.datetime(2025, 9, 30, 9, 0, tzinfo=TZ))
    fake.inject_faults(0.2, ("429", "500", "503", "timeout"), seed=7, timeout_s=3,
                       only=("sheets.get",))
    try:
        second = _night(faulty.google, NIGHT + dt.timedelta(days=1))
    finally:
        fake.clear_faults()
    units = {u["code"]: u for u in second["units"]}
    assert set(units) == set(faulty.sheets)
    unreachable = {c for c, u in units.items() if u["status"] == "unreachable"}
    assert {units[c]["reason"] for c in unreachable} <= {None} | {
        units[c]["reason"] for c in unreachable if "Google" in (units[c]["reason"] or "")}, \
        [units[c]["reason"] for c in unreachable]
    # Whatever failed keeps its accepted submission; nothing accepted before is lost.
    assert {c for c, u in units.items() if u["first_accepted"]} >= accepted
    assert len(unreachable) < len(units)
    faults = [r for r in fake.requests() if r.fault]
    assert faults  # the faults really happened


def test_steady_quota_with_pacing_provokes_no_429(prefect_harness, fake, tmp_path) -> None:
    paced = seed_province(fake, tmp_path, PROVINCE, reads_per_minute=10, writes_per_minute=10,
                          quota_window_s=1.0)
    fake.set_quota(read=10, write=10, window_s=1.0)
    fake.reset_counts()
    try:
        document = _night(paced.google)
    finally:
        fake.set_quota(read=None, write=None)
    assert fake.status_counts().get(429, 0) == 0
    assert commune_reads(fake, paced) == len(paced.sheets)
    assert {u["status"] for u in document["units"]} != {"unreachable"}



def test_key_from_a_prefect_secret_block(prefect_harness, fake, tmp_path) -> None:
    """The service-account key stored as a JSON *string* Secret (masked by the API)."""
    import json

    import yaml
    from prefect.blocks.system import Secret

    seeded = seed_province(fake, tmp_path, PROVINCE)
    Secret(value=json.dumps(fake.service_account_info())).save("ttcs-google-key",
                                                               overwrite=True)
    config = yaml.safe_load(seeded.google.read_text(encoding="utf-8"))
    del config["backend"]["gsheets"]["credentials_file"]
    config["backend"]["gsheets"]["credentials_secret_block"] = "ttcs-google-key"
    seeded.google.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    fake.reset_counts()
    document = _night(seeded.google)
    assert commune_reads(fake, seeded) == len(seeded.sheets)
    assert fake.counts()["token"] >= 1
    assert {u["status"] for u in document["units"]} == {"not_started", "needs_fix", "submitted"}

"""`ttcs provision` against the fake Google: Lai Châu's 38 units in each of the three modes,
permissions exactly as specified, a second run that changes nothing, and a service account's
create in a normal folder reported in one line and never retried."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from fakegoogle import DEFAULT_OWNER, DEFAULT_SERVICE_ACCOUNT, FakeGoogle
from tests.conftest import CONFIG
from tests.gsheets_setup import FORM, TEXTS
from ttcs.backends.provision import layout_problems
from ttcs.campaign import registry
from ttcs.campaign.contacts import read_contacts
from ttcs.campaign.settings import Provision
from ttcs.workbook.layout import workbook_layout, workbook_values
from ttcs.workbook.parse import find_unit_code

PROVINCE = "12"  # Lai Châu: 38 units
UNITS = registry.units(PROVINCE)
SA = DEFAULT_SERVICE_ACCOUNT
COORDINATOR = DEFAULT_OWNER
OTHER = "phong-ttcs@example.com"  # a second coordinator
NO_EMAIL = UNITS[5].code  # a commune whose e-mail is not known yet
WRITES = ("drive.files.create", "drive.files.copy", "drive.files.update", "sheets.create",
          "sheets.batchUpdate", "values.batchUpdate", "values.update",
          "drive.permissions.create", "drive.permissions.delete")
TZ = dt.timezone(dt.timedelta(hours=7))


def email(code: str) -> str:
    return f"xa{code}@example.com"


@pytest.fixture(scope="module")
def fake():
    with FakeGoogle() as google:
        yield google
        assert google.internal_errors == [], google.internal_errors[-1]


def write_campaign(tmp: Path, fake: FakeGoogle, provision: dict[str, Any],
                   folder_id: str | None = None, **gsheets: Any) -> Path:
    """A campaign for Lai Châu; contacts with ";" (Excel in Vietnamese) and a column of ours."""
    tmp.mkdir(parents=True, exist_ok=True)
    key = tmp / "key.json"
    key.write_text(json.dumps(fake.service_account_info()), encoding="utf-8")
    with (tmp / "contacts.csv").open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["Mã đơn vị", "Tên đơn vị", "Email", "Ghi chú của Sở"])
        for unit in UNITS:
            writer.writerow([unit.code, unit.name, "" if unit.code == NO_EMAIL
                             else email(unit.code), f"ghi chú {unit.code}"])
    config = tmp / "campaign.yaml"
    config.write_text(yaml.safe_dump({
        "title": "Tổng kết thông tin cơ sở", "province": PROVINCE, "data_as_of": "2025-09-30",
        "deadline": "2025-09-30T17:00:00+07:00", "form": str(CONFIG / "form.yaml"),
        "contacts": "contacts.csv", "output_dir": "out", "database": "sqlite:///state.db",
        "coordinators": [{"name": "Điều phối", "email": COORDINATOR},
                         {"name": "Phòng TTCS", "email": OTHER}],
        "backend": {"kind": "gsheets", "gsheets": {
            "credentials_file": str(key), "folder_id": folder_id, "api_endpoint": fake.url,
            "request_timeout_s": 5, "backoff_base_s": 0.05, "backoff_cap_s": 0.5,
            "provision": provision, **gsheets}}}, allow_unicode=True), encoding="utf-8")
    return config


def provision_flow(config: Path, dry_run: bool = False) -> dict[str, Any]:
    from flows.provision import provision

    return provision(str(config), dry_run)


def writes(fake: FakeGoogle) -> dict[str, int]:
    return {k: n for k, n in fake.counts().items() if k in WRITES}


def sheets_by_unit(config: Path) -> dict[str, str]:
    contacts = read_contacts(config.parent / "contacts.csv", PROVINCE)
    return {code: c.spreadsheet_id for code, c in contacts.by_code.items() if c.spreadsheet_id}


def shared_with(fake: FakeGoogle, sheet_id: str) -> set[tuple[str, str]]:
    perms = fake.file(sheet_id).permissions
    assert all(p["type"] == "user" for p in perms), perms  # never anyone, never a domain
    return {(p["emailAddress"], p["role"]) for p in perms}


def commune(code: str) -> set[tuple[str, str]]:
    return set() if code == NO_EMAIL else {(email(code), "writer")}


def _without_live_cells(raw: dict[str, list[list]], layouts) -> dict[str, list[list]]:
    """The sheet's values but the live checks' formulas (the fake computes arithmetic only;
    an empty text is a blank, as every backend reads it)."""
    live = {(layout.name, c.row - 1, c.col - 1) for layout in layouts for c in layout.cells
            if c.role == "live"}
    cleaned = {}
    for tab, rows in raw.items():
        cleaned[tab] = []
        for r, row in enumerate(rows):
            kept = [None if (tab, r, c) in live or v == "" else v for c, v in enumerate(row)]
            while kept and kept[-1] is None:
                kept.pop()
            cleaned[tab].append(kept)
    return cleaned


def test_shared_drive_mode_creates_lays_out_shares_and_records_once(
        prefect_harness, fake, tmp_path) -> None:
    drive = fake.add_shared_drive("Sở VHTTDL Lai Châu", {SA: "contentManager",
                                                          OTHER: "manager"})
    folder = fake.add_folder("Báo cáo TTCS 2025", parents=[drive])
    config = write_campaign(tmp_path, fake, {"mode": "shared_drive"}, folder)
    fake.reset_counts()
    dry = provision_flow(config, dry_run=True)
    assert dry["counts"]["create"] == 38 and dry["counts"]["share"] == 38 + 37
    assert writes(fake) == {} and sheets_by_unit(config) == {}  # a dry run changes nothing

    fake.reset_counts()
    result = provision_flow(config)
    assert result["created"] == 38 and result["failed"] == [] and result["notes"] == []
    # Per unit: one create, one batchUpdate (the whole layout), one permission per person.
    assert writes(fake) == {"drive.files.create": 38, "sheets.batchUpdate": 38,
                            "drive.permissions.create": 38 + 37}
    sheets = sheets_by_unit(config)
    assert set(sheets) == {u.code for u in UNITS}
    for unit in UNITS:
        f = fake.file(sheets[unit.code])
        assert f.drive_id == drive and f.parents == [folder] and f.owner is None
        # The coordinator who manages the drive keeps what the drive gives; the service
        # account is a member: the file's own sharing is the commune and the other coordinator.
        assert shared_with(fake, f.id) == {(COORDINATOR, "reader")} | commune(unit.code)
        assert fake.tabs(f.id) == [tab.name for tab in FORM.tabs]
    assert fake.notifications == []  # sendNotificationEmail=false, always

    # The layout is the template's: same cells, protected for all but the service account.
    unit = UNITS[7]
    sheet = sheets[unit.code]
    layouts = workbook_layout(FORM, unit, TEXTS)
    raw = {tab: fake.values(sheet, tab) for tab in fake.tabs(sheet)}
    assert _without_live_cells(raw, layouts) == workbook_values(layouts)
    assert find_unit_code(FORM, raw) == unit.code and layout_problems(FORM, unit, raw) == []
    book = fake.spreadsheet(sheet)
    assert all(p["editors"]["users"] == [SA] for s in book.sheets for p in s.protected)
    assert sum(len(s.validations) for s in book.sheets) > 0

    # The contacts keep their columns, their ";" and their BOM; the URL is added.
    text = (tmp_path / "contacts.csv").read_bytes()
    assert text.startswith("\ufeff".encode()) and b";ghi ch\xc3\xba " in text
    header = text.decode("utf-8-sig").splitlines()[0]
    assert header == "Mã đơn vị;Tên đơn vị;Email;Ghi chú của Sở;Bảng tính Google (ID hoặc " \
                     "đường dẫn)"
    assert f"https://docs.google.com/spreadsheets/d/{sheet}/edit" in text.decode("utf-8-sig")

    fake.reset_counts()
    again = provision_flow(config)
    assert (again["created"], again["shared"], again["recorded"], again["ready"]) == (0, 0, 0, 38)
    assert writes(fake) == {}
    assert sheets_by_unit(config) == sheets

    # The commune's e-mail arrives: exactly one permission is added.
    path = tmp_path / "contacts.csv"
    path.write_text(path.read_text(encoding="utf-8-sig").replace(
        f"{NO_EMAIL};{registry.unit(NO_EMAIL).name};;", f"{NO_EMAIL};"
        f"{registry.unit(NO_EMAIL).name};{email(NO_EMAIL)};"), encoding="utf-8-sig")
    fake.reset_counts()
    later = provision_flow(config)
    assert later["shared"] == 1 and writes(fake) == {"drive.permissions.create": 1}
    assert shared_with(fake, sheets[NO_EMAIL]) == {(COORDINATOR, "reader"),
                                                   (email(NO_EMAIL), "writer")}


def test_oauth_mode_the_coordinator_owns_the_sheets(prefect_harness, fake, tmp_path) -> None:
    folder = fake.add_folder("TTCS 2025 (của điều phối viên)", owner=COORDINATOR, shared_with={})
    token = tmp_path / "google-token.json"
    cached = fake.authorized_user_info(COORDINATOR, expired=True)
    token.write_text(json.dumps(cached), encoding="utf-8")
    config = write_campaign(tmp_path, fake, {"mode": "oauth", "oauth_token_file": str(token)},
                            folder)
    fake.reset_counts()
    result = provision_flow(config)
    assert result["created"] == 38 and result["failed"] == []
    assert result["actor"] == COORDINATOR
    refreshed = json.loads(token.read_text(encoding="utf-8"))
    assert refreshed["token"] != cached["token"] and refreshed["refresh_token"]
    assert token.stat().st_mode & 0o777 == 0o600
    assert {r.user for r in fake.requests() if r.kind in WRITES} == {COORDINATOR}
    sheets = sheets_by_unit(config)
    for unit in UNITS:
        f = fake.file(sheets[unit.code])
        assert f.owner == COORDINATOR and f.parents == [folder]
        assert shared_with(fake, f.id) == {(SA, "writer"), (OTHER, "reader")} | commune(
            unit.code)
    assert fake.notifications == []

    fake.reset_counts()
    again = provision_flow(config)
    assert (again["created"], again["shared"], again["ready"]) == (0, 0, 38)
    assert writes(fake) == {}
    # The service account reads what the coordinator created: the nightly run sees them all.
    from flows.nightly import nightly

    document = nightly(str(config), dt.datetime(2025, 9, 20, 22, 0, tzinfo=TZ))
    assert {u["status"] for u in document["units"]} == {"not_started"}


def test_without_a_cached_token_a_flow_never_opens_a_browser(tmp_path) -> None:
    from ttcs.google.oauth import LoginNeeded, user_credentials

    with pytest.raises(LoginNeeded, match="ttcs provision"):
        user_credentials(Provision(mode="oauth", oauth_token_file=tmp_path / "none.json"),
                         interactive=False)


@pytest.fixture
def own_fake():
    """A Google of its own: adoption looks at every sheet shared with the service account."""
    with FakeGoogle() as google:
        yield google
        assert google.internal_errors == [], google.internal_errors[-1]


def test_adopt_mode_finds_matches_checks_and_records(prefect_harness, own_fake,
                                                    tmp_path) -> None:
    fake = own_fake
    missing, broken, twice, known = (UNITS[i].code for i in (3, 9, 12, 20))
    seeded: dict[str, str] = {}
    when = dt.datetime(2025, 9, 10, 9, 0, tzinfo=TZ)
    for unit in UNITS:
        if unit.code == missing:
            continue
        raw = workbook_values(workbook_layout(FORM, unit, TEXTS))
        if unit.code == broken:
            del raw["PL02"]
        seeded[unit.code] = fake.add_spreadsheet(
            f"Bản sao của Mẫu báo cáo TTCS ({unit.name})", raw, owner=email(unit.code),
            shared_with={SA: "writer"}, modified_time=when)
    older = fake.add_spreadsheet("Bản sao cũ", workbook_values(workbook_layout(
        FORM, registry.unit(twice), TEXTS)), owner=email(twice), shared_with={SA: "writer"},
        modified_time=when - dt.timedelta(days=2))
    stray = fake.add_spreadsheet("Sổ ghi chép", {"Trang tính1": [["không có mã"]]},
                                 owner="ai-do@example.com", shared_with={SA: "writer"})
    summary = fake.add_spreadsheet("Tổng hợp tỉnh", {"Trang tính1": []}, owner=COORDINATOR)
    config = write_campaign(tmp_path, fake, {
        "mode": "adopt", "template_url": "https://docs.google.com/spreadsheets/d/MAU/copy"},
        summary_spreadsheet_id=summary)
    path = tmp_path / "contacts.csv"  # one unit was recorded by hand already
    path.write_text(path.read_text(encoding="utf-8-sig").replace(
        "Ghi chú của Sở", "Ghi chú của Sở;Bảng tính Google").replace(
        f"ghi chú {known}", f"ghi chú {known};{seeded[known]}"), encoding="utf-8-sig")
    fake.reset_counts()
    result = provision_flow(config)
    assert result["failed"] == []
    assert result["adopted"] == 36 and result["missing"] == [missing]
    assert list(result["problems"]) == [broken]
    (problem,) = result["problems"][broken]
    assert problem.startswith('Không tìm thấy trang "PL02"')
    notes = " ".join(result["notes"])
    assert stray in notes and older in notes and "MAU/copy" in notes and summary not in notes
    # Every sheet not yet known was read once (to find its unit); the summary never.
    assert fake.counts()["sheets.get"] == 36 + 2 and fake.counts(summary) == {}
    sheets = sheets_by_unit(config)
    assert sheets == {code: sid for code, sid in seeded.items()}
    for code, sheet in sheets.items():
        assert fake.file(sheet).owner == email(code)
        # The commune owns its copy; the coordinators are added as readers, nobody else.
        assert shared_with(fake, sheet) == {(SA, "writer"), (COORDINATOR, "reader"),
                                            (OTHER, "reader")}
    assert fake.notifications == []

    fake.reset_counts()
    again = provision_flow(config)
    assert (again["adopted"], again["shared"], again["ready"]) == (0, 0, 37)
    assert writes(fake) == {}
    # Only the two sheets it could not adopt are looked at again.
    assert fake.counts()["sheets.get"] == 2 and fake.counts()["drive.files.list"] == 1


def _ttcs(*args: str) -> subprocess.CompletedProcess[str]:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    return subprocess.run([str(Path(sys.executable).with_name("ttcs")), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_a_service_account_cannot_create_in_a_normal_folder(prefect_harness, fake,
                                                             tmp_path) -> None:
    folder = fake.add_folder("TTCS trong Drive của tôi")  # shared with the service account
    config = write_campaign(tmp_path, fake, {"mode": "shared_drive"}, folder)
    contacts = (tmp_path / "contacts.csv").read_bytes()
    dry = _ttcs("provision", "--config", str(config), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert planned["counts"]["create"] == 38
    assert any("không thuộc Drive dùng chung" in note for note in planned["notes"])
    fake.reset_counts()
    result = _ttcs("provision", "--config", str(config))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "storageQuotaExceeded" in lines[0] and "Drive dùng chung" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert fake.counts().get("drive.files.create") == 1  # never retried, nothing else tried
    assert writes(fake) == {"drive.files.create": 1}
    assert (tmp_path / "contacts.csv").read_bytes() == contacts

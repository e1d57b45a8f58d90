"""`ttcs demo` end to end, in process (a small province, against the session's Prefect
server)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl

from tests.conftest import cli
from ttcs.campaign import registry
from ttcs.campaign.settings import load_campaign
from ttcs.reminders.reminder_log import ReminderLog
from ttcs.run.classify import FLAGS, STATUSES
from ttcs.state.store import open_store


def test_demo_shows_every_status_and_flag(prefect_harness, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = cli("demo", "--dir", str(folder), "--province", "Lai Châu", "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["province"] == {"code": "12", "name": "Lai Châu"}
    assert document["as_of"] == "2025-10-03T22:00:00+07:00"  # three nights after the deadline
    assert {unit["status"] for unit in document["units"]} == set(STATUSES)
    # Every flag, "conflict" included: one demo commune sends its file twice.
    assert {flag for unit in document["units"] for flag in unit["flags"]} == set(FLAGS)
    written = json.loads((folder / "out" / "status.json").read_text(encoding="utf-8"))
    assert written == document
    summary = openpyxl.load_workbook(folder / "out" / "tong-hop.xlsx", read_only=True)
    assert summary.sheetnames == ["Tổng hợp", "Phụ lục 01", "Phụ lục 02", "Phụ lục 03",
                                  "Phụ lục 03 (tiếp)", "Tình trạng", "Lỗi", "Đánh giá"]
    check_review(summary["Lỗi"], document)
    status = cli("status", "--config", str(folder / "campaign.yaml"), "--json")
    assert json.loads(status.stdout) == document
    contacts = (folder / "contacts.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(contacts) == 1 + len(document["units"])
    assert all("@demo.invalid" in line for line in contacts[1:])
    check_mail(folder)
    check_reminders_after(folder)


# What the night's review says about the demo's units that wrote it on purpose (ttcs/demo.py).
REVIEW_WARNINGS = {"trùng hoàn toàn với nội dung của 1 đơn vị khác": 2,
                   "quá ngắn so với yêu cầu": 1, 'ghi "12 bảng tin"': 1,
                   "có đài truyền thanh, trong khi": 1}


def check_review(sheet: Any, document: dict[str, Any]) -> None:
    """Each review warning on the "Lỗi" tab on exactly the units that wrote it, each of which
    counts it among its warnings in status.json."""
    rows = [(row[1], str(row[7])) for row in sheet.iter_rows(values_only=True)
            if row and row[5] == "Cảnh báo"]
    warned = {unit["code"]: unit["warnings"] for unit in document["units"]}
    for words, units in REVIEW_WARNINGS.items():
        found = {code for code, message in rows if words in message}
        assert len(found) == units, words
        assert all(warned[code] >= 1 for code in found)


def check_mail(folder: Path) -> None:
    """One .eml per (unit, stage, channel) the reminder log has as sent, and no other, each
    parseable with a Vietnamese subject; a digest every morning; no path, no name twice."""
    campaign = load_campaign(folder / "campaign.yaml")
    log = ReminderLog(open_store(campaign.database)).entries()
    expected = Counter((e.planned_at.astimezone(campaign.tz).date(), e.unit, e.stage)
                       for e in log.values() if e.status == "sent" and e.channel == "email")
    mornings = sorted((folder / "out" / "mail").iterdir())
    assert [m.name for m in mornings] == [
        f"{dt.date(2025, 9, 24) + dt.timedelta(days=n):%Y-%m-%d}" for n in range(11)]
    found: Counter = Counter()
    for morning in mornings:
        day = dt.date.fromisoformat(morning.name)
        digests = 0
        for path in morning.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            text = message.get_body(("plain",)).get_content()
            assert str(folder) not in text and "/communes/" not in text
            if message["X-TTCS-Digest"]:
                digests += 1
                assert message["Subject"].startswith("[TTCS] Tổng hợp nhắc báo cáo 08:00 ngày")
                continue
            unit = message["X-TTCS-Unit"]
            name = registry.unit(unit).name
            found[(day, unit, int(message["X-TTCS-Stage"]))] += 1
            assert message["Subject"].startswith(f"[Nhắc báo cáo TTCS] {name}: ")
            assert text.splitlines()[0] == f"Kính gửi: Cán bộ {name} (mã {unit})."
            if "(đúng hạn)" in text:
                assert "quá hạn" not in text + message["Subject"]
        assert digests == 1
    assert found == expected and max(found.values()) == 1
    assert sum(found.values()) > 78  # every unit that owed at the first stage, and more


def check_reminders_after(folder: Path) -> None:
    """`ttcs remind --dry-run` on the demo agrees with what the demo sent, and stops at the end."""
    config = str(folder / "campaign.yaml")
    same_morning = cli("remind", "--config", config, "--dry-run", "--json", "--now",
                            "2025-09-29T08:00:00+07:00")
    assert same_morning.returncode == 0 and json.loads(same_morning.stdout) == []
    ended = cli("remind", "--config", config, "--dry-run", "--now",
                     "2026-12-01T08:00:00+07:00")
    assert ended.returncode == 0
    assert ended.stdout.startswith("Chiến dịch đã kết thúc") and ended.stdout.count("\n") == 1

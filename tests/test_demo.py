"""`ttcs demo` end to end (a small province, against the session's Prefect server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from tests.conftest import run_ttcs
from ttcs.classify import FLAGS, STATUSES


def test_demo_shows_every_status_and_flag(prefect_harness, tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    folder = tmp_path / "demo"
    result = subprocess.run(
        [str(Path(sys.executable).with_name("ttcs")), "demo", "--dir", str(folder),
         "--province", "Lai Châu", "--json"],
        capture_output=True, text=True, timeout=900,
        env={**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()},
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["province"] == {"code": "12", "name": "Lai Châu"}
    assert document["as_of"] == "2025-10-03T22:00:00+07:00"  # three nights after the deadline
    assert {unit["status"] for unit in document["units"]} == set(STATUSES)
    assert {flag for unit in document["units"] for flag in unit["flags"]} == set(FLAGS)
    written = json.loads((folder / "out" / "status.json").read_text(encoding="utf-8"))
    assert written == document
    summary = openpyxl.load_workbook(folder / "out" / "tong-hop.xlsx", read_only=True)
    assert summary.sheetnames == ["Tổng hợp", "Phụ lục 01", "Phụ lục 02", "Phụ lục 03",
                                  "Tình trạng", "Lỗi", "Đánh giá"]
    status = run_ttcs("status", "--config", str(folder / "campaign.yaml"), "--json")
    assert json.loads(status.stdout) == document
    contacts = (folder / "contacts.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(contacts) == 1 + len(document["units"])
    assert all("@demo.invalid" in line for line in contacts[1:])

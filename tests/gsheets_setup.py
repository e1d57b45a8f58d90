"""A province's commune sheets twice: as local .xlsx files and as spreadsheets on the fake
Google, with the same cells and modification times, plus a campaign file for each backend."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fakegoogle import FakeGoogle
from tests.conftest import CONFIG
from ttcs.campaign import registry
from ttcs.workbook.form import load_form
from ttcs.workbook.sample import valid_answers
from ttcs.workbook.template import render_workbook
from ttcs.workbook.xlsx import read_xlsx

FORM = load_form(CONFIG / "form.yaml")
TZ = dt.timezone(dt.timedelta(hours=7))
TEXTS = {"data_as_of": "30/09/2025", "deadline": "17:00 ngày 30/09/2025"}
# Long enough that the night's review does not find it too short: only its leading "=" matters.
FORMULA_TEXT = '=IMPORTXML("http://x.example/a","//a") được đơn vị dán vào phần đánh giá'


@dataclass
class Province:
    code: str
    local: Path  # campaign.yaml of the local backend
    google: Path  # campaign.yaml of the gsheets backend
    folder_id: str
    summary_id: str
    sheets: dict[str, str]  # unit code -> spreadsheet id


def answers_for(code: str, index: int) -> dict | None:
    """Blank, complete, or complete with a contradiction, by position; one unit quotes a
    formula in its assessment (data, never to be executed)."""
    unit = registry.unit(code)
    if index % 5 == 0:
        return None
    answers = valid_answers(FORM, unit, random.Random(code))
    if index % 5 == 1:
        answers[("PL02.web_boards", f"{code}:after", "boards_connected")] = 99
    if index == 2:
        answers[("sections", "A.1", "answer")] = FORMULA_TEXT
    return answers


def _campaign(path: Path, code: str, backend: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({
        "title": "Tổng kết thông tin cơ sở", "province": code, "data_as_of": "2025-09-30",
        "deadline": "2025-09-30T17:00:00+07:00", "form": str(CONFIG / "form.yaml"),
        "contacts": "contacts.csv", "output_dir": "out", "database": "sqlite:///state.db",
        "backend": backend}, allow_unicode=True), encoding="utf-8")
    return path


def google_settings(fake: FakeGoogle, key: Path, folder_id: str, summary_id: str,
                    **pacing: Any) -> dict[str, Any]:
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text(json.dumps(fake.service_account_info()), encoding="utf-8")
    return {"kind": "gsheets", "gsheets": {
        "credentials_file": str(key), "folder_id": folder_id,
        "summary_spreadsheet_id": summary_id, "api_endpoint": fake.url,
        "request_timeout_s": 2, "backoff_base_s": 0.05, "backoff_cap_s": 0.5, **pacing}}


def seed_province(fake: FakeGoogle, tmp: Path, code: str, **pacing: Any) -> Province:
    folder_id = fake.add_folder(f"TTCS {code}")
    summary_id = fake.add_spreadsheet("Tổng hợp TTCS", {"Trang tính1": []})
    edited = dt.datetime(2025, 9, 25, 10, 0, tzinfo=TZ)
    sheets = {}
    for index, unit in enumerate(registry.units(code)):
        path = render_workbook(FORM, unit, TEXTS, tmp / "local" / "communes" / f"{unit.code}.xlsx",
                               answers_for(unit.code, index))
        os.utime(path, (edited.timestamp(), edited.timestamp()))
        sheets[unit.code] = fake.add_spreadsheet(
            f"Báo cáo TTCS - {unit.name}", read_xlsx(path), parents=[folder_id],
            modified_time=edited)
    local = _campaign(tmp / "local" / "campaign.yaml", code,
                      {"kind": "local", "local": {"folder": "communes"}})
    google = _campaign(tmp / "google" / "campaign.yaml", code,
                       google_settings(fake, tmp / "google" / "key.json", folder_id, summary_id,
                                       **pacing))
    return Province(code, local, google, folder_id, summary_id, sheets)


READ_KINDS = ("sheets.get", "values.get", "values.batchGet")
FEEDBACK_KINDS = ("drive.files.get", "sheets.batchUpdate")


def commune_reads(fake: FakeGoogle, province: Province) -> int:
    """Read requests made on commune spreadsheets (metadata included), the feedback apart."""
    return sum(n for sheet_id in province.sheets.values()
               for kind, n in fake.counts(sheet_id).items() if kind in READ_KINDS)


def feedback_requests(fake: FakeGoogle, province: Province) -> int:
    """Requests of the feedback tab: the time checks before and after, and the write."""
    return sum(n for sheet_id in province.sheets.values()
               for kind, n in fake.counts(sheet_id).items() if kind in FEEDBACK_KINDS)

"""A campaign folder with one finished run over real commune workbooks (the nightly's domain
steps, no Prefect): what `ttcs report` reads, for a local or a gsheets campaign."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import CONFIG
from ttcs.campaign import registry
from ttcs.run.assess import classify_run, judge
from ttcs.run.collect import Located
from ttcs.state.store import open_store
from ttcs.workbook.form import Form
from ttcs.workbook.sample import valid_answers
from ttcs.workbook.template import render_workbook
from ttcs.workbook.xlsx import read_xlsx

TITLE = "Tổng kết thông tin cơ sở"
LOCAL = {"kind": "local", "local": {"folder": "communes"}}


def night(folder: Path, form: Form, codes: list[str]) -> None:
    """One finished run of Quảng Trị in ``folder``/state.db: ``codes`` sent valid workbooks."""
    store = open_store(f"sqlite:///{folder / 'state.db'}")
    now = dt.datetime(2025, 9, 30, 22, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    run_id = store.start_run(now, "44", "local")
    located = []
    for code in codes:
        unit = registry.unit(code)
        path = render_workbook(form, unit, {"data_as_of": "30/09/2025", "deadline": "17:00"},
                               folder / "communes" / f"{code}.xlsx",
                               valid_answers(form, unit, random.Random(code)))
        with store.begin() as conn:
            snapshot = store.put_snapshot(conn, run_id, code, str(path), now, read_xlsx(path))
        located.append(Located(code, snapshot, now - dt.timedelta(days=2), None, True))
    located += [Located(u.code, None, None, "không tìm thấy tệp") for u in registry.units("44")
                if u.code not in codes]
    classify_run(store, run_id, now, now + dt.timedelta(hours=1), located,
                 judge(store, form, located), [])
    store.finish_run(run_id, [])


def campaign_with_a_run(folder: Path, form: Form, codes: list[str],
                        backend: dict[str, Any] = LOCAL) -> Path:
    """``folder``/campaign.yaml (Quảng Trị, ``backend``) and its state database after
    :func:`night`; no province file."""
    (folder / "communes").mkdir(parents=True, exist_ok=True)
    path = folder / "campaign.yaml"
    path.write_text(yaml.safe_dump({
        "title": TITLE, "province": "44", "data_as_of": "2025-09-30",
        "deadline": "2025-09-30T17:00:00+07:00", "form": str(CONFIG / "form.yaml"),
        "contacts": "contacts.csv", "output_dir": "out", "database": "sqlite:///state.db",
        "backend": backend}, allow_unicode=True), encoding="utf-8")
    night(folder, form, codes)
    return path

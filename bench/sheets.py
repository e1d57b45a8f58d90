"""`make bench`: the gsheets backend against the fake Google, within a scaled quota.

Google's quota is 60 read requests per minute per user; here the fake and our pacing both use
60 per SECOND (quota, backoff and timeouts scaled together) so the bench ends in minutes.
Counts are HTTP requests the fake saw, token calls excluded, also per Google quota bucket
(Sheets reads, Sheets writes, Drive: each has its own quota). Prints a table and writes
bench-results.json at the repo root.

    .venv/bin/python -m bench.sheets [--scenarios a,b,...]   (from the repository root)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from fakegoogle import FakeGoogle, Record
from ttcs.campaign import registry
from ttcs.google.pacing import RetryPolicy
from ttcs.google.transport import Pacing, connect
from ttcs.workbook.form import load_form
from ttcs.workbook.layout import workbook_layout, workbook_values
from ttcs.workbook.sample import valid_answers

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench-data" / "google"
FORM = load_form(ROOT / "config" / "form.yaml")
TEXTS = {"data_as_of": "30/09/2025", "deadline": "17:00 ngày 30/09/2025"}
TZ = dt.timezone(dt.timedelta(hours=7))
NIGHT = dt.datetime(2025, 9, 29, 22, 0, tzinfo=TZ)
PROVINCE = "44"
SCALE = 60.0  # a Google minute lasts one second here
READS = 60
PACING = {"reads_per_minute": READS, "writes_per_minute": READS, "quota_window_s": 60 / SCALE,
          "request_timeout_s": 60 / SCALE, "backoff_base_s": 1 / SCALE,
          "backoff_cap_s": 32 / SCALE, "max_retries": 5}
COMMUNE_KINDS = ("sheets.get", "values.get", "values.batchGet")
FEEDBACK_KINDS = ("sheets.batchUpdate", "drive.files.get")
BUCKETS = ("sheets_read", "sheets_write", "drive")


@dataclass
class Seeded:
    configs: list[Path]
    sheets: dict[str, str]  # unit -> spreadsheet id
    summaries: list[str]


class PeakRss:
    """Peak resident memory of this process (the fake included) while a block runs."""

    def __enter__(self) -> PeakRss:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self.peak = max(self.peak, int(line.split()[1]) // 1024)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def seed(fake: FakeGoogle, provinces: list[str], folder: Path) -> Seeded:
    rng = random.Random(2025)
    key = folder / "key.json"
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text(json.dumps(fake.service_account_info()), encoding="utf-8")
    configs, sheets, summaries = [], {}, []
    for code in provinces:
        folder_id = fake.add_folder(f"TTCS {code}")
        summary_id = fake.add_spreadsheet("Tổng hợp", {"Trang tính1": []})
        summaries.append(summary_id)
        for index, unit in enumerate(registry.units(code)):
            answers = valid_answers(FORM, unit, rng) if index % 3 else None
            raw = workbook_values(workbook_layout(FORM, unit, TEXTS), answers)
            sheets[unit.code] = fake.add_spreadsheet(
                unit.name, raw, parents=[folder_id], modified_time=NIGHT - dt.timedelta(days=2))
        config = folder / code / "campaign.yaml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(yaml.safe_dump({
            "title": "Benchmark", "province": code, "data_as_of": "2025-09-30",
            "deadline": "2025-09-30T17:00:00+07:00", "form": str(ROOT / "config" / "form.yaml"),
            "contacts": "contacts.csv", "output_dir": "out", "database": "sqlite:///state.db",
            "backend": {"kind": "gsheets", "gsheets": {
                "credentials_file": str(key), "folder_id": folder_id,
                "summary_spreadsheet_id": summary_id, "api_endpoint": fake.url, **PACING}},
        }, allow_unicode=True), encoding="utf-8")
        configs.append(config)
    return Seeded(configs, sheets, summaries)


def bucket(record: Record) -> str:
    """The quota a request counts against: Drive's, or the Sheets read or write quota."""
    if record.kind.startswith("drive."):
        return "drive"
    return "sheets_read" if record.method == "GET" else "sheets_write"


def measure(name: str, fake: FakeGoogle, seeded: Seeded, run: Callable[[], None]) -> dict:
    fake.reset_counts()
    start = time.perf_counter()
    with PeakRss() as rss:
        run()
    wall = time.perf_counter() - start
    records = [r for r in fake.requests() if r.kind != "token"]
    summary_ids = set(seeded.summaries)
    commune_ids = set(seeded.sheets.values())
    return {
        "scenario": name,
        "units": len(seeded.sheets),
        "read_requests": sum(r.spreadsheet_id not in summary_ids and r.kind in COMMUNE_KINDS
                             for r in records),
        # the summary sheet, and the feedback tabs (time check, write, time check)
        "write_requests": sum(r.spreadsheet_id in summary_ids or (
            r.spreadsheet_id in commune_ids and r.kind in FEEDBACK_KINDS) for r in records),
        "list_requests": sum(r.kind == "drive.files.list" for r in records),
        **{name: sum(bucket(r) == name for r in records) for name in BUCKETS},
        "summary_writes": sum(r.spreadsheet_id in summary_ids and bucket(r) == "sheets_write"
                              for r in records),
        "http_429": sum(r.status == 429 for r in records),
        # every failed request (429, 5xx, dropped) is retried, up to 5 times
        "retries": sum(r.status in (0, 429) or r.status >= 500 for r in records),
        "wall_s": round(wall, 2),
        "peak_rss_mb": rss.peak,
    }


def ours(seeded: Seeded) -> Callable[[], None]:
    def run() -> None:
        from flows.nightly import nightly

        for config in seeded.configs:
            nightly(str(config), NIGHT)

    return run


def naive(fake: FakeGoogle, seeded: Seeded) -> Callable[[], None]:
    """The common way: open_by_key, then worksheet(title).get_all_values() per tab."""

    def run() -> None:
        policy = RetryPolicy(max_retries=5, base_s=1 / SCALE, cap_s=32 / SCALE)
        pacing = Pacing(READS, READS, 60 / SCALE, 60 / SCALE, policy)
        client = connect(fake.service_account_info(), pacing, fake.mount)
        titles = [tab.name for tab in FORM.tabs]
        for sheet_id in seeded.sheets.values():
            spreadsheet = client.open_by_key(sheet_id)
            for title in titles:
                spreadsheet.worksheet(title).get_all_values()

    return run


def touch(fake: FakeGoogle, seeded: Seeded, share: float) -> None:
    codes = sorted(seeded.sheets)
    changed = random.Random(7).sample(codes, math.ceil(share * len(codes)))
    for code in changed:
        fake.set_modified_time(seeded.sheets[code], NIGHT - dt.timedelta(hours=3))


def faults(fake: FakeGoogle, seeded: Seeded) -> None:
    """Every sheet changed, and 20 % of commune reads fail (429, 500, 503, timeouts)."""
    touch(fake, seeded, 1.0)
    fake.inject_faults(0.2, seed=3, timeout_s=2 * 60 / SCALE, only=COMMUNE_KINDS)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenarios", default="province-full,province-quiet,province-10pct,"
                        "province-faults,naive-province-full,country-full")
    wanted = parser.parse_args().scenarios.split(",")
    shutil.rmtree(WORK, ignore_errors=True)
    results = []
    from ttcs.cli.prefect_server import prefect_api

    with FakeGoogle(check_schema=False) as fake, prefect_api(home=ROOT / "bench-data" / "prefect"):
        fake.set_quota(read=READS, write=READS, window_s=60 / SCALE)
        province = seed(fake, [PROVINCE], WORK / "province")
        # Scenario -> what changes before it runs (seeding is not timed).
        prepare: dict[str, Callable[[], None]] = {
            "province-full": lambda: None,
            "province-quiet": lambda: None,
            "province-10pct": lambda: touch(fake, province, 0.1),
            "province-faults": lambda: faults(fake, province),
            "naive-province-full": lambda: None,
        }
        for name in [n for n in prepare if n in wanted]:
            prepare[name]()
            run = naive(fake, province) if name.startswith("naive") else ours(province)
            results.append(measure(name, fake, province, run))
            fake.clear_faults()
        if "country-full" in wanted:
            country = seed(fake, [p.code for p in registry.provinces()], WORK / "country")
            results.append(measure("country-full", fake, country, ours(country)))
    print(f"Quota scaled: {READS} reads per {60 / SCALE:g} s window (Google: {READS} per minute);"
          " backoff and timeouts scaled alike. Peak RSS includes the in-process fake.")
    columns = list(results[0])
    print(" | ".join(f"{c:>13}" for c in columns))
    for row in results:
        print(" | ".join(f"{row[c]!s:>13}" for c in columns))
    by_name = {r["scenario"]: r for r in results}
    if {"province-full", "naive-province-full"} <= by_name.keys():
        ratio = by_name["naive-province-full"]["read_requests"] / max(
            1, by_name["province-full"]["read_requests"])
        print(f"naive / ours (read requests, full refresh): {ratio:.1f}×")
    (ROOT / "bench-results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

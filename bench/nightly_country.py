"""Benchmark: the nightly flow over generated workbooks for every unit of the country.

Generates one workbook per unit for the 34 provinces (two in three filled with valid answers,
the rest blank), then runs the nightly flow once per province — a first night and a quiet
night — against a local Prefect server, and the same steps without Prefect to show its
overhead. Prints a table and writes bench-nightly.json. Not part of `make test`.

    .venv/bin/python bench/nightly_country.py [--dir DIR] [--provinces N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import time
from pathlib import Path

import yaml

from ttcs.backends.local import LocalBackend
from ttcs.campaign import registry
from ttcs.campaign.settings import load_campaign
from ttcs.outputs.publish import publish_outputs
from ttcs.run import collect
from ttcs.run.assess import classify_run, judge
from ttcs.state.store import open_store
from ttcs.workbook.form import load_form
from ttcs.workbook.sample import valid_answers
from ttcs.workbook.template import render_workbook

ROOT = Path(__file__).resolve().parent.parent
TEXTS = {"data_as_of": "30/09/2025", "deadline": "17:00 ngày 30/09/2025"}
NOW = dt.datetime(2025, 9, 29, 22, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
# Saved by the communes before the night that reads them: a file dated after NOW (today, when
# generated) would add a note to the first night only, and a second night would not be quiet.
SAVED = NOW - dt.timedelta(days=1)


def generate(base: Path, provinces: list[registry.ProvinceInfo]) -> list[Path]:
    form = load_form(ROOT / "config" / "form.yaml")
    rng = random.Random(2025)
    configs = []
    for province in provinces:
        folder = base / province.code
        for i, unit in enumerate(registry.units(province.code)):
            answers = valid_answers(form, unit, rng) if i % 3 else None
            path = render_workbook(form, unit, TEXTS, folder / "communes" / f"{unit.code}.xlsx",
                                   answers)
            os.utime(path, (SAVED.timestamp(), SAVED.timestamp()))
        config = folder / "campaign.yaml"
        config.write_text(yaml.safe_dump({
            "title": "Benchmark", "province": province.code, "data_as_of": "2025-09-30",
            "deadline": "2025-09-30T17:00:00+07:00", "form": str(ROOT / "config" / "form.yaml"),
            "contacts": "contacts.csv", "output_dir": "out", "database": "sqlite:///state.db",
            "backend": {"kind": "local", "local": {"folder": "communes"}}}), encoding="utf-8")
        configs.append(config)
    return configs


def direct(config: Path) -> None:
    """The nightly steps without Prefect (same outputs, no artifacts): the overhead figure."""
    campaign = load_campaign(config)
    store = open_store(campaign.database)
    form = load_form(campaign.form)
    backend = LocalBackend(campaign.backend.local.folder, campaign.read_limits)
    run_id = store.start_run(NOW, campaign.province_code, backend.name)
    to_read, unchanged = collect.plan(backend.list_sources(), store.sources())
    fetched = collect.fetch_batch(backend, store, form, run_id, to_read)
    expected = [u.code for u in registry.units(campaign.province_code)]
    located, notes = collect.locate(expected, unchanged + fetched, backend.describe_missing())
    verdicts = judge(store, form, located.values())
    classify_run(store, run_id, NOW, campaign.deadline, list(located.values()), verdicts, [])
    store.finish_run(run_id, notes)
    publish_outputs(store, campaign, run_id)  # status.json and the summary workbook


def reset_state(configs: list[Path]) -> None:
    """Back to before the first night: no database, no outputs (a summary workbook left from
    the Prefect nights would spare the direct first night its writing)."""
    for config in configs:
        for name in ("state.db", "state.db-wal", "state.db-shm"):
            (config.parent / name).unlink(missing_ok=True)
        shutil.rmtree(config.parent / "out", ignore_errors=True)


def timed(label: str, configs: list[Path], run) -> dict:
    start = time.perf_counter()
    for config in configs:
        run(config)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"scenario": label, "wall_s": round(wall, 1), "peak_rss_mb": round(peak)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, default=ROOT / "bench-data")
    parser.add_argument("--provinces", type=int, default=34)
    args = parser.parse_args()
    provinces = registry.provinces()[: args.provinces]
    units = sum(len(registry.units(p.code)) for p in provinces)
    shutil.rmtree(args.dir, ignore_errors=True)
    start = time.perf_counter()
    configs = generate(args.dir, provinces)
    print(f"generated {units} workbooks in {time.perf_counter() - start:.0f} s")

    from ttcs.cli.prefect_server import prefect_api

    results = []
    with prefect_api(home=args.dir / "prefect"):
        from flows.nightly import nightly

        flow = lambda config: nightly(str(config), NOW)  # noqa: E731
        results.append(timed("prefect-first-night", configs, flow))
        results.append(timed("prefect-quiet-night", configs, flow))
    reset_state(configs)
    results.append(timed("direct-first-night", configs, direct))
    results.append(timed("direct-quiet-night", configs, direct))
    for row in results:
        row["units"] = units
        row["flow_runs"] = len(configs)
        print(f"{row['scenario']:<22} {units:>5} units {row['wall_s']:>7} s "
              f"peak {row['peak_rss_mb']} MB")
    ratios = ratios_of({row["scenario"]: row["wall_s"] for row in results})
    for name, value in ratios.items():
        print(f"{name:<36} {value:.2f}")
    (ROOT / "bench-nightly.json").write_text(
        json.dumps({"runs": results, "ratios": ratios}, indent=2) + "\n")


def ratios_of(wall: dict[str, float]) -> dict[str, float]:
    """The goals of issue 15: quiet ≤ 0.10 × first night; Prefect ≤ 1.25 × direct."""
    return {
        "prefect quiet / first night": wall["prefect-quiet-night"] / wall["prefect-first-night"],
        "direct quiet / first night": wall["direct-quiet-night"] / wall["direct-first-night"],
        "first night prefect / direct": wall["prefect-first-night"] / wall["direct-first-night"],
    }


if __name__ == "__main__":
    main()

"""prefect.yaml names real flows, scheduled at night in Vietnam time."""

from __future__ import annotations

import importlib

import yaml
from prefect import Flow

from tests.conftest import ROOT


def test_nightly_deployment_points_at_the_flow_with_a_night_cron() -> None:
    project = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    deployment = next(d for d in project["deployments"] if d["name"] == "nightly")
    module, name = deployment["entrypoint"].removesuffix(".py").replace("/", ".").split(":")
    assert isinstance(getattr(importlib.import_module(module.replace(".py", "")), name), Flow)
    (schedule,) = deployment["schedules"]
    assert schedule["timezone"] == "Asia/Ho_Chi_Minh"
    _minute, hour, *_ = schedule["cron"].split()
    assert int(hour) >= 21 or int(hour) <= 4
    assert (ROOT / deployment["parameters"]["config"]).exists()

"""prefect.yaml names real flows, scheduled at night in Vietnam time; `ttcs deployments` plans
and writes one staggered nightly deployment per province."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import subprocess
from pathlib import Path

import pytest
import typer
import yaml
from prefect import Flow
from typer.testing import CliRunner

from tests.conftest import CONFIG, ROOT
from ttcs.campaign import night_plan
from ttcs.campaign.settings import load_campaign
from ttcs.cli.deployments import deployments


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


def test_report_deployment_runs_on_demand_on_the_same_pool() -> None:
    project = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    by_name = {d["name"]: d for d in project["deployments"]}
    assert set(by_name) == {"nightly", "remind", "provision", "report"}
    report = by_name["report"]
    assert report["entrypoint"] == "flows/report.py:report" and "schedules" not in report
    assert {d["work_pool"]["name"] for d in by_name.values()} == {"ttcs"}
    assert project["pull"][0]["prefect.deployments.steps.set_working_directory"] == {
        "directory": "{{ $TTCS_HOME }}"}


def _write_campaign(path: Path, province: str, backend: dict, **extra: object) -> Path:
    stem = path.stem
    path.write_text(yaml.safe_dump({
        "title": "Thử", "province": province, "data_as_of": "2025-09-30",
        "deadline": "2025-09-30T17:00:00+07:00", "form": str(CONFIG / "form.yaml"),
        "contacts": "contacts.csv", "output_dir": f"out-{stem}",
        "database": f"sqlite:///state-{stem}.db", "backend": backend, **extra,
    }, allow_unicode=True), encoding="utf-8")
    return path


def _sheets(**settings: object) -> dict:
    return {"kind": "gsheets", "gsheets": {"credentials_file": "key.json", **settings}}


def test_the_plan_staggers_provinces_by_their_minutes_at_the_quota(tmp_path: Path) -> None:
    hue = _write_campaign(tmp_path / "a.yaml", "46", _sheets())  # 40 units
    quang_tri = _write_campaign(tmp_path / "b.yaml", "Quảng Trị", _sheets(feedback_tab=False),
                                excluded_units=["19742"])  # 78 units, one excluded
    fast = _write_campaign(tmp_path / "c.yaml", "12", _sheets(reads_per_minute=300,
                                                              writes_per_minute=300))  # 38
    local = _write_campaign(tmp_path / "d.yaml", "11", {"kind": "local",
                                                        "local": {"folder": "communes"}})
    loaded = [(path, load_campaign(path)) for path in (hue, quang_tri, fast, local)]

    nights = night_plan.plan(loaded, dt.time(23, 50))

    assert [(n.province.name, n.units, n.reads, n.writes) for n in nights] == [
        ("Thành phố Huế", 40, 41, 43), ("Quảng Trị", 77, 78, 3), ("Lai Châu", 38, 39, 41),
        ("Điện Biên", 45, 0, 0)]
    assert [round(n.minutes, 2) for n in nights] == [1.4, 1.35, 0.27, 0.0]
    assert [n.uses_google for n in nights] == [True, True, True, False]
    # Slots: 1.4 × 1.25 → 2 min but at least 5; the same for the others: 5 min each,
    # across midnight.
    assert [n.cron for n in nights] == ["50 23 * * *", "55 23 * * *", "0 0 * * *", "5 0 * * *"]
    # A country-sized province at Google's quota takes its whole slot.
    assert night_plan.slot_minutes(3321 / 60 + 3321 / 60) == 139


@pytest.fixture(autouse=True)
def _no_ttcs_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TTCS_HOME", raising=False)


def _project(folder: Path) -> Path:
    """A project folder as the worker sees it: the flows and prefect.yaml."""
    folder.mkdir(parents=True)
    (folder / "flows").symlink_to(ROOT / "flows", target_is_directory=True)
    (folder / "prefect.yaml").write_bytes((ROOT / "prefect.yaml").read_bytes())
    return folder


def _deployments_app() -> typer.Typer:
    app = typer.Typer()
    app.command("deployments")(deployments)
    app.command("noop")(lambda: None)  # a group, so the command is called by its name
    return app


def _run(app: typer.Typer, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def test_deployments_writes_one_staggered_nightly_per_province(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    campaigns = project / "provinces"
    campaigns.mkdir()
    for name, province in (("lai-chau", "12"), ("hue", "46"), ("dien-bien", "11")):
        _write_campaign(campaigns / f"{name}.yaml", province, _sheets())
    (tmp_path / "elsewhere").mkdir()
    outside = _write_campaign(tmp_path / "elsewhere" / "quang-tri.yaml", "44", _sheets())
    app = _deployments_app()

    proc = _run(app, "deployments", "--campaigns", "provinces", "--start", "22:00",
                "--out", "plan.yaml", cwd=project)

    assert proc.returncode == 0, proc.stderr
    table = proc.stdout
    words = " ".join(table.split())
    assert "Kế hoạch chạy hằng đêm trên nhóm máy chạy 'ttcs' (tối đa 1 lượt cùng lúc)" in words
    # By file name: Điện Biên (45 units: 46 reads, 48 writes, 1,6 min), Huế, Lai Châu.
    rows = [line.split("│") for line in table.splitlines() if line.startswith("│")]
    assert [row[1].strip() for row in rows] == ["Điện Biên", "Thành phố Huế", "Lai Châu"]
    assert [c.strip() for c in rows[0][3:8]] == ["45", "22:00", "46", "48", "1,6"]
    assert "không dùng Google" not in words
    assert "Đã ghi plan.yaml" in words and "--apply" in words

    text = (project / "plan.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Generated by `ttcs deployments`")
    project = yaml.safe_load(text)
    assert project["pull"] == yaml.safe_load((ROOT / "prefect.yaml").read_text())["pull"]
    deployed = project["deployments"]
    assert [d["name"] for d in deployed] == ["nightly-11", "nightly-46", "nightly-12"]
    assert [d["schedules"] for d in deployed] == [
        [{"cron": f"{minute} 22 * * *", "timezone": "Asia/Ho_Chi_Minh"}] for minute in (0, 5, 10)]
    assert {d["entrypoint"] for d in deployed} == {"flows/nightly.py:nightly"}
    assert {d["work_pool"]["name"] for d in deployed} == {"ttcs"}
    # Inside the project: relative to it, as the worker's working directory will be.
    assert [d["parameters"]["config"] for d in deployed] == [
        "provinces/dien-bien.yaml", "provinces/hue.yaml", "provinces/lai-chau.yaml"]
    assert deployed[1]["tags"] == ["nightly", "Thành phố Huế"]

    # A campaign outside the project is named by its absolute path; another pool and limit.
    (campaigns / "dien-bien.yaml").rename(tmp_path / "elsewhere" / "dien-bien.yaml")
    proc = _run(app, "deployments", "--campaigns", str(tmp_path / "elsewhere"), "--pool", "k8s",
                "--concurrency", "3", "--out", "other.yaml", cwd=campaigns)
    assert proc.returncode == 0, proc.stderr
    assert "'k8s' (tối đa 3 lượt cùng lúc)" in " ".join(proc.stdout.split())
    other = yaml.safe_load((campaigns / "other.yaml").read_text(encoding="utf-8"))
    assert [d["parameters"]["config"] for d in other["deployments"]] == [
        str(tmp_path / "elsewhere" / "dien-bien.yaml"), str(outside)]
    assert {d["work_pool"]["name"] for d in other["deployments"]} == {"k8s"}


def test_run_from_the_campaigns_folder_twice_or_from_anywhere_with_ttcs_home(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path / "project")
    campaigns = project / "provinces"
    campaigns.mkdir()
    _write_campaign(campaigns / "hue.yaml", "46", _sheets())
    _write_campaign(campaigns / "dien-bien.yaml", "11", {"kind": "local",
                                                         "local": {"folder": "communes"}})
    app = _deployments_app()

    # The default file goes beside prefect.yaml, never among the campaigns: a second run works.
    runs = [_run(app, "deployments", "--campaigns", ".", cwd=campaigns) for _ in range(2)]
    assert [proc.returncode for proc in runs] == [0, 0], runs[-1].stderr
    assert sorted(path.name for path in campaigns.iterdir()) == ["dien-bien.yaml", "hue.yaml"]
    written = project / "prefect-provinces.yaml"
    assert f"Đã ghi {written}" in " ".join(runs[-1].stdout.split())
    configs = [d["parameters"]["config"] for d in
               yaml.safe_load(written.read_text(encoding="utf-8"))["deployments"]]
    # Relative to the project, where the worker runs the flows, not to the current folder.
    assert configs == ["provinces/dien-bien.yaml", "provinces/hue.yaml"]
    assert all((project / config).is_file() for config in configs)
    # A local campaign says why it costs no request, and still gets its slot.
    rows = [[c.strip() for c in line.split("│")[3:8]]
            for line in runs[-1].stdout.splitlines() if line.startswith("│")]
    assert rows == [["45", "22:00", "—", "—", "—"], ["40", "22:05", "41", "43", "1,4"]]
    words = " ".join(runs[-1].stdout.split())
    assert ("mỗi tỉnh bắt đầu sau tỉnh trước Phút × 1,25, ít nhất 5 phút; —: chiến dịch đọc thư "
            "mục trên máy, không dùng Google") in words

    # Our own file put among the campaigns (--out there) is recognised, not read as one.
    for _ in range(2):
        proc = _run(app, "deployments", "--campaigns", ".", "--out", "mine.yaml", cwd=campaigns)
        assert proc.returncode == 0, proc.stderr
    assert len(yaml.safe_load((campaigns / "mine.yaml").read_text())["deployments"]) == 2

    # From anywhere with TTCS_HOME: the same paths, the file in the project.
    written.unlink()
    monkeypatch.setenv("TTCS_HOME", str(project))
    proc = _run(app, "deployments", "--campaigns", str(campaigns), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [d["parameters"]["config"] for d in
            yaml.safe_load(written.read_text(encoding="utf-8"))["deployments"]] == configs


def test_deployments_refuses_in_one_line_what_would_mix_provinces(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    campaigns = project / "provinces"
    campaigns.mkdir()
    _write_campaign(campaigns / "a.yaml", "12", _sheets())
    twin = _write_campaign(campaigns / "b.yaml", "46", _sheets())
    twin.write_text(twin.read_text(encoding="utf-8").replace("state-b.db", "state-a.db"),
                    encoding="utf-8")
    app = _deployments_app()

    cases = {
        ("--campaigns", "provinces"): "a.yaml và b.yaml dùng chung cơ sở dữ liệu sqlite:///",
        ("--campaigns", "nowhere"): "--campaigns nowhere: không phải thư mục",
        ("--campaigns", "provinces", "--start", "25:00"):
            "--start '25:00' không đúng dạng HH:MM",
    }
    for args, message in cases.items():
        proc = _run(app, "deployments", *args, cwd=project)
        assert proc.returncode == 2, (args, proc.stdout)
        assert message in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    assert not (project / "prefect-provinces.yaml").exists()

    # Outside the project without TTCS_HOME: said before any Prefect server is looked for.
    proc = _run(app, "deployments", "--campaigns", str(campaigns), "--apply", cwd=tmp_path)
    assert (proc.returncode, proc.stderr.strip()) == (
        2, f"Lỗi: không thấy thư mục dự án ttcs (có flows/nightly.py) ở {tmp_path} hay thư mục "
           "cha của nó; hãy chạy từ thư mục dự án hoặc đặt TTCS_HOME")

"""What the coordinator sees of a run: its name, its Vietnamese log, its artifacts (dd/mm/yyyy
HH:MM, 2.316, 88,5%, each unit linked to its sheet). The last test reads all of it back from a
real Prefect server after a real `ttcs nightly`."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import CONFIG
from ttcs.campaign import registry
from ttcs.outputs import night_log
from ttcs.outputs.attention import SHEET, attention_rows, sheet_link, summary_markdown
from ttcs.outputs.consolidate import Consolidation
from ttcs.outputs.feedback import Report
from ttcs.outputs.run_result import RunResult, UnitResult
from ttcs.vi_format import moment, number, percent, share
from ttcs.workbook.issues import Issue

TZ = dt.timezone(dt.timedelta(hours=7))
AS_OF = dt.datetime(2025, 10, 3, 15, 0, tzinfo=dt.UTC)  # 22:00 in Vietnam
DEADLINE = dt.datetime(2025, 9, 30, 17, 0, tzinfo=TZ)
A, B, C = "18904", "18859", "19742"
SHEET_ID = "1AbCdEf-sheet"
FIGURE = {"label": "Đài truyền thanh cấp xã", "outline": "B.I.1.a", "value": 2316,
          "denominator": 2617, "percent_of_registry": 88.5, "covered": 2500, "expected": 2617,
          "rate": 0.9264, "coverage": "2.500/2.617 đơn vị đã báo cáo"}


def _unit(code: str, status: str, flags: tuple[str, ...] = (), reason: str | None = None,
          ) -> UnitResult:
    unit = registry.unit(code)
    return UnitResult(code, unit.name, unit.type, status, flags, 0, 0, None, None, reason)


def _result(figure: dict) -> RunResult:
    units = (_unit(A, "needs_fix", ("inconsistent",)), _unit(B, "unreachable", ("late",),
                                                              "tệp hỏng"),
             _unit(C, "submitted"))
    issues = (Issue(A, "PL02", "J12", "boards_connected", "rule", "contradiction",
                    "Ô J12: Số bảng tin kết nối (5) lớn hơn tổng số | bảng tin (3)"),)
    figures = Consolidation({}, {"x": figure, "texts": {**FIGURE, "value": ["a"]}}, {}, [C],
                            [A, B, C], {"before": 10, "after": 3})
    return RunResult(7, "Tổng kết", registry.find_province("44"), AS_OF, DEADLINE, None,
                     dt.timezone(dt.timedelta(hours=7)), units, issues, figures)


def test_vietnamese_numbers_and_times() -> None:
    assert [number(2316), number(2316.0), number(0.42), number(1234.5), number(3321000)] == \
        ["2.316", "2.316", "0,42", "1.234,5", "3.321.000"]
    assert number(0.8227, 1) == "0,8"
    assert [percent(88.5), percent(100), share(0.885), share(1 / 3)] == \
        ["88,5%", "100,0%", "88,5%", "33,3%"]
    assert moment(AS_OF, TZ) == "03/10/2025 22:00"


def test_summary_dates_numbers_and_links_before_the_coverage_keys() -> None:
    result = _result(FIGURE)
    rows = attention_rows(result, links={A: sheet_link(SHEET_ID, "gsheets"),
                                         B: sheet_link("/srv/communes/18859-hong.xlsx", "local")})
    markdown = summary_markdown(result, rows)

    assert "số liệu lúc 03/10/2025 22:00 (hạn nộp 30/09/2025 17:00), lượt chạy 7" in markdown
    assert "T" not in markdown.split("số liệu lúc ")[1][:16]  # never a raw ISO time
    assert "| B.I.1.a | Đài truyền thanh cấp xã | 2.316 | 92,6% | 88,5% |" in markdown
    assert "Đã nộp hợp lệ: 0/3 (0,0%); đúng hạn: 0." in markdown
    assert "texts" not in markdown and "['a']" not in markdown  # compiled answers stay out
    # Each unit needing attention links to its sheet: Google's link, a local file's name.
    link = f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit"
    assert [r[SHEET] for r in rows] == [link, "18859-hong.xlsx"]
    assert rows[0]["Lỗi đầu tiên"] == ("PL02, Ô J12: Số bảng tin kết nối (5) lớn hơn tổng số | "
                                       "bảng tin (3)")  # the cell named once
    assert f"| [mở bảng tính]({link}) |" in markdown
    assert "| tệp hỏng | 18859-hong.xlsx |" in markdown
    assert "tổng số / bảng tin" in markdown  # a | in a message never breaks the table
    assert C not in {r["Mã"] for r in rows}


def test_summary_shows_each_figures_rates_and_coverage_as_the_workbook_does() -> None:
    markdown = summary_markdown(_result(FIGURE), [])
    assert "| 2.316 | 92,6% | 88,5% |  | 2.500/2.617 đơn vị đã báo cáo |" in markdown
    per_village = FIGURE | {"rate": None, "percent_of_registry": None, "ratio": 1.8512}
    assert "| 2.316 |  |  | 1,85 | 2.500/2.617 đơn vị đã báo cáo |" in summary_markdown(
        _result(per_village), [])


def test_the_nights_log_lines_say_what_each_step_did(tmp_path: Path) -> None:
    from ttcs.backends import Source
    from ttcs.campaign.settings import load_campaign
    from ttcs.run.collect import Fetched
    from ttcs.state.store import UnitRun

    source = Source("/srv/communes/18904.xlsx", None)
    fetched = [Fetched(source, A, 1, read_now=True),
               Fetched(Source("/srv/communes/hong.xlsx", None), None, None, "tệp hỏng")]
    assert night_log.listed([source] * 3, fetched[:1] * 2) == (
        "Liệt kê: 5 tệp/bảng tính; 3 mới hoặc đã sửa cần đọc, 2 không đổi từ lần đọc trước.")
    assert night_log.read(fetched) == "Đọc: 1 đọc được, 1 không đọc được: hong.xlsx (tệp hỏng)."
    rows = [UnitRun(code, status, [], None, None, None) for code, status in
            [(A, "submitted"), (B, "not_started"), (C, "not_started")]]
    assert night_log.statuses(rows) == "Trạng thái của 3 đơn vị: chưa bắt đầu 2, đã nộp 1."
    local = load_campaign(CONFIG / "campaign.yaml")
    assert night_log.feedback(Report(), local).endswith("không áp dụng (chỉ ghi vào bảng "
                                                        "tính Google của đơn vị).")
    assert night_log.outputs(tmp_path, ["status.json"], 2316, 3321) == (
        f"Kết quả: đã ghi status.json vào {tmp_path}; đã nộp hợp lệ 2.316/3.321 đơn vị.")


def _campaign(tmp: Path, **extra: object) -> Path:
    path = tmp / "campaign.yaml"
    path.write_text(yaml.safe_dump({
        "title": "Thử nghiệm", "province": "44", "data_as_of": "2025-09-30",
        "deadline": DEADLINE.isoformat(), "form": str(CONFIG / "form.yaml"),
        "contacts": "contacts.csv", "output_dir": "out", "database": "sqlite:///state.db",
        "backend": {"kind": "local", "local": {"folder": "communes"}}, **extra,
    }, allow_unicode=True), encoding="utf-8")
    (tmp / "communes").mkdir(exist_ok=True)
    return path


def test_run_titles_name_the_night_and_the_province(tmp_path: Path) -> None:
    from flows.hooks import title

    config = str(_campaign(tmp_path))
    assert title("nightly", config, AS_OF) == "nightly 03/10/2025 22:00 — Quảng Trị"
    assert title("remind", config, "2025-10-04T01:00:00+00:00") == \
        "remind 04/10/2025 08:00 — Quảng Trị"
    # A campaign that cannot be loaded still gives a name (the run then fails with why).
    assert title("report", str(tmp_path / "missing.yaml"), AS_OF) == "report 03/10/2025 22:00"
    now = title("provision", config, None)
    assert now.startswith("provision ") and now.endswith(" — Quảng Trị")


def test_a_real_night_read_back_from_the_prefect_server(prefect_harness, tmp_path: Path) -> None:
    """`ttcs nightly` against a real server: the run's name, its Vietnamese log lines and its
    artifacts as the UI shows them; none of the log reaches the terminal."""
    import random

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterName,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.settings import PREFECT_API_URL

    from ttcs.workbook.form import load_form
    from ttcs.workbook.sample import valid_answers
    from ttcs.workbook.template import render_workbook

    config = _campaign(tmp_path)
    form = load_form(CONFIG / "form.yaml")
    texts = {"data_as_of": "30/09/2025", "deadline": "17:00 ngày 30/09/2025"}
    answers = valid_answers(form, registry.unit(C), random.Random(C))
    render_workbook(form, registry.unit(C), texts, tmp_path / "communes" / f"{C}.xlsx", answers)
    os.utime(tmp_path / "communes" / f"{C}.xlsx", (DEADLINE.timestamp() - 86400,) * 2)
    (tmp_path / "communes" / f"{A}-hong.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "HOME": str(tmp_path)}

    command = subprocess.run(
        [str(Path(sys.executable).with_name("ttcs")), "nightly", "--config", str(config),
         "--now", "2025-10-02T21:30:00+07:00"],
        capture_output=True, text=True, env=env, timeout=600)

    assert command.returncode == 0, command.stderr
    for noise in ("Liệt kê", "Trạng thái của", "Finished in state", "INFO", "Traceback"):
        assert noise not in command.stdout + command.stderr
    name = "nightly 02/10/2025 21:30 — Quảng Trị"
    with get_client(sync_client=True) as client:
        [run] = [r for r in client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])))
            if r.parameters["config"] == str(config)]
        logs = [log.message for log in client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))]
        artifacts = {a.key: a for a in client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))}

    assert run.state_name == "Completed"
    expected = len(registry.units("44"))
    steps = [
        "Liệt kê: 2 tệp/bảng tính; 2 mới hoặc đã sửa cần đọc, 0 không đổi từ lần đọc trước.",
        f"Đọc: 1 đọc được, 1 không đọc được: {A} (",
        f"Trạng thái của {expected} đơn vị: không truy cập được {expected - 1}, đã nộp 1.",
        'Trang "Kết quả kiểm tra": không áp dụng (chỉ ghi vào bảng tính Google của đơn vị).',
        f"Kết quả: đã ghi status.json, tong-hop.xlsx vào {tmp_path / 'out'}; đã nộp hợp lệ "
        f"1/{expected} đơn vị.",
    ]
    for step in steps:
        assert any(line.startswith(step) for line in logs), (step, logs)
    summary = artifacts["nightly-summary"].data
    assert "số liệu lúc 02/10/2025 21:30 (hạn nộp 30/09/2025 17:00)" in summary
    assert "+07:00" not in summary and "2025-" not in summary
    assert f"Đã nộp hợp lệ: 1/{expected} (1,3%)" in summary
    assert f"| {A} | " in summary and "không truy cập được" in summary
    assert "| Bảng tính |" in summary
    assert f"| {A}-hong.xlsx |" in summary  # the unreadable unit linked to its file


def test_sheet_links_come_from_the_sheet_each_unit_was_judged_on(tmp_path: Path) -> None:
    from ttcs.outputs.attention import sheet_links
    from ttcs.state.store import UnitRun, open_store

    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    run_id = store.start_run(AS_OF, "44", "gsheets")
    with store.begin() as conn:
        judged = store.put_snapshot(conn, run_id, A, SHEET_ID, AS_OF, {"PL01": [[1]]})
        verdict = store.put_verdict(conn, judged, "form", "submitted", [], {})
        store.remember_source(conn, "1Unreadable", AS_OF, B, None)  # read before, fails now
        store.put_unit_runs(conn, run_id, [
            UnitRun(A, "submitted", [], verdict, AS_OF, None),
            UnitRun(B, "unreachable", [], None, None, "không mở được"),
            UnitRun(C, "unreachable", [], None, None, "không tìm thấy")])

    assert sheet_links(store, run_id, "gsheets") == {
        A: f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit",
        B: "https://docs.google.com/spreadsheets/d/1Unreadable/edit"}

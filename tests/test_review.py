"""The night's review (issue 12): warnings on what units wrote and on the merger, and against
the other units' accepted submissions — over records of real workbooks (tests/workbooks.py),
read through the same path as the nightly run (read_xlsx, validate_raw, assess.record)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.workbooks import BAC_LY, DONG_THUAN, LOC_NINH, QUANG_PHU, Book, section, station, web
from ttcs.campaign import registry
from ttcs.run.assess import record
from ttcs.run.cross_checks import review
from ttcs.workbook.form import Form
from ttcs.workbook.layout import Ref

COMMUNES = [u.code for u in registry.units("44") if u.type == "xã"][:9]
NO, YES = "Không", "Có"


def _unremarkable(form: Form, code: str) -> dict[Ref, Any]:
    """Answers the review has nothing to say about: assessments of the unit's own (distinct
    from every other unit's, long enough), and the new unit keeping its old units' station
    and bulletin boards."""
    unit = registry.unit(code)
    olds = [p.code for p in unit.predecessors]
    cells = {section(s.id): f"{unit.name}, mục {s.id}: đã triển khai theo kế hoạch của tỉnh, "
                            f"có kiểm tra, đôn đốc định kỳ hằng quý." for s in
             form.sections.commune_sections}
    cells |= {web(old, "before", field): value for old in olds
              for field, value in (("boards", 1), ("boards_connected", 0))}
    return cells | {web(code, "after", "boards"): len(olds),
                    web(code, "after", "boards_connected"): 0,
                    station(code, "after", "has_station"): YES,
                    station(code, "after", "kind_fm"): YES}


def _record(form: Form, tmp: Path, code: str, seed: int = 1,
            cells: dict[Ref, Any] | None = None) -> dict:
    answers = _unremarkable(form, code) | (cells or {})
    verdict = Book(form, code, tmp / f"{code}-{seed}.xlsx", seed=seed, answers=answers).verdict()
    assert verdict.status == "submitted", verdict.issues
    return record(verdict.parsed)


def _rules(found: dict, unit: str) -> list[str]:
    return [issue.rule for issue in found.get(unit, [])]


def test_a_pasted_text_is_flagged_on_each_unit_that_pasted_it(form, tmp_path) -> None:
    a, b, c = COMMUNES[:3]
    pasted = ("Hệ thống truyền thanh hoạt động ổn định, nội dung tuyên truyền kịp thời, đúng "
              "định hướng của cấp ủy")
    records = {
        a: _record(form, tmp_path, a, cells={section("C.1"): pasted}),
        # the same text with other spaces and capitals is the same text
        b: _record(form, tmp_path, b, cells={section("C.1"): "  " + pasted.upper().replace(
            " ", "   ") + " "}),
        c: _record(form, tmp_path, c),
    }
    found = review(form, records, records)
    assert _rules(found, a) == _rules(found, b) == ["text_pasted"]
    assert c not in found
    (on_a,), (on_b,) = found[a], found[b]
    assert (on_a.sheet, on_a.cell) == ("Đánh giá", Book(form, a, tmp_path / "x.xlsx").a1(
        section("C.1")))
    assert registry.unit(b).name in on_a.message and registry.unit(a).name in on_b.message
    assert registry.unit(c).name not in on_a.message
    assert on_a.message.startswith(f"Ô {on_a.cell}: nội dung mục C.1 (")
    assert "trùng hoàn toàn với nội dung của 1 đơn vị khác" in on_a.message
    # Judged over the accepted submissions only: a unit that has not submitted is no party.
    found = review(form, records, {a: records[a], c: records[c]})
    assert a not in found and b not in found


def test_a_figure_far_outside_its_type_is_flagged(form, tmp_path) -> None:
    villages = [12, 15, 9, 14, 11, 13, 10, 16]
    records = {}
    for code, count in zip(COMMUNES, [*villages, 140], strict=True):
        clusters = station(code, "after", "it_clusters")
        records[code] = _record(form, tmp_path, code, cells={
            station(code, "after", "villages"): count, clusters: 0,
            station(code, "after", "kind_it"): NO, station(code, "after", "converted_to_it"): NO,
            station(code, "after", "kind_fm"): YES, station(code, "after", "has_station"): YES})
    found = review(form, records, records)
    far = COMMUNES[-1]
    about_villages = {unit for unit, issues in found.items() for i in issues
                      if i.rule == "outlier" and "thôn" in i.message}
    assert about_villages == {far}
    (issue,) = [i for i in found[far] if i.rule == "outlier" and "thôn" in i.message]
    assert issue.sheet == "PL01" and issue.cell == Book(form, far, tmp_path / "y.xlsx").a1(
        station(far, "after", "villages"))
    assert "là 140, khác xa mức chung của 9 xã đã nộp trong tỉnh (trung vị 13)" in issue.message
    # Fewer than outlier_min_units units of the type: nothing is judged.
    few = {code: records[code] for code in COMMUNES[-7:]}
    assert not any(i.rule == "outlier" for issues in review(form, few, few).values()
                   for i in issues)


def _merged(station_after: bool, boards_after: int) -> dict[Ref, Any]:
    code = DONG_THUAN
    cells: dict[Ref, Any] = {}
    for old, boards in ((BAC_LY, 4), (QUANG_PHU, 3), (LOC_NINH, 3)):
        cells |= {web(old, "before", "boards"): boards,
                  web(old, "before", "boards_connected"): 0}
    cells |= {station(BAC_LY, "before", "has_station"): YES,
              station(BAC_LY, "before", "kind_fm"): YES,
              web(code, "after", "boards"): boards_after,
              web(code, "after", "boards_connected"): 0}
    if not station_after:
        cells |= {station(code, "after", field): NO for field in
                  ("has_station", "kind_wired", "kind_fm", "kind_it", "converted_to_it")}
        cells[station(code, "after", "it_clusters")] = 0
    return cells


def test_the_merger_checks(form, tmp_path) -> None:
    lost = _record(form, tmp_path, DONG_THUAN, cells=_merged(False, 2))
    found = review(form, {DONG_THUAN: lost}, {})
    assert _rules(found, DONG_THUAN) == ["merger_station_lost", "merger_boards_drop"]
    station_issue, boards_issue = found[DONG_THUAN]
    book = Book(form, DONG_THUAN, tmp_path / "z.xlsx")
    assert (station_issue.sheet, station_issue.cell) == (
        "PL01", book.a1(station(DONG_THUAN, "after", "has_station")))
    assert "Phường Bắc Lý" in station_issue.message
    assert (boards_issue.sheet, boards_issue.cell) == (
        "PL02", book.a1(web(DONG_THUAN, "after", "boards")))
    assert "khai 2 bảng tin điện tử công cộng, ít hơn nhiều so với tổng 10 bảng tin" in \
        boards_issue.message
    kept = _record(form, tmp_path, DONG_THUAN, seed=2, cells=_merged(True, 5))  # half of 10
    assert review(form, {DONG_THUAN: kept}, {}) == {}


def test_a_required_assessment_too_short(form, tmp_path) -> None:
    code = COMMUNES[0]
    short = _record(form, tmp_path, code, cells={section("A.1"): "Đã ban hành kế hoạch.",
                                                  section("B.IV.1"): "Không có."})
    (issue,) = review(form, {code: short}, {})[code]
    assert (issue.rule, issue.kind, issue.sheet, issue.field) == (
        "assessment_too_short", "warning", "Đánh giá", "A.1")
    assert issue.cell == Book(form, code, tmp_path / "w.xlsx").a1(section("A.1"))
    assert "chỉ có 21 ký tự, quá ngắn so với yêu cầu (ít nhất 50)" in issue.message


@pytest.mark.parametrize(("text", "flagged"), [
    ("Đến nay xã có 12 bảng tin điện tử công cộng, phục vụ tốt nhu cầu của người dân.", True),
    ("Đến nay xã có 1.200 lượt người được tập huấn về kỹ năng tuyên truyền cơ sở.", True),
    ("Đến nay xã có 5 bảng tin điện tử công cộng, trong đó 2 bảng tin đã kết nối.", False),
    ("Các xã cũ có tổng 9 bảng tin; giai đoạn 2021 - 2025 bảng tin được nâng cấp, năm 2024 "
     "bảng tin mới được lắp đặt thêm ở trung tâm.", False),
    ("Giai đoạn 2021–2025 tổ chức 4 buổi tập huấn cho 2021 cán bộ và tuyên truyền viên.", False),
])
def test_a_number_in_a_text_against_the_units_table(form, tmp_path, text, flagged) -> None:
    code = COMMUNES[0]
    book = Book(form, code, tmp_path / "v.xlsx")
    olds = [p.code for p in registry.unit(code).predecessors]
    cells = {web(old, "before", "boards"): 0 for old in olds} | {
        web(old, "before", "boards_connected"): 0 for old in olds}
    cells |= {web(olds[0], "before", "boards"): 9, web(code, "after", "boards"): 5,
              web(code, "after", "boards_connected"): 2,
              ("PL03.training", "", "training_sessions"): 4,
              ("PL03.training", "", "training_participants"): 120, section("C.1"): text}
    found = review(form, {code: _record(form, tmp_path, code, cells=cells)}, {})
    issues = [i for i in found.get(code, []) if i.rule == "text_number_mismatch"]
    assert len(issues) == flagged
    if flagged:
        (issue,) = issues
        assert (issue.sheet, issue.cell) == ("Đánh giá", book.a1(section("C.1")))
        assert issue.message.startswith(f"Ô {issue.cell}: mục C.1 ghi ")
        assert "đề nghị kiểm tra lại cho thống nhất" in issue.message


def test_the_review_is_redone_each_night_over_the_accepted_submissions(
        prefect_harness, form, tmp_path) -> None:
    """Three communes submit, two with the same text; the next night one of them rewrites its
    own: the other, whose file did not change, loses its warning. status.json carries the
    warnings and every figure's coverage."""
    import datetime as dt
    import os

    import yaml

    from flows.nightly import nightly
    from tests.conftest import CONFIG
    from ttcs.campaign.settings import load_campaign
    from ttcs.outputs import run_result
    from ttcs.state.store import open_store

    tz = dt.timezone(dt.timedelta(hours=7))
    config = tmp_path / "campaign.yaml"
    config.write_text(yaml.safe_dump({
        "title": "Thử nghiệm", "province": "44", "data_as_of": "2025-09-30",
        "deadline": "2025-09-30T17:00:00+07:00", "form": str(CONFIG / "form.yaml"),
        "contacts": "contacts.csv", "output_dir": "out", "database": "sqlite:///state.db",
        "backend": {"kind": "local", "local": {"folder": "communes"}}}, allow_unicode=True),
        encoding="utf-8")
    (tmp_path / "communes").mkdir()
    a, b, c = COMMUNES[:3]
    pasted = {section("C.1"): "Hệ thống truyền thanh hoạt động ổn định, nội dung tuyên truyền "
                              "kịp thời, đúng định hướng của cấp ủy"}

    def submit(code: str, cells: dict, when: dt.datetime) -> None:
        path = tmp_path / "communes" / f"{code}.xlsx"
        Book(form, code, path, answers=_unremarkable(form, code) | cells)
        os.utime(path, (when.timestamp(), when.timestamp()))

    day1 = dt.datetime(2025, 9, 25, 10, tzinfo=tz)
    submit(a, pasted, day1)
    submit(b, pasted, day1)
    submit(c, {}, day1)
    first = nightly(str(config), day1 + dt.timedelta(hours=12))
    submit(b, {}, day1 + dt.timedelta(days=1))
    second = nightly(str(config), day1 + dt.timedelta(days=1, hours=12))

    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    campaign = load_campaign(config)
    runs = [store.latest_run(day1 + dt.timedelta(days=d, hours=12)) for d in (0, 1)]
    pasted_on = [{unit for unit, issues in run_result.load(store, campaign, run_id)
                  .issues_by_unit().items() if any(i.rule == "text_pasted" for i in issues)}
                 for run_id in runs]
    assert pasted_on == [{a, b}, set()]
    units = [{u["code"]: u for u in doc["units"]} for doc in (first, second)]
    assert [(u[a]["flags"], u[a]["warnings"]) for u in units] == [(["warnings"], 1), ([], 0)]
    assert units[0][c]["flags"] == [] and units[0][c]["status"] == "submitted"
    assert store.snapshot_count() == 4  # night 2 read only b's new file

    figures = second["totals"]["figures"]
    expected = len(registry.units("44"))
    assert figures["pl01_after_station"]["covered"] == 3
    assert figures["pl01_after_station"]["expected"] == expected
    assert figures["pl01_after_station"]["coverage"] == f"3/{expected} đơn vị đã báo cáo"
    old_units = sum(len(registry.unit(code).predecessors) for code in (a, b, c))
    assert figures["pl01_before_station"]["covered"] == old_units
    assert figures["pl01_before_station"]["unit_word"] == "đơn vị cũ"
    on_disk = json.loads((tmp_path / "out" / "status.json").read_text(encoding="utf-8"))
    assert on_disk["totals"]["figures"] == figures

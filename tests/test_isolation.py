"""Per-unit isolation: whatever one unit's workbook does, that unit gets a status with a reason
or its issues, and every other unit is judged exactly as it would be without it."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from tests import hostile
from tests.conftest import CONFIG, run_ttcs
from tests.workbooks import DONG_THUAN, TEXTS, Book, training
from ttcs.campaign import registry
from ttcs.cli.app import app
from ttcs.run.assess import classify_run, form_hash, judge
from ttcs.run.collect import Located
from ttcs.state.store import open_store
from ttcs.text import key
from ttcs.workbook.form import Form, MatrixBlock, SectionsBlock, UnitsBlock, load_form
from ttcs.workbook.sample import valid_answers
from ttcs.workbook.template import render_workbook
from ttcs.workbook.xlsx import read_xlsx

RETYPED = "Nhãn đã bị gõ lại"
CAMPAIGN = str(CONFIG / "campaign.yaml")
FORM = load_form(CONFIG / "form.yaml")


def _labels(form: Form) -> list[str]:
    """Every label the parser looks for, once each, in the form's order."""
    found = list(form.unit_header.values())
    for tab in form.tabs:
        for block in tab.blocks:
            if isinstance(block, UnitsBlock):
                found += [block.key_label, block.name_label, block.period_label,
                          block.before_label, block.after_label]
            elif isinstance(block, MatrixBlock):
                found += [block.row_label] + [row.label for row in block.rows]
            elif isinstance(block, SectionsBlock):
                found += [block.id_label, block.title_label, block.answer_label]
                found += [section.id for section in block.commune_sections]
            found += [f.label for f in getattr(block, "fields", [])]
    return list(dict.fromkeys(found))


LABELS = _labels(FORM)
TABS = [tab.name for tab in FORM.tabs]


def _retype(book: Book, label: str) -> int:
    """Retype every cell showing ``label`` (as the template wrote it); how many there were."""
    cells = [c for sheet in book.book.worksheets for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and key(c.value) == key(label)]
    for cell in cells:
        cell.value = RETYPED
    return len(cells)


def _validate(path: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["validate", str(path), "--json", "--config", CAMPAIGN])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


def test_every_label_and_tab_is_covered() -> None:
    assert len(LABELS) >= 50
    assert "Số lượt người được tập huấn tại các buổi do xã tự tổ chức" in LABELS
    assert FORM.completion_field.label in LABELS
    assert TABS == ["Hướng dẫn", "PL01", "PL02", "PL03", "Đánh giá", "Xác nhận"]


@pytest.mark.parametrize("label", LABELS)
def test_retyped_label_is_an_issue_never_a_crash(form, tmp_path: Path, label: str) -> None:
    book = Book(form, DONG_THUAN, tmp_path / "sua-nhan.xlsx")
    assert _retype(book, label) >= 1
    code, document = _validate(book.save())
    assert code in (0, 1)
    assert (code == 1) == any(i["severity"] == "error" for i in document["issues"])
    if code == 0:  # a label that only helps (a name column, a period word) may go
        assert document["status"] == "submitted"


@pytest.mark.parametrize("tab", TABS)
def test_deleted_tab_is_an_issue_never_a_crash(form, tmp_path: Path, tab: str) -> None:
    book = Book(form, DONG_THUAN, tmp_path / "xoa-trang.xlsx")
    del book.book[tab]
    code, document = _validate(book.save())
    if tab == "Hướng dẫn":  # the guide holds nothing the parser reads
        assert (code, document["status"], document["issues"]) == (0, "submitted", [])
        return
    assert code == 1
    missing = [i for i in document["issues"] if i["rule"] == "tab_missing"]
    assert len(missing) == 1 and f'Không tìm thấy trang "{tab}"' in missing[0]["message"]


def test_form_wide_rule_over_a_missing_label_is_skipped(form, tmp_path: Path) -> None:
    """The issue's crash: the label of a field a form-wide rule reads, retyped."""
    book = Book(form, DONG_THUAN, tmp_path / "nhan.xlsx")
    book.set(training("training_sessions"), 12).set(training("training_participants"), 5)
    _retype(book, "Số lượt người được tập huấn tại các buổi do xã tự tổ chức")
    code, document = _validate(book.save())
    assert code == 1
    assert [(i["sheet"], i["field"], i["rule"]) for i in document["issues"]] == [
        ("PL03", "training_participants", "label_missing")]


@pytest.mark.parametrize("damage", ["tab", "label"])
def test_real_command_no_traceback(form, tmp_path: Path, damage: str) -> None:
    book = Book(form, DONG_THUAN, tmp_path / "hong.xlsx")
    if damage == "tab":
        del book.book["PL03"]
    else:
        _retype(book, "Số lượt người được tập huấn tại các buổi do xã tự tổ chức")
    result = run_ttcs("validate", str(book.save()), "--config", CAMPAIGN)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr and result.stderr == ""
    assert "cần sửa" in result.stdout


# -- a unit whose checks raise -------------------------------------------------------------
# A rule naming a field no table has: it raises only for units whose guard lets it run.
TRAP = {"id": "trap", "scope": "form", "when": "training_sessions > 100",
        "expr": "no_such_field > 0", "field": "training_sessions", "kind": "contradiction",
        "message": "không bao giờ hiện"}


def _trap_form_file(folder: Path) -> Path:
    data = yaml.safe_load((CONFIG / "form.yaml").read_text(encoding="utf-8"))
    data["rules"].append(TRAP)
    path = folder / "form.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _answers(code: str) -> dict:
    return valid_answers(FORM, registry.unit(code), random.Random(code))


SESSIONS = ("PL03.training", "", "training_sessions")
PARTICIPANTS = ("PL03.training", "", "training_participants")


def test_unit_whose_checks_raise_is_unreachable_and_nothing_is_stored(tmp_path: Path) -> None:
    form = load_form(_trap_form_file(tmp_path))
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    now = dt.datetime(2025, 9, 28, tzinfo=dt.UTC)
    run_id = store.start_run(now, "44", "local")
    good, bad = (u.code for u in registry.units("44")[:2])
    located = []
    for code, answers in ((good, _answers(good)),
                          (bad, _answers(bad) | {SESSIONS: 150, PARTICIPANTS: 3000})):
        path = render_workbook(form, registry.unit(code), TEXTS, tmp_path / f"{code}.xlsx",
                               answers)
        with store.begin() as conn:
            snapshot = store.put_snapshot(conn, run_id, code, str(path), now, read_xlsx(path))
        located.append(Located(code, snapshot, now, None, True))
    judged = judge(store, form, located)
    assert list(judged.verdicts) == [good]
    assert judged.failed == {bad: "không kiểm tra được bảng tính (ExpressionError: không có "
                                  "trường 'no_such_field')"}
    rows = {r.unit: r for r in classify_run(store, run_id, now, now + dt.timedelta(days=2),
                                            located, judged, [])}
    assert (rows[good].status, rows[good].reason) == ("submitted", None)
    assert (rows[bad].status, rows[bad].verdict_id, rows[bad].reason) == (
        "unreachable", None, judged.failed[bad])
    assert store.verdict_ids([located[1].snapshot_id], form_hash(form)) == {}
    # Nothing stored for it: the next run checks it again (a fixed program would judge it).
    assert judge(store, form, located).failed == judged.failed


# -- a night over a folder holding hostile entries ------------------------------------------
QUANG_TRI = [u.code for u in registry.units("44")]
SUBMITTED, BLANK, NEEDS_FIX, WARNED = QUANG_TRI[:4]
NO_TAB, CRASH, SPARSE, ZIP, STRINGS, FOLDER, DANGLING = QUANG_TRI[4:11]
DEADLINE = dt.datetime(2025, 9, 30, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
NIGHT = DEADLINE + dt.timedelta(days=1, hours=5)
BAD_REASONS = {
    CRASH: "không kiểm tra được bảng tính (ExpressionError: không có trường 'no_such_field')",
    SPARSE: f"{SPARSE}-bom.xlsx: không đọc được bảng tính (bảng 'PL01' dùng đến dòng 100.000, "
            "vượt giới hạn 5.000 dòng)",
    ZIP: f"{ZIP}-nen.xlsx: không đọc được bảng tính (tệp giải nén ra 300,0 MB, vượt giới hạn "
         "50 MB)",
    STRINGS: f"{STRINGS}-chu.xlsx: không đọc được bảng tính (chữ trong các ô tổng cộng "
             "1.000.000.000 ký tự, vượt giới hạn 52.428.800 ký tự)",
    FOLDER: f"{FOLDER}-thu-muc.xlsx: không đọc được bảng tính (đây là một thư mục, không phải "
            "tệp bảng tính)",
    DANGLING: f"{DANGLING}-lien-ket.xlsx: không đọc được bảng tính (liên kết trỏ tới tệp không "
              "tồn tại)",
}


def _campaign(folder: Path) -> Path:
    (folder / "communes").mkdir()
    config = folder / "campaign.yaml"
    config.write_text(yaml.safe_dump({
        "title": "Thử nghiệm", "province": "44", "data_as_of": "2025-09-30",
        "deadline": DEADLINE.isoformat(), "form": str(_trap_form_file(folder)),
        "contacts": "contacts.csv", "output_dir": "out", "database": "sqlite:///state.db",
        "backend": {"kind": "local", "local": {"folder": "communes"}},
    }, allow_unicode=True), encoding="utf-8")
    return config


def _book(folder: Path, code: str, answers: dict | None = None) -> Path:
    path = render_workbook(FORM, registry.unit(code), TEXTS,
                           folder / "communes" / f"{code}.xlsx", answers)
    before = (DEADLINE - dt.timedelta(days=2)).timestamp()
    os.utime(path, (before, before))
    return path


def _good_units(folder: Path) -> None:
    _book(folder, SUBMITTED, _answers(SUBMITTED))
    _book(folder, BLANK)
    _book(folder, NEEDS_FIX, _answers(NEEDS_FIX) | {
        ("PL02.web_boards", f"{NEEDS_FIX}:after", "boards_connected"): 99})
    _book(folder, WARNED, _answers(WARNED) | {
        ("PL01.stations", f"{WARNED}:after", "villages"): 400})


def _bad_entries(folder: Path) -> None:
    communes = folder / "communes"
    no_tab = _book(folder, NO_TAB, _answers(NO_TAB))
    book = openpyxl.load_workbook(no_tab)
    del book["PL03"]
    book.save(no_tab)
    _book(folder, CRASH, _answers(CRASH) | {SESSIONS: 150, PARTICIPANTS: 3000})
    hostile.sparse_bomb(communes / f"{SPARSE}-bom.xlsx")
    hostile.zip_bomb(communes / f"{ZIP}-nen.xlsx")
    hostile.shared_string_bomb(communes / f"{STRINGS}-chu.xlsx", 1_000_000, 1_000)
    (communes / f"{FOLDER}-thu-muc.xlsx").mkdir()
    (communes / f"{DANGLING}-lien-ket.xlsx").symlink_to(communes / "da-xoa.xlsx")


@pytest.fixture(scope="module")
def nights(prefect_harness, tmp_path_factory) -> dict[str, dict]:
    """The same campaign, with and without the hostile entries, judged on the same night."""
    from flows.nightly import nightly

    found = {}
    for name in ("clean", "hostile"):
        folder = tmp_path_factory.mktemp(name)
        config = _campaign(folder)
        _good_units(folder)
        if name == "hostile":
            _bad_entries(folder)
        found[name] = {"config": config, "folder": folder,
                       "units": {u["code"]: u for u in nightly(str(config), NIGHT)["units"]}}
    return found


def test_night_completes_and_other_units_are_judged_as_without_the_bad_entries(nights) -> None:
    clean, hostile_units = nights["clean"]["units"], nights["hostile"]["units"]
    assert clean.keys() == hostile_units.keys()
    bad = {NO_TAB, *BAD_REASONS}
    others = [code for code in clean if code not in bad]
    assert len(others) == len(QUANG_TRI) - len(bad)
    shown = ("status", "flags", "errors", "warnings", "reason")
    assert [[hostile_units[c][k] for k in shown] for c in others] == [
        [clean[c][k] for k in shown] for c in others]
    assert [clean[c]["status"] for c in (SUBMITTED, BLANK, NEEDS_FIX, WARNED)] == [
        "submitted", "not_started", "needs_fix", "submitted"]


def test_bad_entries_have_a_status_and_one_line(nights) -> None:
    units = nights["hostile"]["units"]
    assert (units[NO_TAB]["status"], units[NO_TAB]["reason"]) == ("needs_fix", None)
    assert units[NO_TAB]["errors"] >= 1
    assert {code: (units[code]["status"], units[code]["reason"]) for code in BAD_REASONS} == {
        code: ("unreachable", reason) for code, reason in BAD_REASONS.items()}
    for code in BAD_REASONS:
        assert "late" in units[code]["flags"]  # unreachable is never an excuse


def test_real_nightly_over_the_bad_entries_peak_memory(nights) -> None:
    """`ttcs nightly` in its own process (against the harness's server), the hostile folder
    read again: exit 0, no traceback, peak resident memory of the command under 1 GB."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    later = (NIGHT + dt.timedelta(days=1)).isoformat()
    code, peak_kb, output = hostile.run_measured(
        [str(Path(sys.executable).with_name("ttcs")), "nightly", "--config",
         str(nights["hostile"]["config"]), "--now", later], env)
    assert code == 0, output
    assert "Traceback" not in "\n".join(output)
    print(f"peak RSS of ttcs nightly over the hostile folder: {peak_kb // 1024} MB")
    assert peak_kb < 1024 * 1024

"""Per-unit isolation: whatever one unit's workbook does, that unit gets a status with a reason
or its issues, and every other unit is judged exactly as it would be without it."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.conftest import CONFIG, run_ttcs
from tests.workbooks import DONG_THUAN, TEXTS, Book, training
from ttcs import registry
from ttcs.assess import classify_run, form_hash, judge
from ttcs.cli.app import app
from ttcs.collect import Located
from ttcs.form import Form, MatrixBlock, SectionsBlock, UnitsBlock, load_form
from ttcs.sample import valid_answers
from ttcs.store import open_store
from ttcs.template import render_workbook
from ttcs.text import key
from ttcs.xlsx import read_xlsx

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
    assert len(LABELS) >= 50 and "Số lượt người được tập huấn" in LABELS
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
    _retype(book, "Số lượt người được tập huấn")
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
        _retype(book, "Số lượt người được tập huấn")
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

"""Live checks (issue 16): the form's rules as conditional formats in the commune's workbook
and Google sheet agree, rule by rule and cell by cell, with the nightly verdict."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.worksheet.cell_range import CellRange

from fakegoogle import FakeGoogle
from tests.conftest import CONFIG
from tests.live_eval import Format, Grid, marks_of, sheets_formats, xlsx_formats
from tests.workbooks import (
    DONG_THUAN,
    QUANG_PHU,
    TEXTS,
    confirm,
    section,
    staff,
    station,
    training,
    web,
)
from ttcs.campaign import registry
from ttcs.workbook.form import Form, load_form
from ttcs.workbook.issues import column_letter
from ttcs.workbook.layout import Ref, TabLayout, workbook_layout
from ttcs.workbook.live_checks import EXCEL_PROMPT_MAX, Mark, night_only_markdown, plan
from ttcs.workbook.sample import valid_answers
from ttcs.workbook.template import render_workbook
from ttcs.workbook.template_sheets import layout_requests
from ttcs.workbook.validate import Verdict, validate_raw
from ttcs.workbook.xlsx import read_xlsx

REPO = Path(__file__).resolve().parent.parent
SA = "ttcs-bot@ttcs-test.iam.gserviceaccount.com"
YES, NO = "Có", "Không"
BEFORE, AFTER = "before", "after"
KINDS = ("kind_wired", "kind_fm", "kind_it")


def _station(period: str, code: str = QUANG_PHU, **values: Any) -> dict[Ref, Any]:
    return {station(code, period, field): value for field, value in values.items()}


def _no_kinds(**extra: Any) -> dict[str, Any]:
    return {kind: NO for kind in KINDS} | extra


# Each case breaks one check of the form on purpose (None: the cell left blank).
CASES: dict[str, dict[Ref, Any]] = {
    "pl01_kind_needs_station": _station(BEFORE, **_no_kinds(
        has_station=NO, kind_fm=YES, converted_to_it=NO)),
    "pl01_station_needs_kind": _station(BEFORE, **_no_kinds(has_station=YES, converted_to_it=NO)),
    "pl01_converted_needs_station": _station(BEFORE, **_no_kinds(
        has_station=NO, converted_to_it=YES)),
    "pl01_converted_needs_it": _station(BEFORE, **_no_kinds(
        has_station=YES, kind_fm=YES, converted_to_it=YES)),
    "pl01_clusters_need_it": _station(AFTER, DONG_THUAN, **_no_kinds(
        has_station=YES, kind_fm=YES, converted_to_it=NO, it_clusters=3, villages=10)),
    "pl01_it_without_clusters": _station(AFTER, DONG_THUAN, **_no_kinds(
        has_station=YES, kind_it=YES, converted_to_it=NO, it_clusters=0, villages=10)),
    "pl01_clusters_per_village": _station(AFTER, DONG_THUAN, **_no_kinds(
        has_station=YES, kind_it=YES, converted_to_it=NO, it_clusters=11, villages=2)),
    "pl01_villages_plausible": _station(AFTER, DONG_THUAN, **_no_kinds(
        has_station=YES, kind_it=YES, converted_to_it=NO, it_clusters=20, villages=200)),
    "pl02_connected_le_boards": {web(DONG_THUAN, AFTER, "boards"): 1,
                                 web(DONG_THUAN, AFTER, "boards_connected"): 3},
    "pl02_url_without_website": {web(QUANG_PHU, BEFORE, "has_website"): NO,
                                 web(QUANG_PHU, BEFORE, "website_url"): "https://a.gov.vn"},
    "pl02_boards_plausible": {web(QUANG_PHU, BEFORE, "boards"): 70,
                              web(QUANG_PHU, BEFORE, "boards_connected"): 1},
    "pl03_education_sum": {staff("culture_officials", f): v for f, v in (
        ("total", 9), ("edu_university", 1), ("edu_college", 0), ("edu_intermediate", 0),
        ("edu_other", 0), ("trained", 1))},
    "pl03_trained_le_total": {staff("station_staff", f): v for f, v in (
        ("total", 2), ("edu_university", 2), ("edu_college", 0), ("edu_intermediate", 0),
        ("edu_other", 0), ("trained", 5))},
    "pl03_staff_plausible": {staff("propagandists", f): v for f, v in (
        ("total", 250), ("edu_university", 0), ("edu_college", 0), ("edu_intermediate", 0),
        ("edu_other", 250), ("trained", 0))},
    "pl03_participants_ge_sessions": {training("training_sessions"): 10,
                                      training("training_participants"): 5},
    "pl03_participants_need_sessions": {training("training_sessions"): 0,
                                        training("training_participants"): 20},
    "pl03_sessions_plausible": {training("training_sessions"): 400,
                                training("training_participants"): 4000},
    "required": {station(QUANG_PHU, BEFORE, "has_station"): None, section("A.1"): None,
                 confirm("preparer_name"): None, web(DONG_THUAN, AFTER, "boards"): None},
    "required_when": {web(DONG_THUAN, AFTER, "has_website"): YES,
                      web(DONG_THUAN, AFTER, "website_url"): None,
                      training("training_contents"): None},
    "bounds": {staff("culture_officials", "trained"): -2,
               station(DONG_THUAN, AFTER, "villages"): 0},
}


def _answers(form: Form, damage: dict[Ref, Any] | None) -> dict[Ref, Any]:
    answers = valid_answers(form, registry.unit(DONG_THUAN), random.Random(7))
    for ref, value in (damage or {}).items():
        if value is None:
            answers.pop(ref, None)
        else:
            answers[ref] = value
    return answers


def _layouts(form: Form) -> list[TabLayout]:
    return workbook_layout(form, registry.unit(DONG_THUAN), TEXTS)


def _checks(layouts: list[TabLayout]) -> dict[tuple[str, int, int, int, str], Mark]:
    return {(t.name, m.first_row, m.last_row, m.col, m.formula): m
            for t in layouts for m in t.marks}


def _issue_rule(mark: Mark, form: Form) -> str:
    """The rule name a nightly issue carries for what ``mark`` colours."""
    what, _, field = mark.check.partition(":")
    if what == "bounds":
        types = {f.id: f.type for block in form.tables.values() for f in block.fields}
        return f"type_{types[field]}"
    return what if field else mark.check


def _live(form: Form, layouts: list[TabLayout], grid: Grid,
          formats: list[Format]) -> set[tuple[str, str, str]]:
    """(sheet, cell, rule) of every cell a live check colours; every format is one of the
    layout's checks, and every check of the layout is in the file."""
    checks = _checks(layouts)
    found = {(f.sheet, f.first_row, f.last_row, f.col, f.formula) for f in formats}
    assert found == set(checks)
    return {(fmt.sheet, cell, _issue_rule(checks[(fmt.sheet, fmt.first_row, fmt.last_row,
                                                   fmt.col, fmt.formula)], form))
            for fmt, cells in marks_of(grid, formats).items() for cell in cells}


def _flagged(verdict: Verdict) -> set[tuple[str, str, str]]:
    return {(issue.sheet, issue.cell, issue.rule) for issue in verdict.issues}


def _xlsx(form: Form, path: Path, damage: dict[Ref, Any] | None, *, blank: bool = False
          ) -> tuple[set, Verdict, Grid]:
    answers = None if blank else _answers(form, damage)
    render_workbook(form, registry.unit(DONG_THUAN), TEXTS, path, answers)
    book = openpyxl.load_workbook(path)
    grid = Grid.from_openpyxl(book)
    live = _live(form, _layouts(form), grid, xlsx_formats(book))
    return live, validate_raw(form, read_xlsx(path)), grid


@pytest.mark.parametrize("case", sorted(CASES))
def test_xlsx_marks_what_the_night_flags(form, tmp_path: Path, case: str) -> None:
    live, verdict, grid = _xlsx(form, tmp_path / "book.xlsx", CASES[case])
    assert live == _flagged(verdict)
    assert {"bounds": "type_count"}.get(case, case) in {rule for _, _, rule in live}
    # The count beside "Đã hoàn thành" says how many: the nightly errors and warnings.
    errors, warnings = _count(grid, form)
    assert (errors, warnings) == (verdict.errors, verdict.warnings)


def _count(grid: Grid, form: Form) -> tuple[int, int]:
    home = next(t for t in _layouts(form) if any(c.role == "live" for c in t.cells))
    total = next(c for c in home.cells if c.value == "Tổng")
    return (int(grid.cell(home.name, total.row, 2)), int(grid.cell(home.name, total.row, 3)))


def test_every_rule_has_a_case_and_is_live(form) -> None:
    """All 17 rules of the form are translated; none is left for the night."""
    checks = plan(form, _layouts(form))
    assert checks.night_only == {}
    rule_marks = {m.check for ms in checks.marks.values() for m in ms} & {
        r.id for r in form.rules}
    assert rule_marks == {r.id for r in form.rules}
    assert rule_marks <= set(CASES)


def test_valid_workbook_has_no_mark(form, tmp_path: Path) -> None:
    live, verdict, grid = _xlsx(form, tmp_path / "valid.xlsx", None)
    assert verdict.status == "submitted" and verdict.issues == []
    assert live == set()
    home = next(t for t in _layouts(form) if any(c.role == "live" for c in t.cells))
    mark = next(c for c in home.cells if c.ref and c.ref[2] == "complete")
    assert _count(grid, form) == (0, 0)
    assert grid.cell(home.name, mark.row, mark.col + 1) == "Đã nhập đủ, không còn ô nào cần sửa"


def test_blank_template_marks_the_required_cells(form, tmp_path: Path) -> None:
    live, verdict, grid = _xlsx(form, tmp_path / "blank.xlsx", None, blank=True)
    assert verdict.status == "not_started"
    assert live == _flagged(verdict) and {rule for _, _, rule in live} == {"required"}
    errors, _ = _count(grid, form)
    assert errors == verdict.errors == len(live)
    home = next(t for t in _layouts(form) if any(c.role == "live" for c in t.cells))
    mark = next(c for c in home.cells if c.ref and c.ref[2] == "complete")
    assert grid.cell(home.name, mark.row, mark.col + 1) == (
        f"Còn {errors} ô cần nhập hoặc sửa (tô vàng, đỏ): sửa xong mới chọn Có")


# -- Google ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def google():
    with FakeGoogle() as fake:
        yield fake, fake.gspread_client(timeout=5)


def _sheet(google, form: Form, damage: dict[Ref, Any] | None) -> tuple[str, dict, dict]:
    """A spreadsheet laid out by the layout's one batchUpdate, then filled in; its metadata
    (the conditional formats as Sheets keeps them) and values, read over HTTP."""
    fake, client = google
    sid = fake.add_spreadsheet("Báo cáo", {"Trang tính1": []})
    layouts = _layouts(form)
    client.http_client.batch_update(sid, {"requests": layout_requests(layouts, [SA])})
    where = {c.ref: (t.name, c.row, c.col) for t in layouts for c in t.cells if c.ref}
    data = [{"range": f"'{where[ref][0]}'!{column_letter(where[ref][2])}{where[ref][1]}",
             "values": [[value]]}
            for ref, value in _answers(form, damage).items()]
    client.http_client.values_batch_update(sid, {"valueInputOption": "USER_ENTERED",
                                                 "data": data})
    metadata = client.http_client.fetch_sheet_metadata(
        sid, params={"fields": "sheets(properties(title,sheetId),conditionalFormats)"})
    tabs = [t.name for t in layouts]
    answer = client.http_client.values_batch_get(
        sid, [f"'{t}'" for t in tabs], params={"valueRenderOption": "UNFORMATTED_VALUE"})
    raw = {tab: r.get("values", []) for tab, r in zip(tabs, answer["valueRanges"], strict=True)}
    return sid, metadata, raw


@pytest.mark.parametrize("case", [*sorted(CASES), "valid"])
def test_google_layout_marks_what_the_night_flags(form, google, case: str) -> None:
    _, metadata, raw = _sheet(google, form, CASES.get(case))
    live = _live(form, _layouts(form), Grid.from_rows(raw), sheets_formats(metadata))
    verdict = validate_raw(form, raw)
    assert live == _flagged(verdict)
    assert (case == "valid") == (live == set())


def test_google_layout_is_one_batch_update_with_the_formats(form, google) -> None:
    fake, _ = google
    fake.reset_counts()
    sid, metadata, _ = _sheet(google, form, None)
    assert fake.counts(sid)["sheets.batchUpdate"] == 1
    formats = sheets_formats(metadata)
    assert len(formats) == sum(len(t.marks) for t in _layouts(form))


def test_rows_inserted_on_google_keep_the_checks(form, google) -> None:
    """A commune inserts a row inside PL01's table: Sheets grows the formats' ranges, the rows
    below move, and the moved row is still checked where the night finds it."""
    fake, client = google
    sid, metadata, _ = _sheet(google, form, CASES["pl01_kind_needs_station"])
    pl01 = next(s["properties"]["sheetId"] for s in metadata["sheets"]
                if s["properties"]["title"] == "PL01")
    client.http_client.batch_update(sid, {"requests": [{"insertDimension": {
        "range": {"sheetId": pl01, "dimension": "ROWS", "startIndex": 5, "endIndex": 6},
        "inheritFromBefore": True}}]})
    metadata = client.http_client.fetch_sheet_metadata(
        sid, params={"fields": "sheets(properties(title,sheetId),conditionalFormats)"})
    raw = {t: fake.values(sid, t) for t in fake.tabs(sid)}
    live = _live_moved(form, Grid.from_rows(raw), sheets_formats(metadata))
    verdict = validate_raw(form, raw)
    assert live == _flagged(verdict) == {("PL01", "D7", "pl01_kind_needs_station")}


def _live_moved(form: Form, grid: Grid, formats: list[Format]) -> set[tuple[str, str, str]]:
    """Like :func:`_live` after an insertion on PL01: formats are matched to the layout's
    checks by tab, column and formula (their rows moved)."""
    checks = {(t.name, m.col, m.formula): m for t in _layouts(form) for m in t.marks}
    found = {}
    for fmt in formats:
        mark = checks.get((fmt.sheet, fmt.col, fmt.formula))
        if fmt.sheet == "PL01" and mark is None:  # the first row's formula is unchanged
            raise AssertionError(fmt)
        found[fmt] = mark
    return {(fmt.sheet, cell, _issue_rule(found[fmt], form))
            for fmt, cells in marks_of(grid, formats).items() for cell in cells}


def test_rows_inserted_in_xlsx_keep_the_checks(form, tmp_path: Path) -> None:
    """The same in the .xlsx: the table's formats cover whole columns, so a spreadsheet grows
    them over an inserted row (done here as Excel and LibreOffice do)."""
    path = tmp_path / "rows.xlsx"
    render_workbook(form, registry.unit(DONG_THUAN), TEXTS, path,
                    _answers(form, CASES["pl01_kind_needs_station"]))
    book = openpyxl.load_workbook(path)
    sheet = book["PL01"]
    sheet.insert_rows(6)
    formats = [(CellRange(str(cf.sqref)), cf.rules) for cf in sheet.conditional_formatting]
    sheet.conditional_formatting = ConditionalFormattingList()
    for cells, rules in formats:
        assert (cells.min_row, cells.max_row) == (5, 8)  # the whole table
        cells.expand(down=1)
        for rule in rules:
            sheet.conditional_formatting.add(cells.coord, rule)
    book.save(path)
    formats = xlsx_formats(openpyxl.load_workbook(path))
    grid = Grid.from_openpyxl(openpyxl.load_workbook(path))
    live = _live_moved(form, grid, formats)
    assert live == _flagged(validate_raw(form, read_xlsx(path))) == {
        ("PL01", "D7", "pl01_kind_needs_station")}


# -- an edited form, limits, docs --------------------------------------------------------------


def test_template_from_an_edited_form_carries_the_edited_rules(tmp_path: Path) -> None:
    source = yaml.safe_load((CONFIG / "form.yaml").read_text(encoding="utf-8"))
    source["params"]["boards_max"] = 4
    rule = next(r for r in source["rules"] if r["id"] == "pl02_connected_le_boards")
    rule["op"] = "<"  # connected boards must now be fewer than all boards
    source["rules"].append({  # reads a field of PL03 from PL02: no cell formula can
        "id": "pl02_boards_vs_staff", "scope": "row", "table": "PL02.web_boards",
        "expr": "boards <= training_sessions", "field": "boards", "kind": "warning",
        "message": "Thử"})
    path = tmp_path / "form.yaml"
    path.write_text(yaml.safe_dump(source, allow_unicode=True), encoding="utf-8")
    edited = load_form(path)
    damage = {web(DONG_THUAN, AFTER, "boards"): 5, web(DONG_THUAN, AFTER, "boards_connected"): 5,
              training("training_sessions"): 10}
    live, verdict, _ = _xlsx(edited, tmp_path / "edited.xlsx", damage)
    assert live == _flagged(verdict) - {("PL02", "F8", "pl02_boards_vs_staff")}
    assert {("PL02", "G8", "pl02_connected_le_boards"), ("PL02", "F8", "pl02_boards_plausible")
            } <= live
    assert plan(edited, _layouts(edited)).night_only == {
        "pl02_boards_vs_staff": "đọc trường training_sessions ở trang khác"}
    _, unedited, _ = _xlsx(load_form(CONFIG / "form.yaml"), tmp_path / "same.xlsx", damage)
    assert not {i.rule for i in unedited.issues} & {"pl02_connected_le_boards",
                                                     "pl02_boards_plausible"}


def test_formulas_and_messages_fit_excel_limits(form, tmp_path: Path) -> None:
    """Hoàn Kiếm has 11 old units; formulas stay under Excel's 8,192 characters, input
    messages under 255, and every message is Vietnamese."""
    layouts = workbook_layout(form, registry.unit("00070"), TEXTS)
    formulas = [m.formula for t in layouts for m in t.marks]
    formulas += [c.value for t in layouts for c in t.cells if c.role == "live"]
    assert max(len(f) for f in formulas) < 8192
    hints = [h for t in layouts for h in t.hints.values()]
    assert hints and max(len(h) for h in hints) <= EXCEL_PROMPT_MAX
    assert all(h.startswith("Ô được tô màu khi:") for h in hints)
    path = render_workbook(form, registry.unit("00070"), TEXTS, tmp_path / "hk.xlsx")
    sheet = openpyxl.load_workbook(path)["PL02"]
    prompts = {v.prompt for v in sheet.data_validations.dataValidation if v.prompt}
    assert any("Số bảng tin kết nối Hệ thống thông tin nguồn tỉnh lớn hơn tổng số bảng tin "
               "điện tử công cộng" in p for p in prompts)


def test_docs_list_the_night_only_checks(form) -> None:
    text = (REPO / "docs" / "form.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- night-only -->\n(.*?)\n<!-- /night-only -->", text, re.S)
    assert block, "docs/form.md needs the night-only list between its markers"
    assert block[1] == night_only_markdown(form, _layouts(form)), (
        "update docs/form.md with ttcs.workbook.live_checks.night_only_markdown")


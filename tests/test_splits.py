"""Old units split between several new units (issue 12): the unit that reports the old unit is
told, on the old unit's row of PL01 and PL02, that it reports the whole old unit and which new
units received part of it; the note is never read as data (.xlsx and Google)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from fakegoogle import FakeGoogle
from tests.workbooks import TEXTS, Book, summary
from ttcs.campaign import registry
from ttcs.workbook.form import Form, UnitsBlock
from ttcs.workbook.issues import column_letter
from ttcs.workbook.layout import (
    BODY_SIZE,
    REMARK_LABEL,
    REMARK_WIDTH,
    SPLIT_GUIDE,
    workbook_layout,
)
from ttcs.workbook.print_layout import TextBox, text_height
from ttcs.workbook.sample import valid_answers
from ttcs.workbook.template import render_workbook
from ttcs.workbook.template_sheets import layout_requests
from ttcs.workbook.validate import Verdict, validate_raw
from ttcs.workbook.xlsx import read_xlsx

SA = "ttcs-bot@ttcs-test.iam.gserviceaccount.com"
UNITS_TABS = ("PL01", "PL02")
# Phường Liên Chiểu (Đà Nẵng) reports Xã Hòa Liên whole; part of it went to Phường Hải Vân.
LIEN_CHIEU, HOA_LIEN = "20197", "20296"
HOA_LIEN_NOTE = "Báo cáo cho toàn bộ Xã Hòa Liên; một phần đã chuyển về Phường Hải Vân (20195)"
# Phường Vũng Áng (Hà Tĩnh) reports Xã Kỳ Lợi whole; parts went to two other wards.
VUNG_ANG, KY_LOI = "18823", "18796"
KY_LOI_NOTE = ("Báo cáo cho toàn bộ Xã Kỳ Lợi; một phần đã chuyển về Phường Sông Trí (18754), "
               "Phường Hoành Sơn (18832)")
DONG_THUAN = "18859"  # Quảng Trị: no old unit split


def _rows(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[tuple[Any, ...]]:
    return [tuple(c.value for c in row) for row in sheet.iter_rows(min_row=4)]


def _units_block(form: Form, tab: str) -> UnitsBlock:
    (block,) = [b for t in form.tabs if t.id == tab for b in t.blocks if isinstance(b, UnitsBlock)]
    return block


def _remark_col(sheet) -> int | None:
    return next((c for c in range(1, sheet.max_column + 1) if sheet.cell(4, c).value
                 == REMARK_LABEL), None)


@pytest.fixture(scope="module")
def vung_ang(form, tmp_path_factory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("splits") / f"{VUNG_ANG}.xlsx"
    return openpyxl.load_workbook(render_workbook(form, registry.unit(VUNG_ANG), TEXTS, path))


@pytest.mark.parametrize("tab", UNITS_TABS)
def test_split_row_carries_the_note_after_the_last_field(form, vung_ang, tab: str) -> None:
    sheet = vung_ang[tab]
    block = _units_block(form, tab)
    last_field = 3 + len(block.fields)
    assert sheet.cell(4, last_field).value == block.fields[-1].label
    col = _remark_col(sheet)
    assert col == last_field + 1
    notes = {sheet.cell(r, 1).value: sheet.cell(r, col).value for r in range(5, 9)}
    assert notes == {KY_LOI: KY_LOI_NOTE, "18823": None, "18835": None}  # 18823 twice: blank
    note = sheet.cell(5, col)
    assert (sheet.cell(5, 1).value, sheet.cell(5, 2).value) == (KY_LOI, "Xã Kỳ Lợi")
    assert note.alignment.wrap_text and note.protection.locked and note.border.left.style
    assert sheet.column_dimensions[column_letter(col)].width == REMARK_WIDTH
    # Printed: the row is as tall as the wrapped note, which takes several lines.
    needs = text_height(TextBox(KY_LOI_NOTE, REMARK_WIDTH, BODY_SIZE))
    assert needs >= text_height(TextBox("x\nx\nx", REMARK_WIDTH, BODY_SIZE))
    assert sheet.row_dimensions[5].height >= needs
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.fitToWidth) == 1
    assert sheet.print_title_rows.replace("$", "") == "4:4"


def test_note_names_every_other_new_unit_from_the_registry() -> None:
    (ky_loi,) = [p for p in registry.unit(VUNG_ANG).predecessors if p.code == KY_LOI]
    assert [(s.code, s.name) for s in ky_loi.shared_with] == [
        ("18754", "Phường Sông Trí"), ("18832", "Phường Hoành Sơn")]
    for other in ky_loi.shared_with:
        assert registry.unit(other.code).name == other.name
        assert ky_loi not in registry.unit(other.code).predecessors


def test_guide_explains_the_note_only_where_there_is_one(form, vung_ang) -> None:
    guide = [c.value for row in vung_ang["Hướng dẫn"].iter_rows() for c in row if c.value]
    assert SPLIT_GUIDE in guide
    assert guide.index(SPLIT_GUIDE) == len(guide) - 1
    (plain,) = [t for t in workbook_layout(form, registry.unit(DONG_THUAN), TEXTS)
                if t.tab_id == "guide"]
    assert SPLIT_GUIDE not in [c.value for c in plain.cells]


def test_unit_without_split_has_no_note_column(form) -> None:
    layouts = {t.tab_id: t for t in workbook_layout(form, registry.unit(DONG_THUAN), TEXTS)}
    for tab in UNITS_TABS:
        layout = layouts[tab]
        assert not [c for c in layout.cells if c.role == "remark" or c.value == REMARK_LABEL]
        assert layout.last_col == 3 + len(_units_block(form, tab).fields)


def test_only_split_rows_are_noted(form) -> None:
    """Liên Chiểu: two old units, one split; in Quảng Trị no unit has a note at all."""
    for tab in workbook_layout(form, registry.unit(LIEN_CHIEU), TEXTS):
        noted = [c.value for c in tab.cells if c.role == "remark" and c.value]
        assert noted == ([HOA_LIEN_NOTE] if tab.tab_id in UNITS_TABS else []), tab.name
    for unit in registry.units("44"):
        assert not any(p.shared_with for p in unit.predecessors), unit.code


def _read(verdict: Verdict) -> tuple[tuple[Any, ...], list]:
    """What the parser read (values with their cells) and every issue."""
    parsed = verdict.parsed
    return (parsed.tables, parsed.items, parsed.sections), summary(verdict)



@pytest.mark.parametrize("change", ["header cleared", "column deleted", "note typed over"])
def test_note_is_never_read_as_data(form, tmp_path: Path, change: str) -> None:
    book = Book(form, LIEN_CHIEU, tmp_path / "filled.xlsx")
    verdict = book.verdict()
    assert verdict.status == "submitted" and verdict.issues == []
    tables = verdict.parsed.tables
    (hoa_lien,) = [r for r in tables["PL01.stations"] if r.key == HOA_LIEN]
    typed = book.answers[("PL01.stations", f"{HOA_LIEN}:before", "has_station")]
    assert hoa_lien.values["has_station"].value is (typed == form.yes_label)
    for tab in UNITS_TABS:
        sheet = book.sheet(tab)
        col = _remark_col(sheet)
        if change == "header cleared":
            sheet.cell(4, col).value = None
        elif change == "column deleted":
            sheet.delete_cols(col)
        else:  # a commune writes its own remarks (and a number) where the note is
            for r in range(5, 8):
                sheet.cell(r, col).value = f"{r}"
    assert _read(book.verdict()) == _read(verdict)


def test_google_layout_draws_the_note_and_reads_the_same_values(form, tmp_path: Path) -> None:
    unit = registry.unit(LIEN_CHIEU)
    layouts = workbook_layout(form, unit, TEXTS)
    answers = valid_answers(form, unit, random.Random(7))
    with FakeGoogle() as fake:
        client = fake.gspread_client(timeout=5)
        sid = fake.add_spreadsheet("Báo cáo", {"Trang tính1": []})
        client.http_client.batch_update(sid, {"requests": layout_requests(layouts, [SA])})
        where = {c.ref: (t.name, c.row, c.col) for t in layouts for c in t.cells if c.ref}
        data = [{"range": f"'{where[ref][0]}'!{column_letter(where[ref][2])}{where[ref][1]}",
                 "values": [[value]]} for ref, value in answers.items()]
        client.http_client.values_batch_update(sid, {"valueInputOption": "USER_ENTERED",
                                                     "data": data})
        got = client.http_client.values_batch_get(
            sid, [f"'{t.name}'" for t in layouts],
            params={"valueRenderOption": "UNFORMATTED_VALUE"})
    raw = {t.name: r.get("values", []) for t, r in zip(layouts, got["valueRanges"], strict=True)}
    for tab in UNITS_TABS:
        rows = raw[tab]
        (header,) = [r for r in rows if REMARK_LABEL in r]
        col = header.index(REMARK_LABEL)
        (row,) = [r for r in rows if r and r[0] == HOA_LIEN]
        assert row[col] == HOA_LIEN_NOTE
    verdict = validate_raw(form, raw)
    assert verdict.status == "submitted" and verdict.issues == []
    # The same answers in the .xlsx: the same values, cell for cell.
    book = render_workbook(form, unit, TEXTS, tmp_path / "g.xlsx", answers)
    assert _read(validate_raw(form, read_xlsx(book))) == _read(verdict)

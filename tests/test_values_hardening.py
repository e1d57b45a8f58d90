"""Issue 11, reading values: percentages in counts, Excel's text apostrophe, formulas never
calculated. Through the readers, through ``read_xlsx`` on real .xlsx files (written by openpyxl
or as XML), through the state database and through ``ttcs validate``."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.workbooks import DONG_THUAN, QUANG_PHU, Book, confirm, read_at, station, value_at, web
from ttcs.cli.app import app
from ttcs.state.store import open_store
from ttcs.workbook.form import FormField
from ttcs.workbook.readers import read_field
from ttcs.workbook.validate import validate_raw
from ttcs.workbook.values import (
    READERS,
    Reading,
    is_uncomputed_formula,
    read_choice,
    read_count,
    read_date,
    read_number,
    read_text,
    read_yesno,
    uncomputed_formula,
)
from ttcs.workbook.xlsx import read_xlsx

BOARDS = web(QUANG_PHU, "before", "boards")  # PL02!F6, a count
BOARDS_LABEL = "Số bảng tin điện tử công cộng"
NOT_COMPUTED = "chưa được tính giá trị; mở tệp bằng Excel hoặc LibreOffice, lưu lại rồi gửi lại"
DATE = FormField(id="signed_on", label="Ngày ký", type="date")


@pytest.fixture
def book(form, tmp_path: Path) -> Book:
    return Book(form, DONG_THUAN, tmp_path / "book.xlsx")


# --------------------------------------------------------------------------- percentages


@pytest.mark.parametrize("typed", ["50%", "50 %", "12,5%", "50 phần trăm", "50 PHAN TRAM"])
def test_percentage_in_a_count_is_a_problem(typed: str) -> None:
    assert read_count(typed) == Reading(
        None, f'giá trị "{typed}" là tỷ lệ phần trăm; cần nhập số lượng (số nguyên, ví dụ 12)',
        False)


def test_percentage_in_a_number_cell_is_still_its_number() -> None:
    assert read_number("50%") == Reading(50.0, None, False)


def test_percentage_text_in_a_count_cell_is_an_error_at_its_cell(book: Book) -> None:
    book.set(BOARDS, "50%")
    verdict = book.verdict()
    at_cell = [i for i in verdict.issues if i.cell == "F6"]
    assert [(i.sheet, i.field, i.rule, i.kind) for i in at_cell] == [
        ("PL02", "boards", "type_count", "invalid")]
    assert at_cell[0].message == (f'Ô F6 ("{BOARDS_LABEL}"): giá trị "50%" là tỷ lệ phần trăm; '
                                  "cần nhập số lượng (số nguyên, ví dụ 12)")
    assert read_at(verdict, BOARDS).value is None


def test_cell_formatted_as_percentage_is_read_by_its_value(book: Book) -> None:
    """Excel turns a typed "50%" into 0.5 shown as 50%: the value is what is read (as Google's
    unformatted values are), so 0.5 is not a whole number, and 100% is read as 1."""
    book.set(BOARDS, 0.5).cell(BOARDS).number_format = "0%"
    (issue,) = [i for i in book.verdict().issues if i.cell == "F6"]
    assert (issue.rule, issue.kind) == ("type_count", "invalid")
    assert issue.message.endswith('giá trị "0,5" không phải số nguyên; cần nhập số nguyên '
                                  "không âm (ví dụ 12)")
    book.set(BOARDS, 1.0)
    assert value_at(book.verdict(), BOARDS) == 1


# --------------------------------------------------------------------------- the apostrophe


@pytest.mark.parametrize("mark", ["'", "\u2019", "\u2018"])
def test_one_leading_apostrophe_is_dropped(mark: str) -> None:
    assert read_count(f"{mark}12") == Reading(12, None, False)
    assert read_count(f" {mark}1.234 ") == Reading(1234, None, False)
    assert read_number(f"{mark}12,5") == Reading(12.5, None, False)
    assert read_yesno(f"{mark}Có") == Reading(True, None, False)
    assert read_yesno(f"{mark}không") == Reading(False, None, False)
    assert read_date(f"{mark}30/9/2025") == Reading(dt.date(2025, 9, 30), None, False)
    assert read_choice(f"{mark}Có", ["Có", "Không"]) == Reading("Có", None, False)


def test_apostrophe_alone_is_blank_and_only_one_is_dropped() -> None:
    for reader in (read_count, read_number, read_yesno, read_date):
        assert reader("'").blank
    assert read_count("''12").problem == ('giá trị "\'12" không phải số; cần nhập số nguyên '
                                          "không âm (ví dụ 12)")
    assert read_count("'50%").problem is not None


def test_text_keeps_its_apostrophe() -> None:
    assert read_text("'12") == Reading("'12", None, False)
    assert read_text("‘Làng văn hóa’") == Reading("‘Làng văn hóa’", None, False)


def test_apostrophe_typed_in_a_workbook(book: Book) -> None:
    boards = book.answers[BOARDS]
    has_station = station(DONG_THUAN, "after", "has_station")
    book.set(BOARDS, f"'{boards}")
    answer = book.answers[has_station]  # "Có" or "Không", as a commune picks it
    book.set(has_station, f"'{answer}")
    book.set(confirm("preparer_phone"), "'0912 345 678")
    verdict = book.verdict()
    assert verdict.issues == []
    assert value_at(verdict, BOARDS) == boards
    assert value_at(verdict, has_station) is (answer == "Có")
    assert value_at(verdict, confirm("preparer_phone")) == "0912 345 678"


# --------------------------------------------------------------------------- formulas


def _xlsx(path: Path, cells: str, *, prefix: str = "") -> Path:
    """A one-sheet workbook ("Tab") whose sheetData is ``cells``, written as XML; with
    ``prefix`` the sheet's elements use that namespace prefix (as some tools write)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ns = f'xmlns{":" + prefix if prefix else ""}="{main}"'
    p = f"{prefix}:" if prefix else ""
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Tab" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"),
        "xl/worksheets/sheet1.xml": (
            f"<{p}worksheet {ns}><{p}sheetData>{cells}</{p}sheetData></{p}worksheet>"),
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def test_formula_cells_as_written_by_tools_that_do_not_calculate(tmp_path: Path) -> None:
    cells = (
        '<row r="1"><c r="A1"><v>2</v></c><c r="B1"><f>A1*2</f><v>4</v></c>'  # calculated
        '<c r="C1" t="str"><f>IF(A1&gt;5,"x","")</f><v></v></c></row>'  # calculated: ""
        '<row r="5"><c r="B5"><f>SUM(B1:B4)</f></c>'  # no <v>
        '<c r="C5"><f t="shared" ref="C5:D5" si="0">A1+1</f><v/></c>'  # empty <v>
        '<c r="D5"><f t="shared" si="0"/></c>'  # shared, its text is on C5
        '<c r="E5" t="str"><f>A1&amp;"x"</f></c>'  # text formula, no <v>
        '<c r="F5" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'  # calculated to an error
    )
    (row1, _, _, _, row5) = read_xlsx(_xlsx(tmp_path / "f.xlsx", cells))["Tab"]
    assert row1 == [2.0, 4.0]
    assert row5 == [None, uncomputed_formula("SUM(B1:B4)"), uncomputed_formula("A1+1"),
                    uncomputed_formula(None), uncomputed_formula('A1&"x"'), "#DIV/0!"]


def test_formula_in_a_prefixed_sheet(tmp_path: Path) -> None:
    cells = '<x:row r="2"><x:c r="C2"><x:f>SUM(A1:A3)</x:f></x:c></x:row>'
    rows = read_xlsx(_xlsx(tmp_path / "x.xlsx", cells, prefix="x"))["Tab"]
    assert rows[1] == [None, None, uncomputed_formula("SUM(A1:A3)")]


def test_uncomputed_formula_is_a_problem_in_every_reader() -> None:
    raw = uncomputed_formula("SUM(B1:B4)")
    expected = Reading(None, f'công thức "=SUM(B1:B4)" {NOT_COMPUTED}', False)
    for reader in [*READERS.values(), lambda value: read_choice(value, ["Có"])]:
        assert reader(raw) == expected
    assert read_count(uncomputed_formula(None)) == Reading(
        None, f"công thức trong ô {NOT_COMPUTED}", False)
    long = read_count(uncomputed_formula("A1+" * 100)).problem
    assert long is not None and "…" in long and len(long) < 200


def test_text_in_a_file_is_never_taken_for_the_marker(tmp_path: Path) -> None:
    """openpyxl writes U+FFFF as it is, so a file can hold it: read_xlsx drops it."""
    cells = ('<row r="1"><c r="A1" t="inlineStr"><is><t>\uffff=SUM(A1)</t></is></c>'
             '<c r="B1" t="inlineStr"><is><t>\uffff</t></is></c></row>')
    (row,) = read_xlsx(_xlsx(tmp_path / "t.xlsx", cells))["Tab"]
    assert row == ["=SUM(A1)"]
    assert not is_uncomputed_formula(row[0])
    assert read_text(row[0]) == Reading("=SUM(A1)", None, False)


def test_formula_without_a_value_in_a_workbook_is_reported_as_such(book: Book) -> None:
    book.cell(BOARDS).value = "=SUM(F5:F5)"  # openpyxl writes <f> and no value
    verdict = book.verdict()
    at_cell = [i for i in verdict.issues if i.cell == "F6"]
    assert [(i.sheet, i.field, i.rule, i.kind) for i in at_cell] == [
        ("PL02", "boards", "type_count", "invalid")]
    assert at_cell[0].message == f'Ô F6 ("{BOARDS_LABEL}"): công thức "=SUM(F5:F5)" {NOT_COMPUTED}'
    assert "chưa nhập" not in at_cell[0].message
    assert not read_at(verdict, BOARDS).blank


def test_formula_with_a_computed_value_reads_the_value(book: Book) -> None:
    boards = book.answers[BOARDS]
    book.cell(BOARDS).value = "=SUM(F5:F5)"
    path = book.save()
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    # "<v />", or "<v></v>" from openpyxl's lxml writer
    empty = re.compile(rb"<f>SUM\(F5:F5\)</f><v\s*(/>|></v>)")
    written = [name for name, data in parts.items() if empty.search(data)]
    assert len(written) == 1
    parts[written[0]] = empty.sub(f"<f>SUM(F5:F5)</f><v>{boards}</v>".encode(), parts[written[0]])
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    verdict = validate_raw(book.form, read_xlsx(path))
    assert verdict.issues == []
    assert value_at(verdict, BOARDS) == boards


def test_marker_survives_the_state_database(book: Book, tmp_path: Path) -> None:
    book.cell(BOARDS).value = "=SUM(F5:F5)"
    raw = read_xlsx(book.save())
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    run_id = store.start_run(dt.datetime(2025, 9, 30, tzinfo=dt.UTC), "44", "local")
    with store.begin() as conn:
        snapshot_id = store.put_snapshot(conn, run_id, DONG_THUAN, str(book.path), None, raw)
    stored = store.snapshot_raw(snapshot_id)
    assert stored == raw
    (issue,) = [i for i in validate_raw(book.form, stored).issues if i.cell == "F6"]
    assert issue.message.endswith(f'công thức "=SUM(F5:F5)" {NOT_COMPUTED}')


def test_validate_lists_the_formula_with_its_cell(book: Book) -> None:
    book.cell(BOARDS).value = "=SUM(F5:F5)"
    result = CliRunner().invoke(app, ["validate", str(book.save()), "--json"])
    assert result.exit_code == 1, result.output
    issues = json.loads(result.stdout)["issues"]
    assert [(i["sheet"], i["cell"], i["kind"]) for i in issues if i["cell"] == "F6"] == [
        ("PL02", "F6", "invalid")]


def test_date_field_reads_apostrophe_text_from_a_file(form, tmp_path: Path) -> None:
    cells = '<row r="1"><c r="A1" t="inlineStr"><is><t>\'30/9/2025</t></is></c></row>'
    (row,) = read_xlsx(_xlsx(tmp_path / "d.xlsx", cells))["Tab"]
    assert read_field(DATE, row[0], form) == Reading(dt.date(2025, 9, 30), None, False)


def test_unit_code_typed_with_an_apostrophe_names_the_unit(book: Book) -> None:
    """A pasted "'19363" beside "Mã đơn vị" still tells the unit (a leading zero kept as text)."""
    from ttcs.workbook.parse import find_unit_code

    raw = read_xlsx(book.save())
    for rows in raw.values():
        for row in rows:
            for i, value in enumerate(row):
                if value == DONG_THUAN:
                    row[i] = f"'{DONG_THUAN}"
    assert any(f"'{DONG_THUAN}" in row for rows in raw.values() for row in rows)
    assert find_unit_code(book.form, raw) == DONG_THUAN

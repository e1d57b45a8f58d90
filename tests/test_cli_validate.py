"""`ttcs validate` in process (typer's runner): exit codes, table and JSON output."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.conftest import cli
from tests.workbooks import DONG_THUAN, QUANG_PHU, Book, training, web
from ttcs.workbook.xlsx import UnreadableWorkbook, read_xlsx


def _json(stdout: str) -> dict:
    document = json.loads(stdout)  # exactly one JSON document, nothing else on stdout
    assert isinstance(document, dict)
    return document


def test_blank_template_exits_1_not_started(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    assert cli("template", "--unit", DONG_THUAN, "--out", str(path)).returncode == 0
    result = cli("validate", str(path), "--json")
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    document = _json(result.stdout)
    assert list(document) == ["unit", "status", "issues"]
    assert (document["unit"], document["status"]) == (DONG_THUAN, "not_started")
    assert document["issues"][0] == {
        "unit": DONG_THUAN, "sheet": "PL01", "cell": "D5", "field": "has_station",
        "rule": "required", "kind": "missing", "severity": "error",
        "message": 'Ô D5: chưa nhập "Có đài truyền thanh (Có/Không)" (dòng Phường Bắc Lý, '
                   "trước 01/7/2025)",
    }
    assert {i["kind"] for i in document["issues"]} == {"missing"}


def test_filled_workbook_exits_0_submitted(form, tmp_path: Path) -> None:
    path = Book(form, DONG_THUAN, tmp_path / "filled.xlsx").save()
    result = cli("validate", str(path), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _json(result.stdout) == {"unit": DONG_THUAN, "status": "submitted", "issues": []}


def test_warnings_only_exit_0(form, tmp_path: Path) -> None:
    book = Book(form, DONG_THUAN, tmp_path / "warn.xlsx")
    book.set(training("training_sessions"), 12).set(training("training_participants"), 5)
    result = cli("validate", str(book.save()), "--json")
    assert result.returncode == 0
    document = _json(result.stdout)
    assert document["status"] == "submitted"
    assert [(i["cell"], i["rule"], i["severity"]) for i in document["issues"]] == [
        ("B11", "pl03_participants_ge_sessions", "warning")]


def test_errors_exit_1_needs_fix(form, tmp_path: Path) -> None:
    book = Book(form, DONG_THUAN, tmp_path / "bad.xlsx")
    book.set(web(QUANG_PHU, "before", "boards"), "nhiều")
    path = book.save()
    table = cli("validate", str(path))
    assert table.returncode == 1
    assert "Phường Đồng Thuận (18859): cần sửa — 1 lỗi, 0 cảnh báo" in table.stdout
    assert "F6" in table.stdout and "PL02" in table.stdout
    result = cli("validate", str(path), "--json")
    assert result.returncode == 1
    assert _json(result.stdout) == {"unit": DONG_THUAN, "status": "needs_fix", "issues": [{
        "unit": DONG_THUAN, "sheet": "PL02", "cell": "F6", "field": "boards",
        "rule": "type_count", "kind": "invalid", "severity": "error",
        "message": 'Ô F6 ("Số bảng tin điện tử công cộng"): giá trị "nhiều" không phải số; cần '
                   "nhập số nguyên không âm (ví dụ 12)",
    }]}


def test_unit_from_the_option_when_the_code_cell_is_empty(form, tmp_path: Path) -> None:
    book = Book(form, DONG_THUAN, tmp_path / "nocode.xlsx")
    for sheet in book.book.worksheets:
        sheet["B2"] = None
    given = cli("validate", str(book.save()), "--unit", DONG_THUAN, "--json")
    assert given.returncode == 0
    assert _json(given.stdout) == {"unit": DONG_THUAN, "status": "submitted", "issues": []}


def test_mismatching_unit_option(form, tmp_path: Path) -> None:
    path = Book(form, DONG_THUAN, tmp_path / "f.xlsx").save()
    result = cli("validate", str(path), "--unit", "19742", "--json")
    assert result.returncode == 1
    document = _json(result.stdout)
    assert document["unit"] == "19742"
    first = document["issues"][0]
    assert (first["sheet"], first["cell"], first["rule"], first["kind"], first["severity"]) == (
        None, None, "unit_mismatch", "contradiction", "error")


def _not_xlsx(path: Path, form) -> str:
    path.write_text("Mã đơn vị;Tên đơn vị\n18859;Phường Đồng Thuận\n", encoding="utf-8")
    return "tệp không phải bảng tính .xlsx"


def _truncated(path: Path, form) -> str:
    full = Book(form, DONG_THUAN, path).save().read_bytes()
    path.write_bytes(full[: len(full) // 2])  # a download cut short
    return "tệp .xlsx bị hỏng"


def _ole(path: Path, form) -> str:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00junk" * 200)
    return "tệp được đặt mật khẩu hoặc là định dạng .xls cũ"


@pytest.mark.parametrize("make", [_not_xlsx, _truncated, _ole])
def test_unreadable_file_exits_2(form, tmp_path: Path, make) -> None:
    path = tmp_path / "bao-cao.xlsx"
    reason = make(path, form)
    result = cli("validate", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert reason in result.stderr
    as_json = cli("validate", str(path), "--json")
    assert as_json.returncode == 2
    document = _json(as_json.stdout)
    assert list(document) == ["unit", "status", "error"]
    assert (document["unit"], document["status"]) == (None, None)
    assert reason in document["error"] and "bao-cao.xlsx" in document["error"]


def _zip_not_workbook(path: Path, form) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "không phải bảng tính")
    return "tệp .xlsx bị hỏng"


def _broken_sheet(path: Path, form) -> str:
    good = Book(form, DONG_THUAN, path.with_name("good.xlsx")).save()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet2.xml":
                data = data[: data.index(b"</sheetData>") // 2]  # cut inside the cells
            target.writestr(item, data)
    return "tệp .xlsx bị hỏng"


def _missing(path: Path, form) -> str:
    return "không tìm thấy tệp"


@pytest.mark.parametrize("make", [_not_xlsx, _truncated, _ole, _zip_not_workbook, _broken_sheet,
                                  _missing])
def test_unreadable_reason(form, tmp_path: Path, make) -> None:
    """The reader (in process, no subprocess: the CLI prints this message as it is)."""
    path = tmp_path / "bao-cao.xlsx"
    reason = make(path, form)
    with pytest.raises(UnreadableWorkbook) as caught:
        read_xlsx(path)
    assert str(caught.value) == f"{path.name}: không đọc được bảng tính ({_full(reason)})"


def _full(reason: str) -> str:
    if reason.startswith("tệp được đặt mật khẩu"):
        return f"{reason}; cần lưu lại dạng .xlsx không mật khẩu"
    return reason

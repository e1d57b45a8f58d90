"""Bounded reading: hostile files are refused with one Vietnamese reason before calamine reads
them, the template passes with a wide margin, and reading a bomb stays small in memory."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import hostile
from tests.conftest import CONFIG
from tests.workbooks import Book
from ttcs.backends import FetchError, Source
from ttcs.backends.local import LocalBackend
from ttcs.campaign import registry
from ttcs.campaign.settings import ReadLimits
from ttcs.workbook.workbook_limits import checked_workbook
from ttcs.workbook.xlsx import UnreadableWorkbook

DEFAULTS = ReadLimits()
# Quảng Ninh's Đặc khu Vân Đồn absorbed 12 old units: the longest tables of any template.
VAN_DON = "06994"

Make = Callable[[Path], Path]
ATTACKS: dict[str, tuple[Make, str]] = {
    "sparse_rows": (hostile.sparse_bomb,
                    "bảng 'PL01' dùng đến dòng 100.000, vượt giới hạn 5.000 dòng"),
    "sparse_columns": (lambda p: hostile.sparse_bomb(p, "XFD1"),
                       "bảng 'PL01' dùng đến cột XFD (16.384 cột), vượt giới hạn 200 cột"),
    "many_cells": (lambda p: hostile.many_cells(p, 2_600, 200),
                   "các bảng dùng 500.200 ô (số dòng × số cột tính từ ô A1), vượt giới hạn "
                   "500.000 ô"),
    "shared_string": (lambda p: hostile.shared_string_bomb(p, 1_000_000, 1_000),
                      "chữ trong các ô tổng cộng 1.000.000.000 ký tự, vượt giới hạn "
                      "52.428.800 ký tự"),
    "zip_bomb": (hostile.zip_bomb, "tệp giải nén ra 300,0 MB, vượt giới hạn 50 MB"),
    "lying_zip_bomb": (hostile.lying_zip_bomb,
                       "tệp giải nén ra hơn 50 MB, vượt giới hạn 50 MB"),
    "doctype": (hostile.with_doctype,
                "tệp .xlsx chứa khai báo DTD, Excel không tạo ra tệp như vậy"),
}


def _refusal(path: Path, limits: ReadLimits = DEFAULTS, root: Path | None = None) -> str:
    with pytest.raises(UnreadableWorkbook) as caught:
        checked_workbook(path, limits, root)
    return str(caught.value)


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_refused_with_the_limit_and_the_figure(tmp_path: Path, attack: str) -> None:
    make, reason = ATTACKS[attack]
    path = make(tmp_path / "bao-cao.xlsx")
    assert path.stat().st_size < 400_000  # small on disk, huge once read
    message = _refusal(path)
    assert message == f"bao-cao.xlsx: không đọc được bảng tính ({reason})"
    assert str(tmp_path) not in message


def test_file_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "lon.xlsx"
    with path.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)  # sparse: no disk used
    assert _refusal(path) == ("lon.xlsx: không đọc được bảng tính (tệp nặng 21,0 MB, vượt giới "
                              "hạn 20 MB)")


def test_template_passes_a_tenth_of_every_limit(form, tmp_path: Path) -> None:
    """Margin: the longest template, filled, is within limits ten times smaller."""
    assert len(registry.unit(VAN_DON).predecessors) == max(
        len(u.predecessors) for p in registry.provinces() for u in registry.units(p.code))
    path = Book(form, VAN_DON, tmp_path / "van-don.xlsx").save()
    tenth = ReadLimits(max_file_mb=DEFAULTS.max_file_mb / 10,
                       max_unpacked_mb=DEFAULTS.max_unpacked_mb / 10,
                       max_rows=DEFAULTS.max_rows // 10, max_columns=DEFAULTS.max_columns // 10,
                       max_cells=DEFAULTS.max_cells // 10)
    assert checked_workbook(path, tenth) == path.resolve()
    # …and it is refused one step below what it really uses (10 columns, 22 rows).
    assert "vượt giới hạn 9 cột" in _refusal(path, ReadLimits(max_columns=9))
    assert "vượt giới hạn 21 dòng" in _refusal(path, ReadLimits(max_rows=21))


def test_not_a_regular_file(tmp_path: Path) -> None:
    folder = tmp_path / "communes"
    folder.mkdir()
    (folder / "thu-muc.xlsx").mkdir()
    (folder / "mat.xlsx").symlink_to(folder / "khong-co.xlsx")
    (folder / "vong.xlsx").symlink_to(folder / "vong.xlsx")
    os.mkfifo(folder / "ong.xlsx")  # opening it would block the night
    outside = hostile.sparse_bomb(tmp_path / "ngoai.xlsx")
    (folder / "ra-ngoai.xlsx").symlink_to(outside)
    expected = {
        "thu-muc.xlsx": "đây là một thư mục, không phải tệp bảng tính",
        "mat.xlsx": "liên kết trỏ tới tệp không tồn tại",
        "vong.xlsx": "liên kết trỏ tới tệp không tồn tại",
        "ong.xlsx": "đây không phải tệp thông thường",
        "ra-ngoai.xlsx": "liên kết trỏ ra ngoài thư mục báo cáo",
    }
    for name, reason in expected.items():
        assert _refusal(folder / name, root=folder) == (
            f"{name}: không đọc được bảng tính ({reason})")


def test_symlink_inside_the_folder_is_read(form, tmp_path: Path) -> None:
    real = Book(form, VAN_DON, tmp_path / "that.xlsx").save()
    link = tmp_path / "lien-ket.xlsx"
    link.symlink_to(real)
    assert checked_workbook(link, DEFAULTS, tmp_path) == real.resolve()


def test_local_backend_lists_and_refuses_what_is_no_workbook(form, tmp_path: Path) -> None:
    """Listing never raises; each odd entry is a source whose read fails with its reason,
    never with our folder's path."""
    (tmp_path / "18859-thu-muc.xlsx").mkdir()
    (tmp_path / "18883-mat.xlsx").symlink_to(tmp_path / "khong-co.xlsx")
    (tmp_path / "18886-vong.xlsx").symlink_to(tmp_path / "18886-vong.xlsx")
    hostile.sparse_bomb(tmp_path / "19742-bom.xlsx")
    (tmp_path / "18884-hong.xlsx").write_bytes(b"PK\x03\x04 cut short")
    os.mkfifo(tmp_path / "18885-ong.xlsx")
    backend = LocalBackend(tmp_path)
    sources = backend.list_sources()
    assert [(Path(s.locator).name, s.unit_hint) for s in sources] == [
        ("18859-thu-muc.xlsx", "18859"), ("18883-mat.xlsx", "18883"),
        ("18884-hong.xlsx", "18884"), ("18885-ong.xlsx", "18885"),
        ("18886-vong.xlsx", "18886"),
        ("19742-bom.xlsx", "19742")]
    assert all(s.modified is not None for s in sources)
    reasons = []
    for source in sources:
        with pytest.raises(FetchError) as caught:
            backend.fetch(source)
        reasons.append(str(caught.value))
    assert all(str(tmp_path) not in reason for reason in reasons), reasons
    assert reasons[2] == "18884-hong.xlsx: không đọc được bảng tính (tệp .xlsx bị hỏng)"
    assert reasons[3] == ("18885-ong.xlsx: không đọc được bảng tính (đây không phải tệp thông "
                          "thường)")
    assert "dùng đến dòng 100.000" in reasons[5]
    assert backend.describe_missing() == ("không tìm thấy tệp báo cáo của đơn vị trong thư mục "
                                          "báo cáo của tỉnh")


def test_local_backend_reads_a_good_workbook(form, tmp_path: Path) -> None:
    Book(form, VAN_DON, tmp_path / f"{VAN_DON}.xlsx").save()
    backend = LocalBackend(tmp_path, DEFAULTS)
    (source,) = backend.list_sources()
    assert source == Source(source.locator, source.modified, VAN_DON)
    assert "PL01" in backend.fetch(source)


@pytest.mark.parametrize("attack", ["sparse_rows", "many_cells", "shared_string"])
def test_cli_validate_on_a_bomb_one_line_small_memory(tmp_path: Path, attack: str) -> None:
    """The real command in its own process: exit 2, one line, no Rust or Python backtrace,
    and its peak memory (ru_maxrss of the child, KB) well under 1 GB."""
    path = ATTACKS[attack][0](tmp_path / "bom.xlsx")
    code, peak_kb, output = hostile.run_measured(
        [str(Path(sys.executable).with_name("ttcs")), "validate", str(path), "--config",
         str(CONFIG / "campaign.yaml")])
    assert code == 2
    assert output == [f"Lỗi: bom.xlsx: không đọc được bảng tính ({ATTACKS[attack][1]})"]
    print(f"peak RSS of ttcs validate on {attack}: {peak_kb // 1024} MB")
    assert peak_kb < 300 * 1024, f"peak {peak_kb // 1024} MB"


AT_THE_LIMITS: dict[str, Make] = {
    "cells": lambda p: hostile.many_cells(p, 2_500, 200),  # 500.000 cells
    "shared_string": lambda p: hostile.shared_string_bomb(p, 90_000, 500),  # 45 M characters
    "unpacked": lambda p: hostile.zip_bomb(p, 45),  # 45 MB of XML
}


@pytest.mark.parametrize("case", AT_THE_LIMITS)
def test_memory_ceiling_of_a_workbook_just_within_the_limits(tmp_path: Path, case: str) -> None:
    """What the limits let through is read (exit 1: not the form), within the stated ceiling
    of 300 MB for one unit at the default limits."""
    path = AT_THE_LIMITS[case](tmp_path / "sat-gioi-han.xlsx")
    code, peak_kb, output = hostile.run_measured(
        [str(Path(sys.executable).with_name("ttcs")), "validate", str(path), "--json",
         "--config", str(CONFIG / "campaign.yaml")])
    assert code == 1, output[-3:]
    print(f"peak RSS of ttcs validate at the {case} limit: {peak_kb // 1024} MB")
    assert peak_kb < 300 * 1024


def test_a_broken_sheet_is_refused_not_skipped(tmp_path: Path) -> None:
    """A control character expat refuses, then a far cell: calamine's lenient reader would go
    on past where the check stopped, so the sheet is refused, never half-checked."""
    path = hostile.workbook(tmp_path / "hong.xlsx", [
        '<row r="1"><c r="A1" t="inlineStr"><is><t>x\x01</t></is></c></row>',
        '<row r="100000"><c r="GR100000"><v>1</v></c></row>'])
    assert _refusal(path) == ("hong.xlsx: không đọc được bảng tính (tệp .xlsx bị hỏng (phần "
                              "xl/worksheets/sheet1.xml không phải XML hợp lệ))")


def test_a_file_python_cannot_open_as_zip_is_refused_before_calamine(tmp_path: Path) -> None:
    """Fail closed, with the reason the reader would give."""
    path = tmp_path / "cu.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 600)  # an old .xls or encrypted file
    assert _refusal(path) == ("cu.xlsx: không đọc được bảng tính (tệp được đặt mật khẩu hoặc là "
                              "định dạng .xls cũ; cần lưu lại dạng .xlsx không mật khẩu)")

"""The summary workbook is rebuilt only when a figure moved; on a quiet night its "Tình hình
lúc" line alone is replaced inside the existing file (real .xlsx files, read with openpyxl)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from ttcs.outputs.outputs_cache import write_summary_workbook
from ttcs.outputs.summary import SummaryCell, SummaryTab

NIGHT_1 = "Tình hình lúc: 22:00 ngày 29/9/2025 (hạn nộp: 17:00 ngày 30/9/2025)"
NIGHT_2 = "Tình hình lúc: 22:00 ngày 30/9/2025 (hạn nộp: 17:00 ngày 30/9/2025)"


def tabs(line: str, submitted: int, note: str = "<b>Xã A & B</b>") -> list[SummaryTab]:
    head = [[SummaryCell("BÁO CÁO TỔNG HỢP", "title")], [SummaryCell(line, "subtitle")]]
    return [SummaryTab("Tổng hợp", [*head, [SummaryCell("Đã nộp"), SummaryCell(submitted)]],
                       [30, 10]),
            SummaryTab("Tình trạng", [*head, [SummaryCell(note)]], [40])]


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


def shown(path: Path) -> list[list[object]]:
    book = load_workbook(path)
    return [[cell for row in sheet.iter_rows(values_only=True) for cell in row if cell]
            for sheet in book.worksheets]


def test_a_quiet_night_replaces_the_time_line_alone(tmp_path: Path) -> None:
    path = tmp_path / "out" / "tong-hop.xlsx"
    write_summary_workbook(tabs(NIGHT_1, 7), path)
    first = parts(path)
    assert write_summary_workbook(tabs(NIGHT_2, 7), path) == path
    second = parts(path)
    assert shown(path) == [["BÁO CÁO TỔNG HỢP", NIGHT_2, "Đã nộp", 7],
                           ["BÁO CÁO TỔNG HỢP", NIGHT_2, "<b>Xã A & B</b>"]]
    changed = {name for name in first if first[name] != second[name]}
    assert changed == {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"}
    # as openpyxl wrote the text: UTF-8, or ASCII with character references (with lxml)
    for encoding, errors in (("utf-8", "strict"), ("ascii", "xmlcharrefreplace")):
        first = {name: data.replace(NIGHT_1.encode(encoding, errors),
                                    NIGHT_2.encode(encoding, errors))
                 for name, data in first.items()}
    assert second["xl/worksheets/sheet1.xml"] == first["xl/worksheets/sheet1.xml"]
    assert sorted(p.name for p in path.parent.iterdir()) == [".tong-hop.xlsx.digest",
                                                             "tong-hop.xlsx"]


def test_a_moved_figure_rebuilds_the_workbook(tmp_path: Path) -> None:
    path = tmp_path / "tong-hop.xlsx"
    write_summary_workbook(tabs(NIGHT_1, 7), path)
    write_summary_workbook(tabs(NIGHT_2, 8), path)
    assert shown(path)[0] == ["BÁO CÁO TỔNG HỢP", NIGHT_2, "Đã nộp", 8]
    write_summary_workbook(tabs(NIGHT_2, 8, note="Xã C"), path)
    assert shown(path)[1] == ["BÁO CÁO TỔNG HỢP", NIGHT_2, "Xã C"]


def test_a_workbook_changed_by_hand_or_removed_is_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "tong-hop.xlsx"
    write_summary_workbook(tabs(NIGHT_1, 7), path)
    book = load_workbook(path)
    book.worksheets[0]["B3"] = 99  # someone typed over a figure and saved
    book.save(path)
    write_summary_workbook(tabs(NIGHT_2, 7), path)
    assert shown(path)[0] == ["BÁO CÁO TỔNG HỢP", NIGHT_2, "Đã nộp", 7]
    path.unlink()
    write_summary_workbook(tabs(NIGHT_1, 7), path)
    assert shown(path)[0] == ["BÁO CÁO TỔNG HỢP", NIGHT_1, "Đã nộp", 7]


def test_a_damaged_workbook_or_note_is_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "tong-hop.xlsx"
    write_summary_workbook(tabs(NIGHT_1, 7), path)
    stat = path.stat()
    path.write_bytes(b"PK\x03\x04 not a workbook".ljust(stat.st_size, b"."))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and time: undetected
    write_summary_workbook(tabs(NIGHT_2, 7), path)
    assert shown(path)[0] == ["BÁO CÁO TỔNG HỢP", NIGHT_2, "Đã nộp", 7]
    (tmp_path / ".tong-hop.xlsx.digest").write_text("{not json", encoding="utf-8")
    write_summary_workbook(tabs(NIGHT_1, 7), path)
    assert shown(path)[0] == ["BÁO CÁO TỔNG HỢP", NIGHT_1, "Đã nộp", 7]
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []

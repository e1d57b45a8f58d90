"""Bounded reading: a workbook is checked against the campaign's read limits before calamine
touches it.

calamine allocates the whole rectangle from A1 to the furthest cell holding a value (A1 and
XFD100000 in a 15 KB file: 52 GB) and copies a shared string into every cell that uses it, and
a Rust allocation failure aborts the process. So, before reading: the path must be a regular
file (a symlink only if it stays inside the campaign's folder), the file and its unpacked parts
must be small enough, and every XML part is streamed — inflated here with a byte cap, declared
sizes not trusted — through expat (no tree, no DTD) to find each sheet's furthest used cell
and the text the cells will hold. Reasons never show a server path, only the file's name.
"""

from __future__ import annotations

import re
import stat
import struct
import zipfile
import zlib
from array import array
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from ttcs.campaign.settings import ReadLimits
from ttcs.workbook.issues import column_letter
from ttcs.workbook.xlsx import UnreadableWorkbook, unreadable_reason

MB = 1024 * 1024
_CHUNK = 64 * 1024
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, …, file name length, extra length
_ADDRESS = re.compile(r"([A-Za-z]*)([0-9]*)")
_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_INDEX_CHARS = 20  # a shared-string index is a short number; longer text is not one


class _Refused(Exception):
    """The reason a workbook is not read (Vietnamese, without the file name)."""


def _int(value: int) -> str:
    """16384 -> '16.384' (Vietnamese thousands)."""
    return f"{value:,}".replace(",", ".")


def _mb(size: float) -> str:
    return f"{size / MB:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _limit_mb(limit: float) -> str:
    return _mb(limit * MB).removesuffix(",0")


def checked_workbook(path: Path, limits: ReadLimits, root: Path | None = None) -> Path:
    """The file to read (symlinks resolved), once it is within ``limits``.

    ``root``: the folder a symlink must stay in. Raises :class:`UnreadableWorkbook` whose
    message names the file (not its folder) and the limit with the figure found.
    """
    try:
        target = _regular_file(path, root)
        _check_size(target, limits)
        if not zipfile.is_zipfile(target):  # calamine would open other formats unchecked
            raise _Refused(unreadable_reason(target))
        _check_archive(target, limits)
    except _Refused as exc:
        raise UnreadableWorkbook(f"{path.name}: không đọc được bảng tính ({exc})") from None
    return target


def _regular_file(path: Path, root: Path | None) -> Path:
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a dangling or looping symlink
        raise _Refused("liên kết trỏ tới tệp không tồn tại" if path.is_symlink()
                       else "không tìm thấy tệp") from None
    if root is not None and not target.is_relative_to(root.resolve()):
        raise _Refused("liên kết trỏ ra ngoài thư mục báo cáo")
    try:
        mode = target.stat().st_mode
    except OSError:
        raise _Refused("không xem được thông tin của tệp") from None
    if stat.S_ISDIR(mode):
        raise _Refused("đây là một thư mục, không phải tệp bảng tính")
    if not stat.S_ISREG(mode):
        raise _Refused("đây không phải tệp thông thường")
    return target


def _check_size(target: Path, limits: ReadLimits) -> None:
    size = target.stat().st_size
    if size > limits.max_file_mb * MB:
        raise _Refused(f"tệp nặng {_mb(size)} MB, vượt giới hạn {_limit_mb(limits.max_file_mb)} "
                       "MB")


def _unpacked_over(limits: ReadLimits, found: str) -> _Refused:
    return _Refused(f"tệp giải nén ra {found} MB, vượt giới hạn "
                    f"{_limit_mb(limits.max_unpacked_mb)} MB")


def _check_archive(target: Path, limits: ReadLimits) -> None:
    try:
        with zipfile.ZipFile(target) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        # Fail closed: calamine's zip reader may open what Python's refuses, unchecked.
        raise _Refused(unreadable_reason(target)) from None
    declared = sum(info.file_size for info in members)
    if declared > limits.max_unpacked_mb * MB:
        raise _unpacked_over(limits, _mb(declared))
    scan = _Scan(limits)
    order = {_WORKBOOK: 0, _WORKBOOK_RELS: 1}  # sheet names first, for the messages
    with target.open("rb") as handle:
        for info in sorted(members, key=lambda i: order.get(i.filename, 2)):
            scan.part(info.filename, _inflate(handle, info, scan))
    scan.finish()


def _inflate(handle: BinaryIO, info: zipfile.ZipInfo, scan: _Scan) -> Iterator[bytes]:
    """A member's bytes, inflated here chunk by chunk; the scan's budget counts what comes
    out, whatever size the archive declares."""
    if info.flag_bits & 0x1:
        raise _Refused("tệp .xlsx có phần được mã hóa")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _Refused("tệp .xlsx dùng kiểu nén mà Excel không dùng")
    handle.seek(info.header_offset)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(
        handle.read(_LOCAL_HEADER.size).ljust(_LOCAL_HEADER.size, b"\0"))
    if signature != b"PK\x03\x04":
        raise _Refused("tệp .xlsx bị hỏng")
    handle.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left = info.compress_size
    while left > 0:
        data = handle.read(min(_CHUNK, left))
        if not data:
            return
        left -= len(data)
        if inflater is None:
            scan.spend(len(data))
            yield data
            continue
        while data and not inflater.eof:
            try:
                out = inflater.decompress(data, _CHUNK)
            except zlib.error:
                raise _Refused("tệp .xlsx bị hỏng") from None
            data = inflater.unconsumed_tail
            scan.spend(len(out))
            yield out
        if inflater.eof:
            return


class _Scan:
    """Streams every XML part once, counting what calamine will build from it."""

    def __init__(self, limits: ReadLimits) -> None:
        self.limits = limits
        self.unpacked = 0
        self.sheet_rels: dict[str, str] = {}  # relationship id -> sheet name
        self.targets: dict[str, str] = {}  # part name -> sheet name
        self.string_lengths = array("q")  # characters of each shared string
        self.string_uses: Counter[int] = Counter()  # shared-string index -> cells using it
        self.area = 0  # rows × columns of the sheets finished
        self.values = 0  # cells holding a value, all sheets

    def spend(self, size: int) -> None:
        self.unpacked += size
        if self.unpacked > self.limits.max_unpacked_mb * MB:
            raise _unpacked_over(self.limits, f"hơn {_limit_mb(self.limits.max_unpacked_mb)}")

    def part(self, name: str, chunks: Iterator[bytes]) -> None:
        reader = _Part(self, name)
        try:
            for chunk in chunks:
                reader.parser.Parse(chunk, False)
            reader.parser.Parse(b"", True)
        except expat.ExpatError:
            # An image is not XML. A broken part calamine reads cells from is refused: its
            # lenient reader would go on past where this check stopped.
            if name in (_WORKBOOK, _WORKBOOK_RELS) or name.startswith("xl/worksheets/") \
                    or name.endswith("sharedStrings.xml"):
                raise _Refused(f"tệp .xlsx bị hỏng (phần {name} không phải XML hợp lệ)"
                               ) from None
        if name == _WORKBOOK_RELS:
            self.targets = {_part_name(target): self.sheet_rels.get(rel_id, "")
                            for rel_id, target in reader.relations.items()}

    def finish(self) -> None:
        text = sum(self.string_lengths[i] * uses for i, uses in self.string_uses.items()
                   if i < len(self.string_lengths))
        if text > self.limits.max_unpacked_mb * MB:
            raise _Refused(f"chữ trong các ô tổng cộng {_int(text)} ký tự, vượt giới hạn "
                           f"{_int(int(self.limits.max_unpacked_mb * MB))} ký tự")

    def sheet_done(self, area: int) -> None:
        self.area += area

    def check_cell(self, sheet: str, row: int, col: int, area: int) -> None:
        limits = self.limits
        self.values += 1  # the same address written again still costs calamine a cell
        if row > limits.max_rows:
            raise _Refused(f"bảng '{sheet}' dùng đến dòng {_int(row)}, vượt giới hạn "
                           f"{_int(limits.max_rows)} dòng")
        if col > limits.max_columns:
            raise _Refused(f"bảng '{sheet}' dùng đến cột {column_letter(col)} ({_int(col)} cột), "
                           f"vượt giới hạn {_int(limits.max_columns)} cột")
        if max(self.area + area, self.values) > limits.max_cells:
            raise _Refused(f"các bảng dùng {_int(max(self.area + area, self.values))} ô (số "
                           f"dòng × số cột tính từ ô A1), vượt giới hạn {_int(limits.max_cells)} ô")

    def add_string(self, index: int) -> None:
        if index >= len(self.string_lengths):
            if index >= self.limits.max_cells:
                raise _Refused(f"tệp có hơn {_int(self.limits.max_cells)} chuỗi ký tự dùng "
                               "chung, vượt giới hạn số ô")
            self.string_lengths.extend([0] * (index + 1 - len(self.string_lengths)))


def _part_name(target: str) -> str:
    """A relationship target of the workbook as a part name ("worksheets/s1.xml" -> xl/…)."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in f"xl/{target}".split("/"):
        if piece == "..":
            parts = parts[:-1]
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


class _Part:
    """expat handlers for one part: workbook sheets and relations, shared-string lengths,
    and each sheet's cells holding a value (styled empty cells are not read by calamine)."""

    def __init__(self, scan: _Scan, name: str) -> None:
        self.scan = scan
        self.sheet = scan.targets.get(name) or name
        self.relations: dict[str, str] = {}
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.string = -1  # index of the shared string being read, in an <sst> part
        self.in_string = False
        self.row = self.col = 0  # the current cell, 1-based
        self.max_row = self.max_col = 0
        self.cell_has_value = False
        self.shared = False  # the current cell is t="s"
        self.index_text: str | None = None  # the <v> text of a t="s" cell being read

    def doctype(self, *_: object) -> None:
        raise _Refused("tệp .xlsx chứa khai báo DTD, Excel không tạo ra tệp như vậy")

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        name = tag.rsplit(" ", 1)[-1]
        if name == "c":
            self._cell(attrs)
        elif name in ("v", "is", "f"):
            self.cell_has_value = True
            if name == "v" and self.shared:
                self.index_text = ""
        elif name == "row":
            self.row = _number(attrs.get("r")) or self.row + 1
            self.col = 0
        elif name == "sheetData":
            self.row = self.col = self.max_row = self.max_col = 0
        elif name == "si":
            self.string += 1
            self.scan.add_string(self.string)
            self.in_string = True
        elif name == "sheet":
            rel_id = next((v for k, v in attrs.items() if k.rsplit(" ", 1)[-1] == "id"), "")
            self.scan.sheet_rels[rel_id] = attrs.get("name", "")
        elif name == "Relationship":
            self.relations[attrs.get("Id", "")] = attrs.get("Target", "")

    def _cell(self, attrs: dict[str, str]) -> None:
        letters, digits = _ADDRESS.match(attrs.get("r", "")).groups()  # type: ignore[union-attr]
        self.col = _column(letters) if letters else self.col + 1
        self.row = int(digits) if digits else self.row
        self.cell_has_value = False
        self.shared = attrs.get("t") == "s"

    def end(self, tag: str) -> None:
        name = tag.rsplit(" ", 1)[-1]
        if name == "c" and self.cell_has_value:
            self.max_row, self.max_col = max(self.max_row, self.row), max(self.max_col, self.col)
            self.scan.check_cell(self.sheet, self.row, self.col, self.max_row * self.max_col)
        elif name == "v" and self.index_text is not None:
            index = _number(self.index_text)
            if index is not None:
                self.scan.string_uses[index] += 1
            self.index_text = None
        elif name == "sheetData":
            self.scan.sheet_done(self.max_row * self.max_col)
        elif name == "si":
            self.in_string = False

    def text(self, data: str) -> None:
        if self.in_string:
            self.scan.string_lengths[self.string] += len(data)
        elif self.index_text is not None and len(self.index_text) < _INDEX_CHARS:
            self.index_text += data


def _number(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def _column(letters: str) -> int:
    col = 0
    for letter in letters.upper():
        col = col * 26 + ord(letter) - 64
    return col

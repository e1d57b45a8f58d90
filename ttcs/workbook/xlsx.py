"""Reading .xlsx workbooks into the raw shape every backend returns (tab -> ragged rows)."""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from python_calamine import CalamineWorkbook

from ttcs.errors import UserError
from ttcs.workbook.values import uncomputed_formula, untagged

Raw = dict[str, list[list[Any]]]
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # password-protected .xlsx and old .xls files are OLE files
ZIP_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip archive
_ADDRESS = re.compile(r"([A-Z]+)([0-9]+)")
# A sheet holding neither an error cell nor a formula need not be parsed again.
_MAYBE_SPECIAL = re.compile(rb"""t=["']e["']|<(?:\w+:)?f[\s/>]""")


class UnreadableWorkbook(UserError):
    """The file cannot be read as a workbook at all."""


def _cell_value(value: Any) -> Any:
    if isinstance(value, str):
        return untagged(value) or None
    return value


def _trim(row: list[Any]) -> list[Any]:
    """Empty strings become None and trailing blanks go, as the Sheets API trims rows."""
    cells = [_cell_value(v) for v in row]
    while cells and cells[-1] is None:
        cells.pop()
    return cells


def unreadable_reason(path: Path) -> str:
    """Why a file calamine cannot open is no workbook (Vietnamese, for the commune)."""
    if not path.exists():
        return "không tìm thấy tệp"
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(OLE_MAGIC):
        return ("tệp được đặt mật khẩu hoặc là định dạng .xls cũ; "
                "cần lưu lại dạng .xlsx không mật khẩu")
    if not (head.startswith(ZIP_MAGIC) or zipfile.is_zipfile(path)):  # truncated: no index
        return "tệp không phải bảng tính .xlsx"
    return "tệp .xlsx bị hỏng"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _position(address: str) -> tuple[int, int] | None:
    """0-based (row, col) of an A1 address."""
    match = _ADDRESS.fullmatch(address.replace("$", ""))
    if match is None:
        return None
    col = 0
    for letter in match[1]:
        col = col * 26 + ord(letter) - 64
    return int(match[2]) - 1, col - 1


def _special_value(cell: ElementTree.Element) -> str | None:
    """The raw value calamine cannot give for one ``<c>``: its error value, or the marker of a
    formula without a computed value (calamine reads both as empty)."""
    kind = cell.get("t")
    value = formula = None
    for child in cell:
        name = _local(child.tag)
        if name == "v":
            value = child
        elif name == "f":
            formula = child
    if kind == "e" and value is not None and value.text:
        return value.text
    # No <v>, or an empty one where the type cannot be empty (a formula giving "" is t="str").
    if formula is not None and (value is None or (not value.text and kind != "str")):
        return uncomputed_formula(formula.text)
    return None


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip part holding its XML."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    parts = {}
    for sheet in (e for e in book.iter() if _local(e.tag) == "sheet"):
        rel_id = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
        target = targets.get(rel_id, "")
        parts[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else (
            posixpath.normpath(posixpath.join("xl", target)))
    return parts


def _special_cells(path: Path) -> dict[str, list[tuple[int, int, str]]]:
    """Error values (#REF!, #N/A, …) and uncomputed formulas by sheet name, from the sheet XML.

    calamine reads both as empty cells, which would turn "#REF!" or a formula never
    calculated into a blank; the readers must see them to report them. One pass per sheet,
    and only over sheets that hold an error cell or a formula.
    """
    found: dict[str, list[tuple[int, int, str]]] = {}
    with zipfile.ZipFile(path) as archive:
        for name, part in _sheet_parts(archive).items():
            try:
                if _may_hold_special(archive, part):
                    found[name] = _special_in(archive, part)
            except KeyError:
                continue
    return found


def _may_hold_special(archive: zipfile.ZipFile, part: str) -> bool:
    """A streamed scan: a sheet is never held in memory whole (it may be tens of MB)."""
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            if _MAYBE_SPECIAL.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _special_in(archive: zipfile.ZipFile, part: str) -> list[tuple[int, int, str]]:
    cells = []
    with archive.open(part) as stream:
        for _, element in ElementTree.iterparse(stream):
            if _local(element.tag) != "c":
                continue
            where = _position(element.get("r", ""))
            value = _special_value(element)
            if where and value:
                cells.append((*where, value))
            element.clear()
    return cells


def _restore_special(raw: Raw, path: Path) -> None:
    try:
        special = _special_cells(path)
    except Exception:  # calamine read the values; a missing special value is not worth a crash
        return
    for name, cells in special.items():
        rows = raw.get(name)
        if rows is None:
            continue
        for r, c, value in cells:
            while len(rows) <= r:
                rows.append([])
            row = rows[r]
            row.extend([None] * (c + 1 - len(row)))
            row[c] = value


def read_xlsx(path: Path) -> Raw:
    """Every tab's values, read with calamine (16× faster than openpyxl for values).

    Rows start at row 1 and cells at column A, whatever is empty, so that positions are the
    sheet's own A1 addresses; error cells keep their error value ("#REF!") and a formula
    never calculated is an :func:`ttcs.workbook.values.uncomputed_formula`.
    """
    try:
        book = CalamineWorkbook.from_path(str(path))
        raw: Raw = {}
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            rows = [_trim(list(row)) for row in sheet.to_python(skip_empty_area=False)]
            while rows and not rows[-1]:
                rows.pop()
            raw[name] = rows
    except (KeyboardInterrupt, SystemExit):
        raise
    # calamine raises several unrelated types for a bad file, and a Rust panic is a
    # BaseException (pyo3's PanicException).
    except BaseException as exc:
        reason = unreadable_reason(path)
        raise UnreadableWorkbook(f"{path.name}: không đọc được bảng tính ({reason})") from exc
    _restore_special(raw, path)
    return raw

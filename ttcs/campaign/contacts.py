"""Unit contacts: a CSV a coordinator edits in Excel or LibreOffice.

UTF-8 with BOM (so Excel shows the diacritics), "," or ";" separated (Excel in a Vietnamese
locale saves with ";"), codes read as text and re-padded when a spreadsheet program stripped
their leading zeros. Rows whose code the registry does not know are reported, never dropped
silently.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ttcs.campaign import registry
from ttcs.campaign.contacts_format import is_email, is_phone
from ttcs.errors import ConfigError, read_reason
from ttcs.text import clean, key

# Column id -> header written in templates; headers are matched diacritics-insensitively,
# and the English ids are accepted too.
COLUMNS = {
    "code": "Mã đơn vị",
    "name": "Tên đơn vị",
    "person": "Người phụ trách",
    "email": "Email",
    "phone": "Điện thoại",
    "apprise_url": "Apprise URL",
    "spreadsheet": "Bảng tính Google (ID hoặc đường dẫn)",
}
_HEADER_KEYS = (
    {key(label): col for col, label in COLUMNS.items()}
    | {key(label.split("(")[0]): col for col, label in COLUMNS.items()}
    | {key(col): col for col in COLUMNS}
)
_SHEET_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Contact:
    code: str
    person: str = ""
    email: str = ""
    phone: str = ""
    apprise_url: str = ""
    spreadsheet_id: str = ""


@dataclass
class Contacts:
    by_code: dict[str, Contact] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def get(self, code: str) -> Contact | None:
        return self.by_code.get(code)


def spreadsheet_id(value: str) -> str:
    """The id in a Google Sheets URL, or the value itself when it already is an id."""
    match = _SHEET_URL.search(value)
    return match.group(1) if match else value.strip()


def _dialect(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    return ";" if first.count(";") > first.count(",") else ","


def read_contacts(path: Path, province_code: str) -> Contacts:
    """Read the contacts CSV; unknown codes and malformed values go to ``problems``."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return Contacts(problems=[f"{path}: chưa có tệp danh bạ"])
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: không đọc được tệp danh bạ ({read_reason(exc)})") from None
    rows = list(csv.reader(io.StringIO(text), delimiter=_dialect(text)))
    if not rows:
        return Contacts(problems=[f"{path}: tệp danh bạ trống"])
    columns = [_HEADER_KEYS.get(key(cell)) for cell in rows[0]]
    if "code" not in columns:
        raise ConfigError(f"{path}: thiếu cột '{COLUMNS['code']}' ở dòng tiêu đề")
    known = {unit.code for unit in registry.units(province_code)}
    result = Contacts()
    for line, row in enumerate(rows[1:], start=2):
        values = {col: clean(cell) for col, cell in zip(columns, row, strict=False) if col}
        if not any(values.values()):
            continue
        _add_row(result, values, known, f"{path}, dòng {line}")
    return result


def _add_row(result: Contacts, values: dict[str, str], known: set[str], where: str) -> None:
    raw_code = values.get("code", "")
    try:
        code = registry.normalise_code(raw_code)
    except ValueError:
        code = raw_code
    if code not in known:
        result.problems.append(f"{where}: mã đơn vị '{raw_code}' không thuộc tỉnh trong danh mục")
        return
    if code in result.by_code:
        result.problems.append(f"{where}: mã đơn vị {code} bị khai hai lần; giữ dòng đầu tiên")
        return
    email, phone = values.get("email", ""), values.get("phone", "")
    if email and not is_email(email):
        result.problems.append(f"{where}: email '{email}' không hợp lệ")
        email = ""
    if phone and not is_phone(phone):
        result.problems.append(f"{where}: số điện thoại '{phone}' không đúng định dạng Việt Nam")
    result.by_code[code] = Contact(
        code=code,
        person=values.get("person", ""),
        email=email,
        phone=phone,
        apprise_url=values.get("apprise_url", ""),
        spreadsheet_id=spreadsheet_id(values.get("spreadsheet", "")),
    )


def write_template(path: Path, units: list[registry.Unit], existing: Contacts | None = None) -> int:
    """Write a pre-filled contacts CSV (UTF-8 with BOM, ","); keeps what ``existing`` knows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS.values())
        for unit in units:
            known = (existing.get(unit.code) if existing else None) or Contact(code=unit.code)
            writer.writerow(
                [
                    unit.code,
                    unit.name,
                    known.person,
                    known.email,
                    known.phone,
                    known.apprise_url,
                    known.spreadsheet_id,
                ]
            )
    return len(units)


def sheet_url(spreadsheet: str) -> str:
    """The Google Sheets URL of a spreadsheet id (or of the id inside a URL)."""
    return f"https://docs.google.com/spreadsheets/d/{spreadsheet_id(spreadsheet)}/edit"


def record_spreadsheets(path: Path, sheets: Mapping[str, str], names: Mapping[str, str]) -> int:
    """Write each unit's spreadsheet URL (``sheets``: code -> id) into the contacts CSV.

    Every other column, row and value is kept, and the file's delimiter; the spreadsheet
    column is added when missing, and a row (code, name) for a unit without one. Written as
    UTF-8 with BOM through a temporary file, so a crash never leaves half a file. Returns how
    many cells changed.
    """
    if not sheets:
        return 0
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: không đọc được tệp danh bạ ({read_reason(exc)})") from None
    delimiter = _dialect(text)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter)) if text else []
    if not rows:
        rows = [list(COLUMNS.values())]
    header = rows[0]
    columns = [_HEADER_KEYS.get(key(cell)) for cell in header]
    if "code" not in columns:
        raise ConfigError(f"{path}: thiếu cột '{COLUMNS['code']}' ở dòng tiêu đề")
    if "spreadsheet" not in columns:
        header.append(COLUMNS["spreadsheet"])
        columns.append("spreadsheet")
    code_at, sheet_at = columns.index("code"), columns.index("spreadsheet")
    name_at = columns.index("name") if "name" in columns else None
    width = len(header)
    todo = {code: sheet_url(value) for code, value in sheets.items()}
    changed = 0
    for row in rows[1:]:
        try:
            code = registry.normalise_code(clean(row[code_at])) if len(row) > code_at else ""
        except ValueError:
            continue
        if code in todo:
            row.extend([""] * (width - len(row)))
            url = todo.pop(code)
            if row[sheet_at] != url:
                row[sheet_at] = url
                changed += 1
    for code, url in sorted(todo.items()):
        row = [""] * width
        row[code_at] = code
        if name_at is not None:
            row[name_at] = names.get(code, "")
        row[sheet_at] = url
        rows.append(row)
        changed += 1
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        with temporary.open("w", encoding="utf-8-sig", newline="") as out:
            csv.writer(out, delimiter=delimiter).writerows(rows)
        os.replace(temporary, path)
    return changed

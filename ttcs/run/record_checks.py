"""Checks on one unit's stored record that no sheet formula can make: a required assessment
that is too short, a number written in a text that contradicts the unit's own table, and the
merger (a new unit with no station, or far fewer boards, than its old units had).

They run each night over the record kept with the unit's verdict (:func:`ttcs.run.assess.record`,
which keeps each value's sheet and cell), and give warnings only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ttcs.campaign import registry
from ttcs.text import clean
from ttcs.vi_format import number
from ttcs.workbook.form import Form
from ttcs.workbook.issues import Issue

Record = Mapping[str, Any]


@dataclass(frozen=True)
class Cell:
    sheet: str | None
    cell: str | None

    def say(self, message: str) -> str:
        """``message`` after "Ô C5: " (or "Trang PL03: " without a cell), as other issues."""
        if self.cell:
            return f"Ô {self.cell}: {message}"
        if self.sheet:
            return f"Trang {self.sheet}: {message}"
        return message[:1].upper() + message[1:]

    def where(self) -> str:
        return f"trang {self.sheet}, ô {self.cell}" if self.cell else f"trang {self.sheet}"


NOWHERE = Cell(None, None)


def _cell(pair: Any) -> Cell:
    return Cell(pair[0], pair[1]) if pair else NOWHERE


def section_cell(record: Record, section: str) -> Cell:
    return _cell(record.get("section_cells", {}).get(section))


def item_cell(record: Record, field: str) -> Cell:
    return _cell(record.get("item_cells", {}).get(field))


def rows(record: Record, table: str, period: str | None = None) -> list[Mapping[str, Any]]:
    return [r for r in record.get("tables", {}).get(table, [])
            if period is None or r["period"] == period]


def row_cell(row: Mapping[str, Any], field: str) -> Cell:
    return _cell(row.get("cells", {}).get(field))


def texts(form: Form, record: Record) -> Iterator[tuple[str, str, Cell]]:
    """(where, text, cell) of every written answer: the assessments, then the text fields."""
    for section, answer in record.get("sections", {}).items():
        if isinstance(answer, str) and answer.strip():
            yield f"mục {section}", answer, section_cell(record, section)
    text_fields = {f.id: f.label for f in form.single_fields if f.type == "text"}
    for field, value in record.get("items", {}).items():
        if field in text_fields and isinstance(value, str) and value.strip():
            yield f'"{text_fields[field]}"', value, item_cell(record, field)


# -- a. a required assessment too short --------------------------------------------------------
def short_assessments(form: Form, unit: str, record: Record) -> list[Issue]:
    """A required assessment written but shorter than ``min_assessment_chars`` (an empty one
    is already an error of the form's required check)."""
    least = int(form.params["min_assessment_chars"])
    found = []
    for section in form.sections.commune_sections:
        answer = record.get("sections", {}).get(section.id)
        if not section.required or not isinstance(answer, str) or not answer.strip():
            continue
        length = len(clean(answer))
        if length < least:
            where = section_cell(record, section.id)
            found.append(Issue(
                unit, where.sheet, where.cell, section.id, "assessment_too_short", "warning",
                where.say(f"đánh giá mục {section.id} ({section.title}) chỉ có {length} ký "
                          f"tự, quá ngắn so với yêu cầu (ít nhất {least}); đề nghị viết rõ kết "
                          "quả, số liệu và nguyên nhân")))
    return found


# -- c. a number written in a text against the unit's own table ---------------------------------
@dataclass(frozen=True)
class Counted:
    """What a number followed by one of ``words`` counts: fields of a table (units rows, one
    matrix row, or the form's items)."""

    words: tuple[str, ...]  # folded (no diacritics, lower case)
    table: str
    fields: tuple[str, ...]
    matrix_row: str | None = None


COUNTED = (
    Counted(("bang tin",), "PL02.web_boards", ("boards", "boards_connected")),
    Counted(("cum loa", "cum thu"), "PL01.stations", ("it_clusters",)),
    Counted(("tuyen truyen vien",), "PL03.staff", ("total", "trained", "edu_university",
                                                   "edu_college", "edu_intermediate",
                                                   "edu_other"), "propagandists"),
    Counted(("buoi tap huan", "buoi boi duong"), "PL03.training", ("training_sessions",)),
    Counted(("luot nguoi",), "PL03.training", ("training_participants",)),
)
_WORDS = {word: counted for counted in COUNTED for word in counted.words}
# A whole number (Vietnamese thousands "1.200") directly followed by a counted word; never a
# part of a longer number, a decimal or a code.
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:\.\d{3})+|\d+)\s+("
                     + "|".join(map(re.escape, sorted(_WORDS, key=len, reverse=True)))
                     + r")(?!\w)")
# ... and not the end of a period or a year ("2021 - 2025 bảng tin", "năm 2024 bảng tin").
_YEAR_BEFORE = re.compile(r"(\d\s*[-–—/]\s*|\bnam\s+|\bgiai doan\s+)$")


def _folded(text: str) -> str:
    """Lower case without diacritics, one character per character of ``text``."""
    return "".join(unicodedata.normalize("NFD", ch)[:1] for ch in text.lower()).replace("đ", "d")


def _numbers(text: str) -> Iterator[tuple[int, Counted, str]]:
    folded = _folded(text)
    for found in _NUMBER.finditer(folded):
        if _YEAR_BEFORE.search(folded[max(0, found.start() - 12):found.start()]):
            continue
        snippet = text[found.start():found.end()] if len(folded) == len(text) else found[0]
        yield int(found[1].replace(".", "")), _WORDS[found[2]], snippet


def _table_values(record: Record, counted: Counted) -> tuple[set[int], Cell, int | None]:
    """Every value the text may mean (each row, and the old units' total), and the cell and
    value to name: the new unit's row, the matrix row or the item."""
    if counted.table == "PL03.training":
        field = counted.fields[0]
        value = record.get("items", {}).get(field)
        return ({value} if isinstance(value, int) else set()), item_cell(record, field), value
    wanted = [r for r in rows(record, counted.table)
              if counted.matrix_row in (None, r["key"])]
    values: set[int] = set()
    for field in counted.fields:
        found = [r["values"].get(field) for r in wanted]
        numbers = [v for v in found if isinstance(v, int) and not isinstance(v, bool)]
        values |= set(numbers)
        before = [r["values"].get(field) for r in wanted if r["period"] == "before"]
        if before and all(isinstance(v, int) for v in before):
            values.add(sum(before))
    shown = next((r for r in wanted if r["period"] in ("after", "matrix")), None)
    if shown is None:
        return values, NOWHERE, None
    field = counted.fields[0]
    return values, row_cell(shown, field), shown["values"].get(field)


def numbers_in_texts(form: Form, unit: str, record: Record) -> list[Issue]:
    labels = {f"{table}.{f.id}": f.label for table, block in form.tables.items()
              for f in block.fields}
    found = []
    for where, text, cell in texts(form, record):
        for written, counted, snippet in _numbers(clean(text)):
            values, shown, value = _table_values(record, counted)
            if not values or written in values or value is None:
                continue
            label = labels.get(f"{counted.table}.{counted.fields[0]}", counted.fields[0])
            found.append(Issue(
                unit, cell.sheet, cell.cell, None, "text_number_mismatch", "warning",
                cell.say(f'{where} ghi "{snippet}" nhưng {shown.where()} ("{label}") khai '
                         f"{number(value)}; đề nghị kiểm tra lại cho thống nhất")))
    return found


# -- d. the merger ------------------------------------------------------------------------------
def merger(form: Form, unit: str, record: Record) -> list[Issue]:
    """The new unit after 01/7/2025 against its old units before it: no station while they
    had one; far fewer bulletin boards than they had together."""
    return _lost_station(form, unit, record) + _lost_boards(form, unit, record)


def _names(unit: str, codes: list[str]) -> str:
    owner = registry.unit(unit)
    names = {p.code: p.name for p in owner.predecessors}
    return ", ".join(names.get(code, code) for code in codes)


def _lost_station(form: Form, unit: str, record: Record) -> list[Issue]:
    after = rows(record, "PL01.stations", "after")
    had = [r["key"] for r in rows(record, "PL01.stations", "before")
           if r["values"].get("has_station") is True]
    if not after or after[0]["values"].get("has_station") is not False or not had:
        return []
    where = row_cell(after[0], "has_station")
    return [Issue(unit, where.sheet, where.cell, "has_station", "merger_station_lost", "warning",
                  where.say(f'sau 01/7/2025 đơn vị khai "{form.no_label}" có đài truyền thanh, '
                            f"trong khi {len(had)} đơn vị cũ có đài ({_names(unit, had)}); đề "
                            "nghị kiểm tra lại (đài của đơn vị cũ đã ngừng hoạt động hay chưa "
                            "được khai)"))]


def _lost_boards(form: Form, unit: str, record: Record) -> list[Issue]:
    after = rows(record, "PL02.web_boards", "after")
    before = [r["values"].get("boards") for r in rows(record, "PL02.web_boards", "before")]
    if not after or not before or not all(isinstance(v, int) for v in before):
        return []
    now, total = after[0]["values"].get("boards"), sum(before)
    share = form.params["merger_boards_min_fraction"]
    if not isinstance(now, int) or not total or now >= share * total:
        return []
    where = row_cell(after[0], "boards")
    return [Issue(unit, where.sheet, where.cell, "boards", "merger_boards_drop", "warning",
                  where.say(f"sau 01/7/2025 đơn vị khai {number(now)} bảng tin điện tử công "
                            f"cộng, ít hơn nhiều so với tổng {number(total)} bảng tin của các "
                            f"đơn vị cũ trước 01/7/2025 (dưới {share:.0%}); đề nghị kiểm tra "
                            "lại"))]


def check(form: Form, unit: str, record: Record) -> list[Issue]:
    """Every warning of one unit's own record."""
    return (short_assessments(form, unit, record) + numbers_in_texts(form, unit, record)
            + merger(form, unit, record))

"""Where everything goes in a commune's workbook, described once from the form config.

The layout is a list of cells per tab (value, role, validation) plus column widths, merges
and frozen rows. The .xlsx template (:mod:`ttcs.workbook.template`) and the Google Sheets renderer
draw the same layout; the parser does not depend on it (it locates by labels and codes), so
a commune that inserts rows or moves columns still parses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ttcs.campaign.registry import Predecessor, Unit
from ttcs.workbook.form import (
    Form,
    FormField,
    ItemsBlock,
    MatrixBlock,
    SectionsBlock,
    Tab,
    UnitsBlock,
)
from ttcs.workbook.issues import column_letter
from ttcs.workbook.live_checks import Mark, TableArea, hints, plan, tab_counts
from ttcs.workbook.print_layout import ANSWER_LINES, TextBox, landscape, row_heights, spans

# (table, row, field): ("PL01.stations", "18859:after", "has_station"),
# ("PL03.staff", "propagandists", "total"), ("PL03.training", "", "training_sessions"),
# ("sections", "B.IV.2", "answer").
Ref = tuple[str, str, str]
# "live": a formula the spreadsheet computes (the count of problems); never a field.
# "remark": a note inside a table (the split of an old unit), locked, never a field.
Role = Literal["title", "label", "header", "key", "input", "na", "note", "remark", "live"]
Validation = Literal["yesno", "count", "choice", "date"] | None
BOLD_ROLES = frozenset({"title", "label", "header"})
TITLE_SIZE, BODY_SIZE = 13, 11  # points: the tab's title, everything else
DEFAULT_WIDTH = 9.0  # characters: a column the layout gives no width
REMARK_LABEL, REMARK_WIDTH = "Ghi chú", 24  # the column after a units table's last field
GUIDE = (
    "Đơn vị điền số liệu vào các ô trắng của các trang PL01, PL02, PL03, Đánh giá và Xác nhận; "
    "các ô tô xám (mã, tên đơn vị, tiêu đề) đã điền sẵn và được khóa.",
    "Trước ngày 01/7/2025: điền một dòng cho mỗi xã, phường, thị trấn cũ đã sáp nhập vào đơn vị "
    "(đã điền sẵn mã và tên). Sau ngày 01/7/2025: điền dòng của đơn vị mới.",
    'Các cột Có/Không: chọn "Có" hoặc "Không" trong danh sách.',
    "Các cột số lượng: nhập số nguyên không âm (ví dụ 12), không ghi kèm đơn vị tính.",
    "Số liệu tính đến ngày {data_as_of}. Hạn gửi báo cáo: {deadline}.",
    'Khi đã nhập đầy đủ, vào trang "Xác nhận" chọn "Có" ở ô "Đã hoàn thành". '
    "Hệ thống kiểm tra hằng đêm và gửi thông báo nếu còn ô thiếu hoặc sai.",
    "Bảng tính tự kiểm tra ngay khi nhập: ô tô vàng là mục bắt buộc chưa nhập, ô tô đỏ là số "
    "liệu sai hoặc mâu thuẫn, ô tô cam là số liệu bất thường cần kiểm tra lại; màu tự mất khi "
    'đã sửa đúng. Chọn một ô để xem điều kiện kiểm tra; trang "Xác nhận" cho biết còn bao '
    "nhiêu ô cần sửa.",
    "Không đổi tên, không xóa các trang và các dòng tiêu đề; "
    "có thể thêm ghi chú ở cột trống bên phải.",
)

SPLIT_GUIDE = (  # only for a unit that reports an old unit split between several new units
    'Xã, phường, thị trấn cũ có ghi chú ở cột "Ghi chú" đã được chia cho nhiều đơn vị mới: '
    "đơn vị báo cáo số liệu trước ngày 01/7/2025 cho toàn bộ đơn vị cũ đó, kể cả phần đã "
    "chuyển về các đơn vị mới ghi trong ghi chú (các đơn vị này không báo cáo lại)."
)


@dataclass(frozen=True)
class Cell:
    row: int  # 1-based
    col: int  # 1-based
    value: str | int | None
    role: Role
    validation: Validation = None
    choices: tuple[str, ...] = ()
    bounds: tuple[float | None, float | None] = (None, None)  # a count's min and max
    wrap: bool = False
    ref: Ref | None = None  # what an input cell answers, for filling a workbook in
    shows: str | None = None  # the longest text a formula shows (for the row's height)
    answer: bool = False  # a long text the commune writes: several lines, refitted on edit


@dataclass
class TabLayout:
    tab_id: str
    name: str
    cells: list[Cell] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    freeze_rows: int = 0
    tables: dict[str, TableArea] = field(default_factory=dict)  # "PL01.stations" -> area
    marks: list[Mark] = field(default_factory=list)  # live checks (conditional formats)
    hints: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> message

    @property
    def last_row(self) -> int:
        return max((cell.row for cell in self.cells), default=0)

    @property
    def last_col(self) -> int:
        return max([cell.col for cell in self.cells] + [m[3] for m in self.merges], default=1)

    @property
    def wide(self) -> bool:
        """Printed landscape: too wide for a portrait page."""
        return landscape(sum(self.widths.get(c, DEFAULT_WIDTH)
                             for c in range(1, self.last_col + 1)))

    @property
    def title_rows(self) -> tuple[int, int] | None:
        """The table header, repeated on every printed page."""
        return (self.freeze_rows, self.freeze_rows) if self.freeze_rows else None

    def heights(self, answers: Mapping[Ref, Any] | None = None) -> dict[int, float]:
        """Row -> points: each row as tall as its wrapped text needs, the answers typed in
        included; a long written answer gets at least :data:`ANSWER_LINES` lines. A formula
        shows one line (its value is the spreadsheet's to compute)."""
        merged = spans(self.widths, self.merges, DEFAULT_WIDTH)
        boxes = ((cell.row, TextBox(
            text, merged.get((cell.row, cell.col), self.widths.get(cell.col, DEFAULT_WIDTH)),
            font_size(cell.role), cell.role in BOLD_ROLES, cell.wrap))
            for cell in self.cells for text in _texts(cell, answers or {}))
        return row_heights(boxes, BODY_SIZE, self.last_row)

    @property
    def fitted_rows(self) -> set[int]:
        """Rows of a long written answer: their height follows what the commune types."""
        return {cell.row for cell in self.cells if cell.answer}

    def add(self, row: int, col: int, value: str | int | None, role: Role, **extra) -> None:
        self.cells.append(Cell(row, col, value, role, **extra))


def _texts(cell: Cell, answers: Mapping[Ref, Any]) -> tuple[str, ...]:
    """What a cell shows, as far as its row's height goes: a long answer's room included."""
    if cell.role == "live":
        return (cell.shows or "0",)
    shown = answers.get(cell.ref) if cell.ref else cell.value
    room = ("\n" * (ANSWER_LINES - 1),) if cell.answer else ()
    return room + ((str(shown),) if shown is not None else ())


def font_size(role: Role) -> int:
    return TITLE_SIZE if role == "title" else BODY_SIZE


def workbook_layout(form: Form, unit: Unit, texts: dict[str, str]) -> list[TabLayout]:
    """The whole workbook for one unit; ``texts`` fills {data_as_of} and {deadline} in the guide."""
    layouts = [_tab(form, tab, unit, texts) for tab in form.tabs]
    checks = plan(form, layouts)
    for layout in layouts:
        layout.marks = checks.marks[layout.name]
        inputs = {(c.row, c.col) for c in layout.cells if c.role == "input"}
        layout.hints = {at: text for at, text in hints(layout.marks).items() if at in inputs}
    _live_count(form, layouts)
    return layouts


def _tab(form: Form, tab: Tab, unit: Unit, texts: dict[str, str]) -> TabLayout:
    layout = TabLayout(tab.id, tab.name)
    layout.add(1, 1, tab.title, "title")
    layout.merges.append((1, 1, 1, 6))
    layout.add(2, 1, form.unit_header["code_label"], "label")
    layout.add(2, 2, unit.code, "key")
    layout.add(2, 3, form.unit_header["name_label"], "label")
    layout.add(2, 4, unit.name, "key", wrap=True)
    layout.widths = {1: 14, 2: 26, 3: 14, 4: 18}
    row = 4
    if not tab.blocks:
        lines = GUIDE + (SPLIT_GUIDE,) * any(p.shared_with for p in unit.predecessors)
        for line in lines:
            layout.add(row, 1, line.format(**texts), "note", wrap=True)
            layout.merges.append((row, 1, row, 4))
            row += 1
    for block in tab.blocks:
        table = f"{tab.id}.{block.id}"
        if isinstance(block, UnitsBlock):
            row = _units(layout, form, block, unit, row, table)
        elif isinstance(block, MatrixBlock):
            row = _matrix(layout, block, form, row, table)
        elif isinstance(block, ItemsBlock):
            row = _items(layout, block, form, row, table)
        elif isinstance(block, SectionsBlock):
            row = _sections(layout, block, row)
        row += 1
    return layout


def _input(layout: TabLayout, row: int, col: int, spec: FormField, form: Form, ref: Ref,
           long: bool = False) -> None:
    """An input cell; ``long``: a text the commune writes at length (an assessment)."""
    if spec.type == "yesno":
        layout.add(row, col, None, "input", validation="yesno",
                   choices=(form.yes_label, form.no_label), ref=ref)
    elif spec.type == "choice":
        layout.add(row, col, None, "input", validation="choice", choices=tuple(spec.choices),
                   ref=ref)
    elif spec.type == "count":
        layout.add(row, col, None, "input", validation="count", bounds=(spec.min, spec.max),
                   ref=ref)
    elif spec.type == "date":
        layout.add(row, col, None, "input", validation="date", ref=ref)
    else:
        layout.add(row, col, None, "input", wrap=spec.type == "text", ref=ref, answer=long)


def _units(layout: TabLayout, form: Form, block: UnitsBlock, unit: Unit, row: int,
           table: str) -> int:
    heads = [block.key_label, block.name_label, block.period_label]
    for col, text in enumerate(heads + [f.label for f in block.fields], start=1):
        layout.add(row, col, text, "header", wrap=True)
    layout.freeze_rows = row
    for col in range(5, 4 + len(block.fields)):
        layout.widths.setdefault(col, 16)
    # A remark column only where an old unit was split: other tables keep their width.
    remark_col = 4 + len(block.fields) if any(p.shared_with for p in unit.predecessors) else 0
    if remark_col:
        layout.add(row, remark_col, REMARK_LABEL, "header", wrap=True)
        layout.widths.setdefault(remark_col, REMARK_WIDTH)
    rows = [(p.code, p.name, block.before_label, "before", split_note(p))
            for p in unit.predecessors]
    rows.append((unit.code, unit.name, block.after_label, "after", ""))
    layout.tables[table] = TableArea(
        row + 1, row + len(rows), 1, {f.id: c for c, f in enumerate(block.fields, start=4)},
        3, {"before": block.before_label, "after": block.after_label})
    for code, name, period_text, period, note in rows:
        row += 1
        layout.add(row, 1, code, "key")
        layout.add(row, 2, name, "key", wrap=True)
        layout.add(row, 3, period_text, "key")
        for col, spec in enumerate(block.fields, start=4):
            if spec.applies_to(period):
                _input(layout, row, col, spec, form, (table, f"{code}:{period}", spec.id))
            else:
                layout.add(row, col, None, "na")
        if remark_col:
            layout.add(row, remark_col, note or None, "remark", wrap=True)
    return row + 1


def split_note(old: Predecessor) -> str:
    """What the row of an old unit split between several new units tells the commune."""
    if not old.shared_with:
        return ""
    others = ", ".join(f"{s.name} ({s.code})" for s in old.shared_with)
    return f"Báo cáo cho toàn bộ {old.name}; một phần đã chuyển về {others}"


def _matrix(layout: TabLayout, block: MatrixBlock, form: Form, row: int, table: str) -> int:
    for col, text in enumerate([block.row_label] + [f.label for f in block.fields], start=1):
        layout.add(row, col, text, "header", wrap=True)
    layout.freeze_rows = layout.freeze_rows or row
    layout.tables[table] = TableArea(row + 1, row + len(block.rows), 1,
                                     {f.id: c for c, f in enumerate(block.fields, start=2)})
    for matrix_row in block.rows:
        row += 1
        layout.add(row, 1, matrix_row.label, "key", wrap=True)
        for col, spec in enumerate(block.fields, start=2):
            _input(layout, row, col, spec, form, (table, matrix_row.id, spec.id))
    return row + 1


def _items(layout: TabLayout, block: ItemsBlock, form: Form, row: int, table: str) -> int:
    if block.title:
        layout.add(row, 1, block.title, "header", wrap=True)
        layout.merges.append((row, 1, row, 4))
        row += 1
    for spec in block.fields:
        layout.add(row, 1, spec.label, "label", wrap=True)
        # A titled block asks for assessments and contents; the untitled ones for names.
        _input(layout, row, 2, spec, form, (table, "", spec.id), long=bool(block.title))
        if spec.type == "text":
            layout.merges.append((row, 2, row, 6))
        row += 1
    return row


def _sections(layout: TabLayout, block: SectionsBlock, row: int) -> int:
    for col, text in enumerate([block.id_label, block.title_label, block.answer_label], start=1):
        layout.add(row, col, text, "header", wrap=True)
    layout.freeze_rows = row
    layout.widths.update({1: 10, 2: 60, 3: 90})
    for section in block.commune_sections:
        row += 1
        layout.add(row, 1, section.id, "key")
        layout.add(row, 2, section.title + (" (bắt buộc)" if section.required else ""), "key",
                   wrap=True)
        layout.add(row, 3, None, "input", wrap=True, ref=("sections", section.id, "answer"),
                   answer=True)
    return row + 1


TO_FIX = " ô cần nhập hoặc sửa (tô vàng, đỏ): sửa xong mới chọn Có"
TO_CHECK = " ô tô cam cần kiểm tra lại"
COUNT_HEADERS = ("Trang", "Số ô cần nhập hoặc sửa (tô vàng, đỏ)",
                 "Số ô cần kiểm tra lại (tô cam)")


def _live_count(form: Form, layouts: list[TabLayout]) -> None:
    """On the tab of the completion mark: per tab, how many cells the live checks colour,
    and a sentence beside "Đã hoàn thành". Labels and formulas sit where no field is read
    (the parser reads a field only to the right of its own label)."""
    home = next(t for t in layouts if t.tab_id == form.tab_of(_completion_table(form)).id)
    mark = next(c for c in home.cells if c.ref and c.ref[2] == form.completion_field.id)
    row = home.last_row + 2
    for col, text in enumerate(COUNT_HEADERS, start=1):
        home.add(row, col, text, "header", wrap=True)
    first = row + 1
    for layout in layouts:
        if layout.marks:
            row += 1
            errors, warnings = tab_counts(layout.marks)
            home.add(row, 1, layout.name, "key")
            home.add(row, 2, errors, "live")
            home.add(row, 3, warnings, "live")
    row += 1
    home.add(row, 1, "Tổng", "label")
    for col in (2, 3):
        letter = column_letter(col)
        home.add(row, col, f"=SUM({letter}{first}:{letter}{row - 1})", "live")
    errors, warnings = f"B{row}", f"C{row}"
    home.add(mark.row, mark.col + 1, (
        f'=IF({errors}>0,"Còn "&{errors}&"{TO_FIX}",IF({warnings}>0,"Đã đủ; còn "&{warnings}&'
        f'"{TO_CHECK}","Đã nhập đủ, không còn ô nào cần sửa"))'), "live", wrap=True,
        shows=f"Còn 9999{TO_FIX}")
    home.merges.append((mark.row, mark.col + 1, mark.row, mark.col + 4))


def _completion_table(form: Form) -> str:
    field_id = form.completion_field.id
    return next(t for t, b in form.tables.items() if field_id in {f.id for f in b.fields})


def workbook_values(layouts: list[TabLayout], answers: Mapping[Ref, Any] | None = None,
                    ) -> dict[str, list[list[Any]]]:
    """The workbook's cells as tab -> rows of values (the raw shape every backend returns):
    pre-filled cells plus ``answers``, without rendering a file. Formulas ("live" cells) are
    left out: their values are the spreadsheet's to compute."""
    raw: dict[str, list[list[Any]]] = {}
    for layout in layouts:
        rows: list[list[Any]] = [[] for _ in range(layout.last_row)]
        for cell in layout.cells:
            value = answers.get(cell.ref) if answers and cell.ref else cell.value
            if value is None or cell.role == "live":
                continue
            row = rows[cell.row - 1]
            row.extend([None] * (cell.col - len(row)))
            row[cell.col - 1] = value
        raw[layout.name] = rows
    return raw

"""The province summary as a renderer-neutral model: tabs of rows of cells with roles.

One model, two renderers: :mod:`ttcs.outputs.summary_xlsx` draws it with openpyxl, and the
Google Sheets writer draws the same tabs through the Sheets API. A cell carries its value, a
role (which :data:`STYLES` turns into font, alignment, border and number format), an optional
fill colour (the status colours) and an optional bold override. Each tab carries its column
widths (in characters), merged ranges, frozen rows and the rows to repeat when printing.

Tabs, in the style of Vietnamese administrative documents (Times New Roman, a title block with
the province's People's Committee and the Department on the left and the national motto on the
right, then the title and "(Số liệu tính đến ngày …)"):

- "Tổng hợp": reporting and on-time rates, then every indicator of the form (outline id,
  label, value, denominator, percentage or ratio);
- "Phụ lục 01" … "Phụ lục 03": a row per unit row of each units, matrix or items table, with
  province totals (Có counted, counts summed) and, for units tables, percentages over the
  registry denominators of the consolidation (docs/design.md §2);
- "Tình trạng": each unit's status and flags, the row filled with the status colour;
- "Lỗi": every validation issue;
- "Đánh giá": the written answers compiled per outline section. Free-text fields of the
  appendices' items blocks (advantages, difficulties, causes, training contents) are compiled
  here too, under the outline section named in their block title ("(mục B.I.1.b)"), so the
  appendix tabs hold figures only.

Every value is data: a renderer writes strings as strings (never formulas; the Sheets writer
sends RAW values or ``stringValue``), so commune text beginning with "=", "+", "-" or "@" stays
text. Numbers are ints or floats, percentages are fractions (0.6 shown as 60.0%), timestamps
are naive local datetimes (the campaign's time zone; a Sheets writer sends them as serial
numbers with the DATE_TIME pattern). Cells covered by a merge, other than its top-left one,
hold no value; they are there so borders and fills reach every column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ttcs.campaign import registry
from ttcs.campaign.settings import Campaign
from ttcs.labels import (
    TAB_ASSESSMENTS,
    TAB_ISSUES,
    TAB_STATUS,
    TAB_SUMMARY,
    flags_vi,
    kind_vi,
    severity_vi,
    status_vi,
)
from ttcs.outputs.consolidate import (
    TEXT_TYPES,
    Consolidation,
    outline_in_title,
    plain,
    written_fields,
)
from ttcs.outputs.run_result import RunResult, UnitResult
from ttcs.workbook.form import (
    UNIT_TYPES_AFTER,
    UNIT_TYPES_BEFORE,
    Block,
    Form,
    FormField,
    Indicator,
    ItemsBlock,
    MatrixBlock,
    Tab,
    UnitsBlock,
)
from ttcs.workbook.print_layout import TextBox, landscape, row_heights, spans

FONT = "Times New Roman"

Role = Literal[
    "org", "org_bold", "nation", "motto", "title", "heading", "subtitle", "note",
    "header", "group", "text", "center", "count", "number", "percent", "ratio",
    "date", "datetime", "total",
]
Value = str | int | float | dt.date | dt.datetime | None


@dataclass(frozen=True)
class Style:
    """How a role looks; a renderer maps it to openpyxl styles or a Sheets CellFormat."""

    bold: bool = False
    italic: bool = False
    underline: bool = False
    size: int = 13
    align: Literal["left", "center", "right"] = "left"
    valign: Literal["top", "middle"] = "middle"
    wrap: bool = False
    border: bool = False
    number_format: str | None = None  # Excel / Sheets pattern, e.g. "#,##0", "0.0%"
    font: str = FONT

    @property
    def number_kind(self) -> Literal["number", "percent", "date", "datetime"] | None:
        """The Sheets API NumberFormat type that goes with ``number_format``."""
        pattern = self.number_format
        if not pattern:
            return None
        if "%" in pattern:
            return "percent"
        if "hh" in pattern:
            return "datetime"
        return "date" if "yyyy" in pattern else "number"


STYLES: dict[str, Style] = {
    # title block
    "org": Style(size=12, align="center", wrap=True),
    "org_bold": Style(bold=True, size=12, align="center", wrap=True),
    "nation": Style(bold=True, size=12, align="center", wrap=True),
    "motto": Style(bold=True, underline=True, align="center", wrap=True),
    "title": Style(bold=True, size=14, align="center", wrap=True),
    "heading": Style(bold=True, align="center", wrap=True),
    "subtitle": Style(italic=True, align="center", wrap=True),
    "note": Style(italic=True, size=12, wrap=True),
    # tables
    "header": Style(bold=True, align="center", wrap=True, border=True),
    "group": Style(bold=True, border=True, wrap=True),
    "text": Style(wrap=True, border=True, valign="top"),
    "center": Style(align="center", border=True, valign="top", wrap=True),
    "count": Style(align="right", border=True, valign="top", number_format="#,##0"),
    "number": Style(align="right", border=True, valign="top", number_format="#,##0.00"),
    "percent": Style(align="right", border=True, valign="top", number_format="0.0%"),
    "ratio": Style(align="right", border=True, valign="top", number_format="0.00"),
    "date": Style(align="center", border=True, valign="top", number_format="dd/mm/yyyy"),
    "datetime": Style(align="center", border=True, valign="top",
                      number_format="dd/mm/yyyy hh:mm"),
    "total": Style(bold=True, wrap=True, border=True),
}

# Row colours of the status tab (RGB hex).
STATUS_FILLS: dict[str, str] = {
    "submitted": "C6EFCE",  # green
    "in_progress": "FFEB9C",  # yellow
    "not_started": "D9D9D9",  # grey
    "needs_fix": "F8CBAD",  # orange
    "unreachable": "FF9B9B",  # red
    "excluded": "DDEBF7",  # light blue
}
DEFAULT_WIDTH = 10.0  # characters: a column the tab gives no width
NOT_APPLICABLE_FILL = "F2F2F2"  # a field that does not apply to the row's period
NO_ANSWER = "(Chưa có đơn vị nào trả lời)"
# An items table holds what each commune did itself; the province's own part is in the report.
OWN_TOTAL = "Cộng các đơn vị cấp xã (tự tổ chức)"
OWN_NOTE = ("Ghi chú: bảng chỉ gồm số liệu do các đơn vị cấp xã tự tổ chức; phần do tỉnh tổ chức "
            "được kê trong báo cáo{where}, mỗi lớp tính một lần, không cộng vào bảng này.")
AS_OF_PREFIX = "Tình hình lúc"  # when the run looked: all a quiet night changes
UNIT_WORDS = {"before": "đơn vị cũ"}  # the rows a before-01/7/2025 figure counts
COUNT_MEASURES = ("count_yes", "count_positive")
# "(mục B.III.2)" or "(mục B.III.2; không kê ...)" closing a block title
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9,
          "X": 10}


@dataclass(frozen=True)
class SummaryCell:
    value: Value = None
    role: Role = "text"
    fill: str | None = None  # RGB hex, e.g. STATUS_FILLS["submitted"]
    bold: bool = False

    @property
    def style(self) -> Style:
        base = STYLES[self.role]
        return replace(base, bold=True) if self.bold and not base.bold else base


@dataclass
class SummaryTab:
    name: str
    rows: list[list[SummaryCell]]  # rows[0] is row 1; a row may be shorter than the widths
    widths: list[float]  # column widths in characters, column A first
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    freeze_rows: int = 0  # rows kept in view (the title block and the table header)
    header_rows: tuple[int, int] | None = None  # first and last row repeated on printed pages
    appendix: bool = False  # a Phụ lục: landscape like the rest of its appendix, however narrow

    @property
    def wide(self) -> bool:
        """Printed landscape."""
        return self.appendix or landscape(sum(self.widths))

    def heights(self) -> dict[int, float]:
        """Row -> points: each row as tall as its wrapped text needs (print_layout's rule)."""
        widths = dict(enumerate(self.widths, start=1))
        merged = spans(widths, self.merges, DEFAULT_WIDTH)
        boxes = ((r, TextBox(_shown(cell.value), merged.get((r, c), widths.get(c, DEFAULT_WIDTH)),
                             cell.style.size, cell.style.bold, cell.style.wrap))
                 for r, cells in enumerate(self.rows, start=1)
                 for c, cell in enumerate(cells, start=1) if cell.value is not None)
        return row_heights(boxes, STYLES["text"].size, len(self.rows))

    def cell(self, row: int, col: int) -> SummaryCell:
        """The cell at 1-based ``row`` and ``col`` (an empty cell outside the rows)."""
        cells = self.rows[row - 1] if 0 < row <= len(self.rows) else []
        return cells[col - 1] if 0 < col <= len(cells) else SummaryCell()

    def find(self, value: Value) -> tuple[int, int] | None:
        """1-based (row, col) of the first cell holding ``value``."""
        for r, cells in enumerate(self.rows, start=1):
            for c, cell in enumerate(cells, start=1):
                if cell.value == value:
                    return r, c
        return None


# --- small helpers -----------------------------------------------------------------------------


def _shown(value: Value) -> str:
    """The text a cell shows, as far as its height goes: a number or date is one line."""
    return value if isinstance(value, str) else "0"



def vi_date(day: dt.date) -> str:
    """Vietnamese administrative date: 30/9/2025, 01/7/2025."""
    return f"{day.day:02d}/{day.month}/{day.year}"


def vi_datetime(when: dt.datetime) -> str:
    return f"{when:%H:%M} ngày {vi_date(when)}"


def committee_line(province_name: str) -> str:
    """"UBND TỈNH QUẢNG TRỊ", or "UBND THÀNH PHỐ HÀ NỘI" for a centrally run city."""
    return f"UBND {_province_word(province_name).upper()} {_place(province_name).upper()}"


def _place(province_name: str) -> str:
    """"Quảng Trị" for "Tỉnh Quảng Trị", "Hà Nội" for "Thành phố Hà Nội"."""
    name = province_name.strip()
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.lower().startswith(prefix.lower()):
            return name[len(prefix):]
    return name


def _province_word(province_name: str) -> str:
    return "thành phố" if province_name.strip().lower().startswith("thành phố") else "tỉnh"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _vi_number(value: int) -> str:
    """1234 -> "1.234"."""
    return f"{value:,}".replace(",", ".")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _local(when: dt.datetime | None, tz: dt.tzinfo) -> dt.datetime | None:
    """Naive local time (spreadsheets have no time zones)."""
    return when.astimezone(tz).replace(tzinfo=None) if when else None


def outline_key(section: str) -> tuple[tuple[int, Any], ...]:
    """Sort key of an outline id: A.1 < B.I.1.b < B.I.4.a < B.III.3 < B.IV.1 < C.1."""
    parts = []
    for i, part in enumerate(section.split(".")):
        if part.isdigit():
            parts.append((0, int(part)))
        elif i > 0 and part in _ROMAN:
            parts.append((0, _ROMAN[part]))
        else:
            parts.append((1, part))
    return tuple(parts)


class _Builder:
    """Appends rows to one tab and records merges."""

    def __init__(self, name: str, widths: list[float]) -> None:
        self.tab = SummaryTab(name, [], list(widths))

    @property
    def ncols(self) -> int:
        return len(self.tab.widths)

    def row(self, cells: Iterable[SummaryCell]) -> int:
        self.tab.rows.append(list(cells))
        return len(self.tab.rows)

    def blank(self) -> int:
        return self.row([])

    def span(self, value: Value, role: Role, first: int = 1, last: int | None = None) -> int:
        """A row holding ``value`` merged over columns first..last (default: the whole width)."""
        last = last or self.ncols
        number = self.row([SummaryCell(None, role)] * (first - 1) + [SummaryCell(value, role)]
                          + [SummaryCell(None, role)] * (last - first))
        if last > first:
            self.tab.merges.append((number, first, number, last))
        return number

    def header(self, labels: list[str]) -> int:
        first = self.row(SummaryCell(label, "header") for label in labels)
        if self.tab.header_rows is None:
            self.tab.header_rows = (first, first)
            self.tab.freeze_rows = first
        return first

    def widen(self, col: int, width: float) -> None:
        while len(self.tab.widths) < col:
            self.tab.widths.append(10)
        self.tab.widths[col - 1] = max(self.tab.widths[col - 1], width)


@dataclass(frozen=True)
class _Context:
    campaign: Campaign
    form: Form
    result: RunResult
    committee: str
    department: str
    province_word: str
    data_as_of: str
    status_line: str
    units: Mapping[str, UnitResult]  # by code
    place: str  # "Quảng Trị": the province without "Tỉnh"
    year: int

    @property
    def figures(self) -> Consolidation:
        return self.result.figures


def _sides(b: _Builder) -> tuple[tuple[int, int], tuple[int, int]]:
    """The columns of the left block (issuing body, preparer) and of the right one (nation,
    signer): the left one at least 38 characters or 35 % of the width."""
    total = sum(b.tab.widths)
    split, acc = 1, 0.0
    for i, width in enumerate(b.tab.widths[:-1], start=1):
        acc += width
        split = i
        if acc >= max(38.0, 0.35 * total):
            break
    return (1, split), (split + 1, b.ncols)


def _two_blocks(b: _Builder, pairs: Iterable[tuple[Value, Role, Value, Role]]) -> None:
    """Rows of a left and a right text, each merged over its side."""
    left, right = _sides(b)
    for left_text, left_role, right_text, right_role in pairs:
        number = b.row(_halves(left_text, left_role, right_text, right_role, left, right))
        for first, last in (left, right):
            if last > first:
                b.tab.merges.append((number, first, number, last))


def _title_block(b: _Builder, ctx: _Context, title: str, lines: Iterable[tuple[str, Role]] = (),
                 status: bool = False) -> None:
    _two_blocks(b, [(ctx.committee, "org", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "nation"),
                    (ctx.department, "org_bold", "Độc lập - Tự do - Hạnh phúc", "motto")])
    b.blank()
    b.span(title, "title")
    for text, role in lines:
        b.span(text, role)
    b.span(f"(Số liệu tính đến ngày {ctx.data_as_of})", "subtitle")
    if status:
        b.span(ctx.status_line, "subtitle")
    b.blank()


def _signatures(b: _Builder, ctx: _Context) -> None:
    """Who prepared the table and the head of the Department, side by side, under the place
    and date line."""
    b.blank()
    _two_blocks(b, [
        (None, "subtitle", f"{ctx.place}, ngày … tháng … năm {ctx.year}", "subtitle"),
        ("NGƯỜI LẬP BIỂU", "heading", "THỦ TRƯỞNG ĐƠN VỊ", "heading"),
        ("(Ký, ghi rõ họ tên)", "subtitle", "(Ký, ghi rõ họ tên, đóng dấu)", "subtitle")])


def _halves(left_text: Value, left_role: Role, right_text: Value, right_role: Role,
            left: tuple[int, int], right: tuple[int, int]) -> list[SummaryCell]:
    cells = [SummaryCell(left_text, left_role)] + [SummaryCell(None, left_role)] * (
        left[1] - left[0])
    cells += [SummaryCell(right_text, right_role)] + [SummaryCell(None, right_role)] * (
        right[1] - right[0])
    return cells


# --- tabs --------------------------------------------------------------------------------------


SUMMARY_HEADERS = ["STT", "Mục đề cương", "Chỉ tiêu", "Số liệu",
                   "Đơn vị đã báo cáo / theo danh mục", "Tỷ lệ trên số đơn vị đã báo cáo",
                   "Tỷ lệ trên tổng số theo danh mục", "Tỷ số (lần)", "Ghi chú"]


def _summary_row(n: int, outline: str | None, label: str, value: Value,
                 coverage: tuple[int, int] | None, rates: tuple[float | None, float | None],
                 ratio: float | None, note: str | None) -> list[SummaryCell]:
    shown = f"{_vi_number(coverage[0])}/{_vi_number(coverage[1])}" if coverage else None
    return [SummaryCell(n, "center"), SummaryCell(outline, "center"), SummaryCell(label, "text"),
            SummaryCell(plain(value), "count"), SummaryCell(shown, "center"),
            SummaryCell(rates[0], "percent"), SummaryCell(rates[1], "percent"),
            SummaryCell(ratio, "ratio"), SummaryCell(note, "text")]


def _group_row(b: _Builder, numeral: str, label: str) -> None:
    number = b.row([SummaryCell(numeral, "center", bold=True), SummaryCell(label, "group")]
                   + [SummaryCell(None, "group")] * (b.ncols - 2))
    b.tab.merges.append((number, 2, number, b.ncols))


def _share(part: Any, whole: Any) -> float | None:
    return part / whole if isinstance(part, (int, float)) and whole else None


def _indicator_row(ctx: _Context, n: int, ind: Indicator) -> list[SummaryCell]:
    """A figure with what it covers: the units (old units, before 01/7/2025) it is computed
    from out of those the registry expects, a count's rate over the units that reported and
    over the registry, a ratio to another figure in its own column."""
    figures = ctx.figures.indicators
    data = figures.get(ind.id, {})
    value = data.get("value")
    covered, expected = data.get("covered"), data.get("expected")
    notes = [data.get("coverage")]
    rates: tuple[float | None, float | None] = (None, None)
    ratio = None
    if ind.measure == "compile":
        value = len(value) if isinstance(value, list) else 0
        notes.append(f"số đơn vị nêu nội dung; chi tiết tại tab {TAB_ASSESSMENTS}, "
                     f"mục {ind.outline}")
    elif ind.per:
        whole = figures.get(ind.per, {})
        ratio = data.get("ratio", _share(value, whole.get("value")))
        notes.append(f"tỷ số = số liệu này / {_lower_first(whole.get('label', ind.per))}")
    elif ind.measure in COUNT_MEASURES:
        rates = (data.get("rate", _share(value, covered)), _share(value, expected))
    coverage = (covered, expected) if covered is not None and expected is not None else None
    return _summary_row(n, ind.outline, data.get("label", ind.label), value, coverage, rates,
                        ratio, "; ".join(note for note in notes if note) or None)


def _summary_tab(ctx: _Context) -> SummaryTab:
    b = _Builder(TAB_SUMMARY, [6, 9, 50, 10, 13, 12, 12, 9, 38])
    _title_block(b, ctx, f"TỔNG HỢP SỐ LIỆU TOÀN {ctx.province_word.upper()}",
                 [(ctx.campaign.title, "heading")], status=True)
    b.header(SUMMARY_HEADERS)
    totals = ctx.result.totals
    reported, expected = totals.reported, totals.expected
    _group_row(b, "I", "Tiến độ báo cáo")
    b.row(_summary_row(1, None, "Số đơn vị đã nộp báo cáo hợp lệ", reported,
                       (reported, expected), (None, totals.reporting_rate), None,
                       "trên số đơn vị phải báo cáo"))
    deadline = vi_datetime(ctx.campaign.deadline.astimezone(ctx.campaign.tz))
    b.row(_summary_row(2, None, "Số đơn vị nộp báo cáo hợp lệ đúng hạn", totals.on_time,
                       (reported, expected), (_share(totals.on_time, reported),
                                              totals.on_time_rate), None,
                       f"hạn nộp: {deadline}"))
    b.row(_summary_row(3, None, "Số đơn vị không yêu cầu báo cáo", totals.excluded, None,
                       (None, None), None, "không tính vào các tỷ lệ"))
    _group_row(b, "II", "Số liệu tổng hợp theo đề cương")
    for n, ind in enumerate(ctx.form.indicators, start=1):
        b.row(_indicator_row(ctx, n, ind))
    b.blank()
    b.span("Ghi chú: tỷ lệ trên số đơn vị đã báo cáo chỉ tính các đơn vị (trước 01/7/2025: các "
           "đơn vị cũ) có báo cáo hợp lệ; tỷ lệ trên tổng số theo danh mục tính cả các đơn vị "
           "chưa báo cáo như trả lời Không. Tỷ số (lần) so sánh hai số liệu, không phải tỷ lệ "
           "phần trăm.", "note")
    return b.tab


def _appendix_name(tab: Tab) -> str:
    return tab.title.split(".", 1)[0].strip() if "." in tab.title else tab.name


def _value_cell(form: Form, fld: FormField, value: Any, applies: bool = True) -> SummaryCell:
    fill = None if applies else NOT_APPLICABLE_FILL
    value = plain(value)
    if fld.type == "yesno":
        if isinstance(value, bool):
            value = form.yes_label if value else form.no_label
        return SummaryCell(value, "center", fill)
    if fld.type == "count":
        return SummaryCell(value, "count" if not isinstance(value, str) else "text", fill)
    if fld.type == "number":
        return SummaryCell(value, "number" if not isinstance(value, str) else "text", fill)
    if fld.type == "date" and isinstance(value, dt.date):
        return SummaryCell(value, "date", fill)
    return SummaryCell(None if value is None else str(value), "text", fill)


def _total_cell(fld: FormField, rows: list[dict[str, Any]]) -> SummaryCell:
    values = [row.get(fld.id) for row in rows]
    if fld.type == "yesno":
        return SummaryCell(sum(v is True for v in values), "count", bold=True)
    if fld.type in ("count", "number"):
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        return SummaryCell(plain(sum(numbers)), fld.type if fld.type == "number" else "count",
                           bold=True)
    return SummaryCell(None, "text", bold=True)


def _field_width(fld: FormField) -> float:
    return 30 if fld.type in ("url", "text") else 14


def _units_table(b: _Builder, ctx: _Context, table: str, block: UnitsBlock) -> None:
    form = ctx.form
    fields = block.fields
    ident = 6
    b.header(["STT", "Đơn vị báo cáo", block.key_label, block.name_label, "Loại",
              block.period_label] + [f.label for f in fields])
    rows = ctx.figures.rows(table)
    periods = (("before", block.before_label, UNIT_TYPES_BEFORE, "I"),
               ("after", block.after_label, UNIT_TYPES_AFTER, "II"))
    width = ident + len(fields)
    outside_types = False
    for period, label, types, numeral in periods:
        part = sorted((r for r in rows if r.get("period") == period),
                      key=lambda r: (str(r.get("unit_code")), str(r.get("row_code"))))
        number = b.row([SummaryCell(numeral, "center", bold=True), SummaryCell(label, "group")]
                       + [SummaryCell(None, "group")] * (width - 2))
        b.tab.merges.append((number, 2, number, width))
        for n, row in enumerate(part, start=1):
            b.row([SummaryCell(n, "center"), SummaryCell(row.get("unit_name"), "text"),
                   SummaryCell(row.get("row_code"), "center"),
                   SummaryCell(row.get("row_name"), "text"),
                   SummaryCell(_capital(str(row.get("row_type") or "")), "center"),
                   SummaryCell(label, "center")]
                  + [_value_cell(form, f, row.get(f.id), f.applies_to(period)) for f in fields])
        counted = [r for r in part if r.get("row_type") in types]
        outside_types |= len(counted) < len(part)
        number = b.row([SummaryCell(f"Cộng {_lower_first(label)}", "total")]
                       + [SummaryCell(None, "total")] * (ident - 1)
                       + [_total_cell(f, counted) if f.applies_to(period)
                          else SummaryCell(None, "total", NOT_APPLICABLE_FILL) for f in fields])
        b.tab.merges.append((number, 1, number, ident))
        word = UNIT_WORDS.get(period, "đơn vị")
        whole = ctx.figures.denominators[period]
        for text, over in ((f"Tỷ lệ trên số {word} đã báo cáo ({_vi_number(len(counted))})",
                            len(counted)),
                           (f"Tỷ lệ trên tổng số {_vi_number(whole)} {word} theo danh mục "
                            "(đơn vị chưa báo cáo tính là Không)", whole)):
            _rate_row(b, text, ident, [f if f.applies_to(period) else None for f in fields],
                      counted, over)
    if outside_types:
        b.span("Ghi chú: dòng của huyện đảo (trước 01/7/2025, thuộc mục B.I.3) được liệt kê "
               "nhưng không cộng vào tổng cấp xã.", "note")


def _rate_row(b: _Builder, text: str, ident: int, fields: list[FormField | None],
              rows: list[dict[str, Any]], over: int) -> None:
    """The share of ``rows`` answering Có per yes/no field, over ``over`` units."""
    number = b.row(
        [SummaryCell(text, "total")] + [SummaryCell(None, "total")] * (ident - 1)
        + [SummaryCell(sum(r.get(f.id) is True for r in rows) / over, "percent", bold=True)
           if f is not None and f.type == "yesno" and over else SummaryCell(None, "total")
           for f in fields])
    b.tab.merges.append((number, 1, number, ident))


def _matrix_table(b: _Builder, ctx: _Context, table: str, block: MatrixBlock) -> None:
    fields = block.fields
    ident = 4
    b.header(["STT", "Đơn vị báo cáo", "Mã đơn vị", block.row_label] + [f.label for f in fields])
    rows = ctx.figures.rows(table)
    order = {r.id: i for i, r in enumerate(block.rows)}
    labels = {r.id: r.label for r in block.rows}
    rows.sort(key=lambda r: (str(r.get("unit_code")), order.get(r.get("row_code"), len(order))))
    for n, row in enumerate(rows, start=1):
        b.row([SummaryCell(n, "center"), SummaryCell(row.get("unit_name"), "text"),
               SummaryCell(row.get("unit_code"), "center"),
               SummaryCell(labels.get(row.get("row_code"), row.get("row_code")), "text")]
              + [_value_cell(ctx.form, f, row.get(f.id)) for f in fields])
    totals = [("Cộng toàn " + ctx.province_word, rows)] + [
        (f"Trong đó: {_lower_first(r.label)}", [x for x in rows if x.get("row_code") == r.id])
        for r in block.rows]
    for label, part in totals:
        number = b.row([SummaryCell(label, "total")] + [SummaryCell(None, "total")] * (ident - 1)
                       + [_total_cell(f, part) for f in fields])
        b.tab.merges.append((number, 1, number, ident))


def _figure_fields(block: ItemsBlock) -> list[FormField]:
    return [f for f in block.fields if f.type not in TEXT_TYPES]


def _items_table(b: _Builder, ctx: _Context, table: str, block: ItemsBlock) -> None:
    fields = _figure_fields(block)
    ident = 3
    width = ident + len(fields)
    if block.title:
        b.span(block.title, "heading", 1, width)
    number = b.row(SummaryCell(label, "header") for label in
                   ["STT", "Đơn vị báo cáo", "Mã đơn vị"] + [f.label for f in fields])
    if b.tab.header_rows is None:
        b.tab.header_rows = (number, number)
        b.tab.freeze_rows = number
    rows = sorted(ctx.figures.rows(table),
                  key=lambda r: str(r.get("unit_code")))
    for n, row in enumerate(rows, start=1):
        b.row([SummaryCell(n, "center"), SummaryCell(row.get("unit_name"), "text"),
               SummaryCell(row.get("unit_code"), "center")]
              + [_value_cell(ctx.form, f, row.get(f.id)) for f in fields])
    number = b.row([SummaryCell(OWN_TOTAL, "total")] + [SummaryCell(None, "total")] * (ident - 1)
                   + [_total_cell(f, rows) for f in fields])
    b.tab.merges.append((number, 1, number, ident))
    section = outline_in_title(block.title)
    b.span(OWN_NOTE.format(where=f" (mục {section})" if section else ""), "note", 1, width)


def _appendix_widths(blocks: list[Block]) -> list[float]:
    if any(isinstance(block, UnitsBlock) for block in blocks):
        return [6, 24, 11, 24, 10, 15]
    return [6, 26, 11, 30]


def _printed_blocks(tab: Tab) -> list[Block]:
    """The blocks a Phụ lục prints: free-text items are compiled on the assessments tab."""
    return [block for block in tab.blocks
            if not (isinstance(block, ItemsBlock) and not _figure_fields(block))]


def _appendix_tabs(ctx: _Context, tab: Tab) -> list[SummaryTab]:
    """One sheet per printed table: a sheet has one set of rows repeated on every printed page,
    so a second table on it would print under the first one's header. The continuation sheets
    are "Phụ lục 03 (tiếp)"; each sheet is signed, as each may be printed on its own."""
    blocks = _printed_blocks(tab)
    name, title = _appendix_name(tab), tab.title.upper()
    return [_appendix_tab(ctx, tab, block, name if n == 0 else f"{name} (tiếp)",
                          title if n == 0 else f"{title} (TIẾP THEO)")
            for n, block in enumerate(blocks)]


def _appendix_tab(ctx: _Context, tab: Tab, block: Block, name: str, title: str) -> SummaryTab:
    b = _Builder(name, _appendix_widths([block]))
    b.tab.appendix = True
    # widths first: the title block spreads over every column
    if isinstance(block, UnitsBlock):
        for i, fld in enumerate(block.fields, start=7):
            b.widen(i, _field_width(fld))
    elif isinstance(block, MatrixBlock):
        for i, fld in enumerate(block.fields, start=5):
            b.widen(i, _field_width(fld))
    elif isinstance(block, ItemsBlock):
        for i, fld in enumerate(_figure_fields(block), start=4):
            b.widen(i, _field_width(fld))
    reported, expected = len(ctx.figures.reported), len(ctx.figures.expected)
    _title_block(b, ctx, title, [
        (f"(Kèm theo Báo cáo số …/BC-SVHTTDL ngày … tháng … năm {ctx.year})", "subtitle"),
        # no tab reference: the Phụ lục also print alone (phu-luc.xlsx of ttcs report)
        (f"(Tổng hợp từ báo cáo hợp lệ của {reported}/{expected} đơn vị cấp xã; đơn vị chưa "
         "nộp không được tính)", "subtitle")])
    table = f"{tab.id}.{block.id}"
    if isinstance(block, UnitsBlock):
        _units_table(b, ctx, table, block)
    elif isinstance(block, MatrixBlock):
        _matrix_table(b, ctx, table, block)
    elif isinstance(block, ItemsBlock):
        _items_table(b, ctx, table, block)
    _signatures(b, ctx)
    return b.tab


def _status_tab(ctx: _Context) -> SummaryTab:
    b = _Builder(TAB_STATUS, [6, 10, 28, 10, 20, 32, 8, 10, 17, 17, 36])
    _title_block(b, ctx, "TÌNH HÌNH NỘP BÁO CÁO CỦA CÁC XÃ, PHƯỜNG, ĐẶC KHU", status=True)
    b.header(["STT", "Mã đơn vị", "Tên đơn vị", "Loại", "Trạng thái", "Cờ", "Số lỗi",
              "Số cảnh báo", "Sửa lần cuối", "Nộp hợp lệ lần đầu", "Ghi chú"])
    tz = ctx.campaign.tz
    for n, unit in enumerate(ctx.result.units, start=1):
        cells = [
            SummaryCell(n, "center"), SummaryCell(unit.code, "center"),
            SummaryCell(unit.name, "text"), SummaryCell(_capital(unit.type), "center"),
            SummaryCell(_capital(status_vi(unit.status)), "text"),
            SummaryCell(flags_vi(unit.flags), "text"),
            SummaryCell(unit.errors, "count"), SummaryCell(unit.warnings, "count"),
            SummaryCell(_local(unit.last_modified, tz), "datetime"),
            SummaryCell(_local(unit.first_accepted, tz), "datetime"),
            SummaryCell(unit.reason, "text"),
        ]
        b.row(replace(cell, fill=STATUS_FILLS.get(unit.status)) for cell in cells)
    b.blank()
    counts = ctx.result.totals.by_status
    b.row([SummaryCell(None, "note"), SummaryCell("Chú thích màu", "note", bold=True)])
    for status, colour in STATUS_FILLS.items():
        number = b.row([SummaryCell(None, "note"),
                        SummaryCell(_capital(status_vi(status)), "text", colour),
                        SummaryCell(None, "text", colour),
                        SummaryCell(counts[status], "count", colour)])
        b.tab.merges.append((number, 2, number, 3))
    _notes_block(b, ctx.result.notes)
    return b.tab


def _notes_block(b: _Builder, notes: Iterable[str]) -> None:
    """The run's notes about files (several for one unit, other province, no code, dates)."""
    if not notes:
        return
    b.blank()
    b.row([SummaryCell(None, "note"), SummaryCell("Ghi chú về tệp", "note", bold=True)])
    for note in notes:
        b.span(note, "text", first=2)


def _issues_tab(ctx: _Context) -> SummaryTab:
    b = _Builder(TAB_ISSUES, [6, 10, 28, 12, 8, 11, 14, 80])
    _title_block(b, ctx, "DANH SÁCH LỖI VÀ CẢNH BÁO TRONG BÁO CÁO CỦA CÁC ĐƠN VỊ", status=True)
    b.header(["STT", "Mã đơn vị", "Tên đơn vị", "Trang", "Ô", "Mức độ", "Loại", "Nội dung"])
    ordered = sorted(ctx.result.issues, key=lambda i: (i.unit or "", i.severity != "error"))
    for n, issue in enumerate(ordered, start=1):
        b.row([SummaryCell(n, "center"), SummaryCell(issue.unit, "center"),
               SummaryCell(_unit_name(ctx, issue.unit), "text"),
               SummaryCell(issue.sheet, "text"), SummaryCell(issue.cell, "center"),
               SummaryCell(severity_vi(issue.severity), "center", bold=issue.is_error),
               SummaryCell(kind_vi(issue.kind), "text"),
               SummaryCell(issue.message, "text")])
    if not ordered:
        b.span("Không có lỗi hoặc cảnh báo.", "text")
    return b.tab


def _unit_name(ctx: _Context, code: str | None) -> str | None:
    if not code:
        return None
    if code in ctx.units:
        return ctx.units[code].name
    try:
        return registry.unit(code).name
    except registry.UnknownUnit:
        return None


def _answers(ctx: _Context) -> list[tuple[str, str, list[dict[str, str]]]]:
    """(section id, title, [{code, name, answer}]) in outline order, form order within."""
    found: list[tuple[str, str, list[dict[str, str]]]] = []
    for section in ctx.form.sections.commune_sections:
        found.append((section.id, section.title,
                      list(ctx.figures.assessments.get(section.id, []))))
    for written in written_fields(ctx.form, ctx.figures):
        appendix = _appendix_name(written.tab)
        title = f"{appendix} - {written.heading}: {written.field.label}" if written.heading \
            else f"{appendix}: {written.field.label}"
        found.append((written.section or appendix, title, written.answers))
    order = {id(item): i for i, item in enumerate(found)}
    return sorted(found, key=lambda item: (outline_key(item[0]), order[id(item)]))


def _assessments_tab(ctx: _Context) -> SummaryTab:
    b = _Builder(TAB_ASSESSMENTS, [6, 9, 36, 11, 22, 90])
    _title_block(b, ctx, "TỔNG HỢP Ý KIẾN ĐÁNH GIÁ CỦA CÁC XÃ, PHƯỜNG, ĐẶC KHU THEO ĐỀ CƯƠNG")
    sections = ctx.form.sections
    b.header(["STT", sections.id_label, sections.title_label, "Mã đơn vị", "Đơn vị",
              sections.answer_label])
    n = 0
    for section_id, title, answers in _answers(ctx):
        for answer in answers or [None]:
            n += 1
            b.row([SummaryCell(n, "center"), SummaryCell(section_id, "center"),
                   SummaryCell(title, "text"),
                   SummaryCell(answer["code"] if answer else None, "center"),
                   SummaryCell(answer["name"] if answer else None, "text"),
                   SummaryCell(answer["answer"], "text") if answer
                   else SummaryCell(NO_ANSWER, "text")])
    return b.tab


# --- entry point -------------------------------------------------------------------------------


def summary_model(campaign: Campaign, form: Form, result: RunResult) -> list[SummaryTab]:
    """Every tab of the province summary, ready for any renderer."""
    province = result.province.name
    tz = campaign.tz
    status_line = (f"{AS_OF_PREFIX}: {vi_datetime(result.as_of.astimezone(tz))} "
                   f"(hạn nộp: {vi_datetime(campaign.deadline.astimezone(tz))})")
    ctx = _Context(
        campaign=campaign, form=form, result=result,
        committee=committee_line(province), department=campaign.department.upper(),
        province_word=_province_word(province), data_as_of=vi_date(campaign.data_as_of),
        status_line=status_line, units={u.code: u for u in result.units},
        place=_place(province), year=campaign.data_as_of.year,
    )
    appendices = [tab for tab in form.tabs
                  if any(isinstance(block, (UnitsBlock, MatrixBlock)) for block in tab.blocks)]
    sheets = [sheet for tab in appendices for sheet in _appendix_tabs(ctx, tab)]
    return ([_summary_tab(ctx), *sheets, _status_tab(ctx), _issues_tab(ctx),
             _assessments_tab(ctx)])

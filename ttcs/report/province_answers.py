"""What the province answers itself (issue 12): the sections ``form.yaml`` marks
``answered_by: province`` or ``both``, and the trainings the province organised (B.III.2).

The coordinator fills one sheet, "Tỉnh trả lời": the local file ``tinh-tra-loi.xlsx`` beside
``campaign.yaml`` or, with Google Sheets, the tab of the same name in the summary spreadsheet.
Its rows: title, campaign, hint; the header "Mục | Nội dung | Trả lời của tỉnh" and one row per
province section; then the trainings table ("STT | Số buổi | Số lượt người | Nội dung").
Both sources are read by the same code: rows and columns are found by their labels (rows the
coordinator inserts or moves still count), each cell through the project's cell readers; an
unreadable cell is an :class:`Issue` with its sheet and address, never an exception, and a note
the draft shows at the item's placeholder; a training row with an unreadable cell is left out
of the trainings (never counted as a class) and noted with its row. ``ttcs report`` creates
the file (or the tab) empty when it is missing, and never overwrites it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ttcs.backends import SummarySheet
from ttcs.backends.province_sheet import (
    PROVINCE_TAB,
    WIDTHS_PX,
    add_province_tab,
    read_province_tab,
)
from ttcs.campaign.settings import Campaign
from ttcs.errors import UserError, os_reason
from ttcs.google.api import Api
from ttcs.text import key
from ttcs.workbook.form import Form, FormField
from ttcs.workbook.issues import Issue, a1, column_letter
from ttcs.workbook.readers import read_field
from ttcs.workbook.values import read_text
from ttcs.workbook.xlsx import read_xlsx

PROVINCE_FILE = "tinh-tra-loi.xlsx"
FOR_THE_SO = "để Sở điền nội dung do tỉnh trả lời"
TRAINING_ITEM = "B.III.2"  # the outline item of the province's own trainings
SHOWN_ISSUES = 5  # unreadable cells listed one per line on the terminal, the rest counted
Rows = list[list[Any]]
_ANSWER = FormField(id="answer", label="Trả lời", type="text")


@dataclass(frozen=True)
class ProvinceTraining:
    sessions: int | None
    participants: int | None
    content: str | None


@dataclass(frozen=True)
class ProvinceAnswers:
    answers: dict[str, str]  # outline id ("A.1", "B.I.3.a", ...) -> text; absent = not answered
    trainings: list[ProvinceTraining]
    source: str  # where they were read from, for messages
    issues: list[Issue]  # unreadable cells
    # outline id -> "ô B7 không đọc được: …", shown at the item's placeholder in the draft
    unreadable: dict[str, list[str]] = field(default_factory=dict)
    created: str | None = None  # the line saying the empty form was just made for the Sở

    def issue_lines(self) -> list[str]:
        """One line per issue for the terminal, the first :data:`SHOWN_ISSUES` of them."""
        lines = [f'Trang "{i.sheet}" — {i.message}' for i in self.issues[:SHOWN_ISSUES]]
        rest = len(self.issues) - SHOWN_ISSUES
        return lines + ([f"và {rest} lỗi khác trong {self.source}"] if rest > 0 else [])


def province_items(form: Form) -> list[tuple[str, str]]:
    """(outline id, title) of the items the province answers, in the outline's order."""
    return [(s.id, s.province_title or s.title) for s in form.sections.province_sections]


def default_path(campaign_file: Path) -> Path:
    """The province's file, beside ``campaign.yaml`` (an input, not an output)."""
    return campaign_file.parent / PROVINCE_FILE


# -- the empty form ------------------------------------------------------------------------
def template_rows(form: Form, campaign_title: str) -> Rows:
    """The sheet's rows, for the .xlsx file and the Google tab alike."""
    spec, trainings = form.province, form.province.trainings
    rows: Rows = [[spec.title], [campaign_title], [spec.hint], [],
                  [spec.id_label, spec.title_label, spec.answer_label]]
    rows += [[item_id, title, None] for item_id, title in province_items(form)]
    rows += [[], [trainings.title],
             [trainings.number_label, trainings.sessions_label, trainings.participants_label,
              trainings.content_label]]
    rows += [[n, None, None, None] for n in range(1, trainings.blank_rows + 1)]
    return rows


def write_province_answers_template(path: Path, form: Form, campaign_title: str,
                                   replace: bool = True) -> None:
    """Write the empty file the coordinator fills. An existing file is replaced, or, with
    ``replace=False``, kept: :class:`FileExistsError` (even when it appeared a moment ago)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = PROVINCE_TAB
    for row in template_rows(form, campaign_title):
        sheet.append(row)
    for col, px in enumerate(WIDTHS_PX, start=1):
        sheet.column_dimensions[column_letter(col)].width = px / 7  # ~7 px per character
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet["A1"].font = Font(bold=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb" if replace else "xb") as handle:
        book.save(handle)


def add_province_answers_tab(api: Api, spreadsheet_id: str, form: Form,
                             campaign_title: str) -> None:
    """The same empty form as a tab of the Google summary spreadsheet."""
    add_province_tab(api, spreadsheet_id, template_rows(form, campaign_title))


# -- reading -------------------------------------------------------------------------------
def load_province_answers(path: Path, form: Form) -> ProvinceAnswers:
    """Read the coordinator's file. A file that is no workbook at all raises
    :class:`ttcs.workbook.xlsx.UnreadableWorkbook`."""
    raw = read_xlsx(path)
    name = next((n for n in raw if key(n) == key(PROVINCE_TAB)), next(iter(raw), PROVINCE_TAB))
    return read_rows(raw.get(name, []), name, form, str(path))


def local_province_answers(path: Path, form: Form, campaign_title: str) -> ProvinceAnswers:
    """The file's answers; a missing file is written empty (never over an existing one) and
    said in :attr:`ProvinceAnswers.created`: the draft then shows every placeholder."""
    try:
        write_province_answers_template(path, form, campaign_title, replace=False)
    except FileExistsError:
        return load_province_answers(path, form)
    except OSError as exc:
        raise UserError(f"không tạo được tệp {path} ({os_reason(exc)})") from None
    return ProvinceAnswers({}, [], str(path), [], created=f"Đã tạo tệp {path} {FOR_THE_SO}")


def google_province_answers(api: Api, spreadsheet_id: str, form: Form,
                            campaign_title: str) -> ProvinceAnswers:
    """The summary spreadsheet's tab "Tỉnh trả lời", read with one request; a missing tab is
    added empty (one more request) and said in :attr:`ProvinceAnswers.created`."""
    source = f'trang "{PROVINCE_TAB}" của bảng tổng hợp {spreadsheet_id}'
    rows = read_province_tab(api, spreadsheet_id)
    if rows is not None:
        return read_rows(rows, PROVINCE_TAB, form, source)
    add_province_answers_tab(api, spreadsheet_id, form, campaign_title)
    return ProvinceAnswers({}, [], source, [], created=f"Đã tạo {source} {FOR_THE_SO}")


def province_answers(campaign: Campaign, form: Form,
                     summary: SummarySheet | None) -> ProvinceAnswers:
    """Where the campaign keeps them: the Google summary spreadsheet's tab when there is one
    (``summary``: the backend's summary writer), else the file beside campaign.yaml."""
    if summary is not None:
        return google_province_answers(summary.api, summary.spreadsheet_id, form, campaign.title)
    return local_province_answers(default_path(campaign.source or Path("campaign.yaml")), form,
                                  campaign.title)


class _Reader:
    """One sheet's rows read against the form; the problems found, as issues."""

    def __init__(self, rows: Rows, sheet: str, form: Form) -> None:
        self.rows, self.sheet, self.form = rows, sheet, form
        self.issues: list[Issue] = []
        self.unreadable: dict[str, list[str]] = {}

    def value(self, r: int, c: int) -> Any:
        row = self.rows[r] if r < len(self.rows) else []
        return row[c] if c < len(row) else None

    def header(self, *labels: str) -> tuple[int, list[int]] | None:
        """The first row holding every label; its row and each label's column."""
        wanted = [key(label) for label in labels]
        for r, row in enumerate(self.rows):
            keys = [key(v) if isinstance(v, str) else "" for v in row]
            if all(k in keys for k in wanted):
                return r, [keys.index(k) for k in wanted]
        return None

    def missing_header(self, labels: str) -> None:
        self.issues.append(Issue(None, self.sheet, None, None, "province_header_missing",
                                 "missing", f'Không tìm thấy dòng tiêu đề {labels} trong trang '
                                 f'"{self.sheet}"; đề nghị không xóa hoặc sửa dòng này'))

    def read(self, r: int, c: int, spec: FormField) -> tuple[Any, str | None]:
        """The cell's value for ``spec`` and, when unreadable, an issue and the note the draft
        shows ("ô B7 không đọc được: …")."""
        reading = read_field(spec, self.value(r, c), self.form)
        if not reading.problem:
            return reading.value, None
        address = a1(r, c)
        self.issues.append(Issue(None, self.sheet, address, spec.id, f"type_{spec.type}",
                                 "invalid", f'Ô {address} ("{spec.label}"): {reading.problem}'))
        return None, f"ô {address} không đọc được: {reading.problem}"

    def note(self, item: str, text: str) -> None:
        """A note on the outline ``item``, shown at its placeholder in the draft."""
        self.unreadable.setdefault(item, []).append(text)


def _answers(reader: _Reader, form: Form) -> dict[str, str]:
    spec = form.province
    found = reader.header(spec.id_label, spec.answer_label)
    if found is None:
        reader.missing_header(f'"{spec.id_label}" / "{spec.answer_label}"')
        return {}
    start, (id_col, answer_col) = found
    wanted = {key(item_id): item_id for item_id, _ in province_items(form)}
    answers: dict[str, str] = {}
    for r in range(start + 1, len(reader.rows)):
        item_id = wanted.get(key(str(reader.value(r, id_col) or "")))
        if item_id and item_id not in answers:
            field = _ANSWER.model_copy(update={"id": item_id, "label": f"Mục {item_id}"})
            text, problem = reader.read(r, answer_col, field)
            if problem:
                reader.note(item_id, problem)
            elif text:
                answers[item_id] = text
    return answers


def _trainings(reader: _Reader, form: Form) -> list[ProvinceTraining]:
    spec = form.province.trainings
    labels = (spec.sessions_label, spec.participants_label, spec.content_label)
    found = reader.header(*labels)
    if found is None:
        reader.missing_header(" / ".join(f'"{label}"' for label in labels))
        return []
    start, cols = found
    fields = [FormField(id="sessions", label=spec.sessions_label, type="count"),
              FormField(id="participants", label=spec.participants_label, type="count"),
              FormField(id="content", label=spec.content_label, type="text")]
    trainings = []
    for r in range(start + 1, len(reader.rows)):
        if all(read_text(reader.value(r, c)).blank for c in cols):
            continue
        readings = [reader.read(r, c, f) for c, f in zip(cols, fields, strict=True)]
        problems = [problem for _, problem in readings if problem]
        if problems:  # never a class of 0 sessions: the row waits for the Sở to correct it
            reader.note(TRAINING_ITEM, f"dòng {r + 1} chưa được tính vì "
                                       f"{'; '.join(problems)}")
        else:
            trainings.append(ProvinceTraining(*(value for value, _ in readings)))
    return trainings


def read_rows(rows: Rows, sheet: str, form: Form, source: str) -> ProvinceAnswers:
    """The province's answers from one sheet's rows (an .xlsx sheet or the Google tab)."""
    reader = _Reader(rows, sheet, form)
    answers = _answers(reader, form)
    trainings = _trainings(reader, form)
    return ProvinceAnswers(answers, trainings, source, reader.issues, reader.unreadable)

"""The draft report (.docx) the Department sends the Ministry, in the administrative format of
Nghị định 30/2020/NĐ-CP: A4, Times New Roman, the heading block (issuing body and number on the
left, national title, motto and place/date on the right), "BÁO CÁO" and its subject, then the
outline's sections A–D with their exact headings and numbering, "Nơi nhận" and the signature.

Under the outline's items: the B figures with their coverage (:mod:`ttcs.report.figures`), the
communes' written answers compiled (:mod:`ttcs.report.answers`), and what the province answers
itself; an answer the province has not written yet is a highlighted "[Sở điền: …]", never a
gap. Only accepted submissions are counted; the units without one are named as missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from ttcs.campaign.settings import Campaign
from ttcs.errors import UserError, os_reason
from ttcs.outputs.atomic import replacing
from ttcs.outputs.run_result import RunResult
from ttcs.outputs.summary import committee_line, vi_date
from ttcs.report import figures as figure_text
from ttcs.report.answers import Topic, compile_answers
from ttcs.report.outline import Outline, OutlineItem
from ttcs.report.province_answers import TRAINING_ITEM, ProvinceAnswers, province_items
from ttcs.vi_format import number
from ttcs.workbook.form import Form

DRAFT_NAME = "bao-cao-du-thao.docx"
FONT = "Times New Roman"
BODY_PT, HEAD_PT, NATIONAL_PT, PLACES_PT, RECIPIENTS_PT = 14, 13, 12, 12, 11
TEXT_WIDTH_MM = 165  # A4 210 mm less the 30 mm (binding) and 15 mm margins
LEFT_HEAD_MM = 70
NUMBER_LINE = "Số:       /BC-SVHTTDL"
RECIPIENTS = ("- Bộ VHTTDL (b/c);", "- UBND tỉnh (b/c);", "- Lưu: VT, TTBCXB.")
SIGNER = ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")
SIGNER_NAME = "[Họ và tên người ký]"
ATTACHED = "Số liệu chi tiết tại Phụ lục 01, Phụ lục 02, Phụ lục 03 kèm theo."

# The outline's headings as Word headings (the navigation pane), restyled to look as before.
HEADING_STYLES = {"section": "Heading 1", "part": "Heading 2", "number": "Heading 3"}
TRAININGS_WANTED = "các lớp tập huấn, bồi dưỡng do Sở tổ chức (số buổi, số lượt người, nội dung)"
TRAININGS_UNREADABLE = ("dòng lớp tập huấn do Sở tổ chức không đọc được trong bảng Tỉnh trả lời, "
                        "chưa tính vào tổng cộng dưới đây")

# The commune form's own-training counts (PL03.training) the province's courses add to.
TRAINING_FIELDS = ("training_sessions", "training_participants")


@dataclass(frozen=True)
class ReportInput:
    """Everything the report is written from: one run's result, never the communes' files."""

    campaign: Campaign
    result: RunResult
    form: Form
    outline: Outline
    province: ProvinceAnswers

    @property
    def department(self) -> str:
        return self.campaign.department

    @property
    def names(self) -> dict[str, str]:
        return {unit.code: unit.name for unit in self.result.units}

    @property
    def missing(self) -> list[str]:
        """Names of the expected units without an accepted submission, by code."""
        reported = set(self.result.figures.reported)
        return [self.names[code] for code in sorted(self.result.figures.expected)
                if code not in reported]


def coverage_sentence(report: ReportInput) -> str:
    figures = report.result.figures
    missing = report.missing
    tail = f"chưa nộp: {', '.join(missing)}" if missing else "không còn đơn vị nào chưa nộp"
    return (f"Tổng hợp từ {len(figures.reported)}/{len(figures.expected)} đơn vị cấp xã đã nộp;"
            f" {tail}.")


def unanswered(report: ReportInput) -> list[str]:
    """The outline ids the province still has to write or correct: its trainings under
    B.III.2 too, while no row of them is readable or any row is unreadable."""
    province = report.province
    missing = [item for item, _ in province_items(report.form)
               if not province.answers.get(item, "").strip()]
    trainings_done = bool(province.trainings) and TRAINING_ITEM not in province.unreadable
    return missing + ([] if trainings_done else [TRAINING_ITEM])


def placeholder(what: str, unreadable: Sequence[str] = (), verb: str = "điền") -> str:
    """What the Sở still has to write (or, ``verb`` "sửa", correct), with the cells of its
    sheet that could not be read."""
    return f"[Sở {verb}: {' — '.join([what, *unreadable])}]"


# --- low-level formatting ----------------------------------------------------------------------


def _font(run: Any, size: float, bold: bool = False, italic: bool = False,
          underline: bool = False) -> Any:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    run.font.underline = underline
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    return run


def _line(container: Any, text: str, size: float = BODY_PT, *, bold: bool = False,
          italic: bool = False, underline: bool = False, center: bool = False,
          indent: bool = True, after: float = 6, style: str | None = None) -> Paragraph:
    """One paragraph of one run (``container``: the document or a table cell)."""
    para = container.add_paragraph(style=style)
    fmt = para.paragraph_format
    fmt.space_after = Pt(after)
    fmt.space_before = Pt(0)
    if center:
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt.first_line_indent = Mm(0)
    elif not indent:
        fmt.first_line_indent = Mm(0)
    if text:
        _font(para.add_run(text), size, bold, italic, underline)
    return para


def _short_rule(container: Any, width_mm: float, container_mm: float,
                after: float = 4) -> None:
    """A short centred line (under the issuing body, under the subject): the bottom border of
    an empty paragraph indented to ``width_mm``."""
    para = _line(container, "", 2, center=True, after=after)
    side = Mm((container_mm - width_mm) / 2)
    para.paragraph_format.left_indent = side
    para.paragraph_format.right_indent = side
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"),
                       ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    para._p.get_or_add_pPr().append(borders)


def _two_columns(doc: DocumentObject, left_mm: float) -> tuple[_Cell, _Cell]:
    """A borderless two-column table (the heading block, the signature block)."""
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = (Mm(left_mm), Mm(TEXT_WIDTH_MM - left_mm))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    left, right = table.rows[0].cells
    for cell, width in zip((left, right), widths, strict=True):
        cell.width = width
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    return left, right


def _page_number_header(doc: DocumentObject) -> None:
    """Page numbers centred in the top margin from the second page on."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    para = section.header.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    para._p.append(field)


def _setup(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    _body_format(normal)
    for name in HEADING_STYLES.values():
        _heading_style(doc.styles[name])
    _page_number_header(doc)


def _body_format(style: Any) -> None:
    fmt = style.paragraph_format
    fmt.first_line_indent = Mm(12.7)
    fmt.line_spacing = 1.15
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(6)
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY


def _heading_style(style: Any) -> None:
    """A Word heading style that prints as the body's bold line: Times New Roman, black, no
    theme font, colour or extra spacing (the template's are Calibri Light, blue, 24 pt above)."""
    font = style.font
    font.name, font.size, font.color.rgb = FONT, Pt(BODY_PT), RGBColor(0, 0, 0)
    font.bold, font.italic = True, False
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:eastAsia"), FONT)
    _body_format(style)
    style.paragraph_format.keep_with_next = True


# --- the heading block, the title, the end --------------------------------------------------------


def _place(report: ReportInput) -> str:
    name = report.result.province.name
    for prefix in ("Tỉnh ", "Thành phố "):
        name = name.removeprefix(prefix)
    return name


def _heading_block(doc: DocumentObject, report: ReportInput) -> None:
    left, right = _two_columns(doc, LEFT_HEAD_MM)
    _line(left, committee_line(report.result.province.name), HEAD_PT, center=True, after=0)
    _line(left, report.department.upper(), HEAD_PT, bold=True, center=True, after=0)
    _short_rule(left, 25, LEFT_HEAD_MM)
    _line(left, NUMBER_LINE, HEAD_PT, center=True, after=0)
    _line(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", NATIONAL_PT, bold=True, center=True,
          after=0)
    _line(right, "Độc lập - Tự do - Hạnh phúc", HEAD_PT, bold=True, underline=True,
          center=True, after=10)
    year = report.result.local(report.result.as_of).year
    _line(right, f"{_place(report)}, ngày     tháng     năm {year}", HEAD_PT, italic=True,
          center=True, after=0)


def _title(doc: DocumentObject, report: ReportInput) -> None:
    _line(doc, "", BODY_PT, after=6)
    _line(doc, "BÁO CÁO", BODY_PT, bold=True, center=True, after=0)
    _line(doc, report.result.campaign_title, BODY_PT, bold=True, center=True, after=0)
    _short_rule(doc, 40, TEXT_WIDTH_MM, after=12)
    scope = (f"Thực hiện đề cương tổng kết, trên cơ sở báo cáo của các xã, phường, đặc khu "
             f"(số liệu tính đến ngày {vi_date(report.campaign.data_as_of)}), {report.department} "
             f"{report.result.province.name} báo cáo kết quả như sau:")
    _line(doc, scope)
    _line(doc, coverage_sentence(report), italic=True)


def _closing(doc: DocumentObject, report: ReportInput) -> None:
    _line(doc, f"Trên đây là báo cáo {_lower(report.result.campaign_title)} của "
               f"{report.department} {report.result.province.name}. {ATTACHED}/.")
    _line(doc, "", after=0)
    left, right = _two_columns(doc, 80)
    _line(left, "Nơi nhận:", PLACES_PT, bold=True, italic=True, indent=False, after=0)
    for recipient in RECIPIENTS:
        _line(left, recipient, RECIPIENTS_PT, indent=False, after=0)
    for text in SIGNER:
        _line(right, text, BODY_PT, bold=True, center=True, after=0)
    for _ in range(4):
        _line(right, "", BODY_PT, center=True, after=0)
    _highlighted(_line(right, "", BODY_PT, center=True, after=0), SIGNER_NAME, bold=True)


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


# --- the outline's items and what goes under them -------------------------------------------------


_HEADING_STYLE = {"section": (True, False), "part": (True, False), "number": (True, False),
                  "letter": (True, True), "bullet": (False, False), "sub_bullet": (False, False)}


def _highlighted(para: Paragraph, text: str, bold: bool = False) -> None:
    run = _font(para.add_run(text), BODY_PT, bold=bold)
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _heading(doc: DocumentObject, item: OutlineItem, report: ReportInput,
             keys: Sequence[str]) -> None:
    """The item's heading (A–D, I–IV, 1. as Word headings); a bullet answered by figures
    carries the first on its own line: "+ Số lượng được kết nối trước ngày 01/7/2025: 3 …"."""
    if item.is_bullet and keys:
        _figure(doc, keys[0], report, f"{item.heading.rstrip('.')}: ")
        keys = keys[1:]
    else:
        bold, italic = _HEADING_STYLE[item.kind]
        _line(doc, item.heading, BODY_PT, bold=bold, italic=italic,
              style=HEADING_STYLES.get(item.kind))
    for key in keys:
        _figure(doc, key, report, "Kết quả: ")
    for note in item.notes:
        _line(doc, note, BODY_PT, italic=True)


def _figure(doc: DocumentObject, key: str, report: ReportInput, lead: str) -> None:
    """"<lead>192 … . Phạm vi: 217/264 …" (``lead`` before the value), the scope italic."""
    figures = report.result.figures
    para = _line(doc, "")
    _font(para.add_run(f"{lead}{figure_text.result(key, figures.indicators)}. "), BODY_PT)
    scope = figure_text.scope(figures.indicators[key], len(figures.reported),
                              len(figures.expected))
    _font(para.add_run(f"Phạm vi: {scope}."), BODY_PT, italic=True)


def _topic(doc: DocumentObject, topic: Topic, submitted: int) -> None:
    said = f"ý kiến của {topic.answered}/{submitted} đơn vị cấp xã đã nộp:"
    _line(doc, f"{topic.label}: {said}" if topic.label else f"Tổng hợp {said}", BODY_PT,
          italic=True)
    for group in topic.groups:
        para = _line(doc, "")
        _font(para.add_run(f"+ {', '.join(group.names)}: "), BODY_PT, bold=True)
        _font(para.add_run(group.text), BODY_PT)
    if topic.empty:
        _line(doc, f"Đơn vị để trống: {', '.join(topic.empty)}.", BODY_PT, italic=True)


def _province_answer(doc: DocumentObject, item: OutlineItem, report: ReportInput,
                     asked: Mapping[str, str]) -> None:
    text = report.province.answers.get(item.id, "").strip()
    if text:
        for line in text.splitlines():
            if line.strip():
                _line(doc, line.strip())
    elif item.id in asked:
        _highlighted(_line(doc, ""), placeholder(asked[item.id],
                                                 report.province.unreadable.get(item.id, [])))


def _trainings(doc: DocumentObject, report: ReportInput) -> None:
    """Communes' own trainings (summed) plus the province's, each counted once."""
    figures = report.result.figures.indicators
    own = {ind.field: int(figures.get(ind.id, {}).get("value") or 0)
           for ind in report.form.indicators
           if ind.outline == TRAINING_ITEM and ind.measure == "sum"}
    sessions, participants = (own.get(field, 0) for field in TRAINING_FIELDS)
    trainings = report.province.trainings
    unreadable = report.province.unreadable.get(TRAINING_ITEM, [])
    if unreadable:  # the rows read are counted; the others are named, never made up
        _highlighted(_line(doc, ""), placeholder(TRAININGS_UNREADABLE, unreadable, "sửa"))
    elif not trainings:
        _highlighted(_line(doc, ""), placeholder(TRAININGS_WANTED))
    for n, training in enumerate(trainings, start=1):
        _line(doc, f"- Lớp do tỉnh tổ chức thứ {n}: {number(training.sessions or 0)} buổi, "
                   f"{number(training.participants or 0)} lượt người; nội dung: "
                   f"{training.content or '(chưa ghi)'}.")
    sessions += sum(t.sessions or 0 for t in trainings)
    participants += sum(t.participants or 0 for t in trainings)
    _line(doc, f"Tổng cộng toàn tỉnh: {number(sessions)} buổi tập huấn, bồi dưỡng; "
               f"{number(participants)} lượt người được tập huấn (các đơn vị cấp xã tự tổ "
               f"chức và {len(trainings)} lớp do tỉnh tổ chức, mỗi lớp tính một lần).",
          BODY_PT, bold=True)


def _item(doc: DocumentObject, item: OutlineItem, report: ReportInput,
          placed: dict[str, list[str]], topics: dict[str, list[Topic]],
          asked: Mapping[str, str]) -> None:
    _heading(doc, item, report, placed.get(item.id, []))
    figures = report.result.figures
    if item.id in {ind.get("outline") for ind in figures.indicators.values()}:
        bullets, loose = figure_text.place(item, figures.indicators)
        placed.update(bullets)
        for key in loose:
            _figure(doc, key, report, f"- {figures.indicators[key]['label']}: ")
    if item.id == TRAINING_ITEM:
        _trainings(doc, report)
    _province_answer(doc, item, report, asked)
    for topic in topics.get(item.id, []):
        _topic(doc, topic, len(figures.reported))
    for child in item.children:
        _item(doc, child, report, placed, topics, asked)


def build_draft(report: ReportInput) -> DocumentObject:
    doc = Document()
    _setup(doc)
    _heading_block(doc, report)
    _title(doc, report)
    topics = compile_answers(report.form, report.result.figures, report.names)
    asked = dict(province_items(report.form))
    for section in report.outline.sections:
        _item(doc, section, report, {}, topics, asked)
    _closing(doc, report)
    return doc


def write_draft(report: ReportInput, path: Path) -> Path:
    """Write the draft to ``path`` through a temporary file (a reader never sees half), with
    the permissions of the other outputs; a folder that refuses it is a :class:`UserError`."""
    document = build_draft(report)
    try:
        with replacing(path) as temporary:
            document.save(str(temporary))
    except OSError as exc:
        raise UserError(f"không ghi được dự thảo {path} ({os_reason(exc)})") from None
    return path

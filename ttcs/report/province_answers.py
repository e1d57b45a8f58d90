"""What the province answers itself (issue 12): the items ``form.yaml`` marks
``answered_by: province`` and the trainings the province organised (B.III.2), read from a file
the coordinator fills (``tinh-tra-loi.xlsx``) or, with Google Sheets, a tab of the summary
spreadsheet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ttcs.workbook.form import Form
from ttcs.workbook.issues import Issue


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


def province_items(form: Form) -> list[tuple[str, str]]:
    """(outline id, title) of the items the province answers, in the outline's order."""
    return [(s.id, s.title) for s in form.sections.sections if s.answered_by == "province"]


def load_province_answers(path: Path, form: Form) -> ProvinceAnswers:
    """Read the coordinator's file; a missing file is empty answers (no exception)."""
    raise NotImplementedError  # being written (issue 12, "province")


def write_province_answers_template(path: Path, form: Form, campaign_title: str) -> None:
    """Write the empty file the coordinator fills."""
    raise NotImplementedError  # being written (issue 12, "province")

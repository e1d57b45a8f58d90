"""One workbook from cells to verdict: parse, check, and the unit's status (docs/design.md §4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ttcs.campaign import registry
from ttcs.errors import UserError
from ttcs.workbook.form import Form
from ttcs.workbook.issues import Issue
from ttcs.workbook.parse import Parsed, find_unit_code, parse_workbook
from ttcs.workbook.rules import check

Status = Literal["not_started", "in_progress", "submitted", "needs_fix"]
_SHOWN_CHARS = 200  # of an unexpected error's text, in the one-line reason


class CheckFailed(UserError):
    """Parsing or checking a workbook raised: it cannot be judged (one Vietnamese line)."""


@dataclass
class Verdict:
    unit: str | None
    status: Status
    parsed: Parsed
    issues: list[Issue]

    @property
    def errors(self) -> int:
        return sum(issue.is_error for issue in self.issues)

    @property
    def warnings(self) -> int:
        return len(self.issues) - self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "status": self.status,
                "issues": [issue.to_dict() for issue in self.issues]}


def status_of(form: Form, parsed: Parsed, issues: list[Issue]) -> Status:
    if not parsed.entered:
        return "not_started"
    mark = parsed.items.get(form.completion_field.id)
    if mark is None or mark.value is not True:
        return "in_progress"
    return "needs_fix" if any(issue.is_error for issue in issues) else "submitted"


def validate_raw(form: Form, raw: dict[str, list[list[Any]]], unit_code: str | None = None,
                 ) -> Verdict:
    """Validate a workbook's raw cells; the unit is read from the workbook unless given.

    Whatever goes wrong inside becomes :class:`CheckFailed`, so that one workbook the checks
    did not foresee costs its own verdict only.
    """
    try:
        return _validate(form, raw, unit_code)
    except Exception as exc:
        text = " ".join(f"{type(exc).__name__}: {exc}".split())[:_SHOWN_CHARS]
        raise CheckFailed(f"không kiểm tra được bảng tính ({text})") from exc


def _validate(form: Form, raw: dict[str, list[list[Any]]], unit_code: str | None) -> Verdict:
    written = find_unit_code(form, raw)
    code = registry.normalise_code(unit_code) if unit_code else written
    unit = _known_unit(code)
    parsed = parse_workbook(form, unit, raw)
    if unit is None:
        parsed.issues.insert(0, _unit_issue(code))
    elif written and written != unit.code:
        parsed.issues.insert(0, Issue(
            unit.code, None, None, None, "unit_mismatch", "contradiction",
            f"Bảng tính ghi mã đơn vị {written} nhưng đang được kiểm tra cho {unit.name} "
            f"(mã {unit.code}); đề nghị kiểm tra đơn vị đã gửi đúng tệp chưa"))
    issues = check(form, parsed)
    return Verdict(parsed.unit, status_of(form, parsed, issues), parsed, issues)


def _known_unit(code: str | None) -> registry.Unit | None:
    if code is None:
        return None
    try:
        return registry.unit(code)
    except registry.UnknownUnit:
        return None


def _unit_issue(code: str | None) -> Issue:
    if code is None:
        message = ('Không tìm thấy mã đơn vị trong bảng tính (ô cạnh "Mã đơn vị" ở đầu các '
                   "trang); cần ghi lại mã đơn vị")
    else:
        message = f"Mã đơn vị {code} không có trong danh mục đơn vị hành chính sau sắp xếp"
    return Issue(None, None, None, None, "unit_unknown", "invalid", message)

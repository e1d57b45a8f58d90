"""The Vietnamese words for the codes a run produces: statuses, flags, issue kinds and severities,
and the names of the tabs we write. Every output (the commune's feedback tab, the province
summary, the Prefect artifacts, the CLI, the reminders and their templates) takes them from
here, so a commune and a coordinator read the same word for the same thing.

Imports nothing from ttcs: any module may use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

STATUS_VI: Mapping[str, str] = {
    "not_started": "chưa bắt đầu",
    "in_progress": "đang nhập",
    "submitted": "đã nộp",
    "needs_fix": "cần sửa",
    "unreachable": "không truy cập được",
    "excluded": "không yêu cầu báo cáo",
}
FLAG_VI: Mapping[str, str] = {
    "late": "trễ hạn",
    "submitted_late": "nộp sau hạn",
    "inconsistent": "số liệu mâu thuẫn/sai",
    "warnings": "có cảnh báo",
    "changed_after_submit": "sửa sau khi đã nộp",
    "conflict": "nhiều tệp cùng đơn vị",
}
# "Sai giá trị" (wrong value) rather than "Không hợp lệ" (invalid): it tells a commune what to
# look at, and it is what communes already read in their feedback tab and attachment.
KIND_VI: Mapping[str, str] = {
    "contradiction": "Mâu thuẫn",
    "invalid": "Sai giá trị",
    "missing": "Thiếu",
    "warning": "Cảnh báo",
}
SEVERITY_VI: Mapping[str, str] = {"error": "Lỗi", "warning": "Cảnh báo"}

# Order in which a commune is shown its issues: contradictions first, warnings last.
KIND_ORDER: Mapping[str, int] = {kind: rank for rank, kind in enumerate(KIND_VI)}

FEEDBACK_TAB = "Kết quả kiểm tra"  # in each commune spreadsheet, and the attached .xlsx
TAB_SUMMARY = "Tổng hợp"  # tabs of the province summary
TAB_STATUS = "Tình trạng"
TAB_ISSUES = "Lỗi"
TAB_ASSESSMENTS = "Đánh giá"
PROVINCE_TAB = "Tỉnh trả lời"  # what the province answers itself (a file, or a summary tab)


def kind_rank(kind: str) -> int:
    """Sort key of an issue kind (an unknown kind last)."""
    return KIND_ORDER.get(kind, len(KIND_ORDER))


def status_vi(status: str) -> str:
    return STATUS_VI.get(status, status)


def flags_vi(flags: Iterable[str]) -> str:
    """'trễ hạn, có cảnh báo' for ("late", "warnings")."""
    return ", ".join(FLAG_VI.get(flag, flag) for flag in flags)


def kind_vi(kind: str) -> str:
    return KIND_VI.get(kind, kind)


def severity_vi(severity: str) -> str:
    return SEVERITY_VI.get(severity, severity)

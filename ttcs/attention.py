"""What a coordinator needs to see after a run: counts, and the units needing attention."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ttcs.issues import Issue

if TYPE_CHECKING:
    from ttcs.store import Store

STATUS_VI = {
    "not_started": "chưa bắt đầu",
    "in_progress": "đang nhập",
    "submitted": "đã nộp",
    "needs_fix": "cần sửa",
    "unreachable": "không truy cập được",
    "excluded": "không yêu cầu báo cáo",
}
FLAG_VI = {
    "late": "trễ hạn",
    "submitted_late": "nộp sau hạn",
    "inconsistent": "số liệu mâu thuẫn/sai",
    "warnings": "có cảnh báo",
    "changed_after_submit": "sửa sau khi đã nộp",
    "conflict": "nhiều tệp cùng đơn vị",
}
NEEDS_ATTENTION = {"late", "inconsistent", "changed_after_submit", "conflict"}


def run_issues(store: Store, run_id: int) -> dict[str, list[Issue]]:
    """Each unit's current issues in a run: unit code -> issues of its verdict."""
    rows = store.unit_runs(run_id)
    issues = store.verdict_issues(r.verdict_id for r in rows if r.verdict_id)
    return {r.unit: issues[r.verdict_id] for r in rows if r.verdict_id}


def attention_rows(document: dict[str, Any], issues: dict[str, list[Issue]],
                   first_errors: int = 3) -> list[dict[str, str]]:
    """Units that are late, inconsistent, changed after submitting, unreachable or to fix."""
    out = []
    for unit in document["units"]:
        flags = set(unit["flags"])
        if not (flags & NEEDS_ATTENTION or unit["status"] in ("unreachable", "needs_fix")):
            continue
        errors = [i for i in issues.get(unit["code"], []) if i.is_error]
        shown = "; ".join(f"{i.sheet}!{i.cell or ''} {i.message}" for i in errors[:first_errors])
        out.append({
            "Mã": unit["code"],
            "Đơn vị": unit["name"],
            "Trạng thái": STATUS_VI[unit["status"]],
            "Cờ": ", ".join(FLAG_VI[f] for f in unit["flags"]),
            "Lỗi đầu tiên": shown or (unit["reason"] or ""),
        })
    return out


def summary_markdown(document: dict[str, Any], attention: list[dict[str, str]]) -> str:
    totals = document["totals"]
    lines = [
        f"# {document['campaign']}",
        f"**{document['province']['name']}** — số liệu lúc {document['as_of']} "
        f"(hạn nộp {document['deadline']}), lượt chạy {document['run_id']}",
        "",
        "| Trạng thái | Số đơn vị |",
        "| --- | ---: |",
    ]
    lines += [f"| {STATUS_VI[s]} | {n} |" for s, n in totals["by_status"].items()]
    lines += ["", "| Cờ | Số đơn vị |", "| --- | ---: |"]
    lines += [f"| {FLAG_VI[f]} | {n} |" for f, n in totals["by_flag"].items()]
    rate = totals["reporting_rate"]
    lines += ["", f"Đã nộp hợp lệ: {totals['reported']}/{totals['expected']}"
              + (f" ({rate:.0%})" if rate is not None else "")
              + f"; đúng hạn: {totals['on_time']}.", ""]
    figures = [f for f in totals.get("figures", {}).values() if not isinstance(f["value"], list)]
    if figures:
        lines += ["## Số liệu chính", "", "| Mục | Chỉ tiêu | Số liệu | Tỷ lệ |",
                  "| --- | --- | ---: | ---: |"]
        lines += [f"| {f['outline']} | {f['label']} | {f['value']} | "
                  f"{'' if f['percent'] is None else str(f['percent']) + '%'} |" for f in figures]
        lines.append("")
    if document.get("notes"):
        lines += ["## Ghi chú về tệp", ""] + [f"- {note}" for note in document["notes"]] + [""]
    if attention:
        lines += ["## Đơn vị cần chú ý", "", "| Mã | Đơn vị | Trạng thái | Cờ | Lỗi đầu tiên |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| {r['Mã']} | {r['Đơn vị']} | {r['Trạng thái']} | {r['Cờ']} | "
                  f"{r['Lỗi đầu tiên'].replace('|', '/')} |" for r in attention]
    return "\n".join(lines)

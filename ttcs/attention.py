"""What a coordinator needs to see after a run: counts, and the units needing attention."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
}
NEEDS_ATTENTION = {"late", "inconsistent", "changed_after_submit"}


def attention_rows(store: Store, document: dict[str, Any], first_errors: int = 3,
                   ) -> list[dict[str, str]]:
    """Units that are late, inconsistent, changed after submitting, unreachable or to fix."""
    rows = store.unit_runs(document["run_id"])
    issues = store.verdict_issues(r.verdict_id for r in rows if r.verdict_id)
    verdict_of = {r.unit: r.verdict_id for r in rows}
    out = []
    for unit in document["units"]:
        flags = set(unit["flags"])
        if not (flags & NEEDS_ATTENTION or unit["status"] in ("unreachable", "needs_fix")):
            continue
        errors = [i for i in issues.get(verdict_of.get(unit["code"]) or -1, []) if i.is_error]
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
    if attention:
        lines += ["## Đơn vị cần chú ý", "", "| Mã | Đơn vị | Trạng thái | Cờ | Lỗi đầu tiên |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| {r['Mã']} | {r['Đơn vị']} | {r['Trạng thái']} | {r['Cờ']} | "
                  f"{r['Lỗi đầu tiên'].replace('|', '/')} |" for r in attention]
    return "\n".join(lines)

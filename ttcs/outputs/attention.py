"""What a coordinator needs to see after a run: counts, and the units needing attention."""

from __future__ import annotations

from ttcs.labels import FLAG_VI, STATUS_VI, flags_vi
from ttcs.outputs.run_result import RunResult

NEEDS_ATTENTION = {"late", "inconsistent", "changed_after_submit", "conflict"}


def attention_rows(result: RunResult, first_errors: int = 3) -> list[dict[str, str]]:
    """Units that are late, inconsistent, changed after submitting, unreachable or to fix."""
    issues = result.issues_by_unit()
    out = []
    for unit in result.units:
        if not (set(unit.flags) & NEEDS_ATTENTION or unit.status in ("unreachable", "needs_fix")):
            continue
        errors = [i for i in issues.get(unit.code, []) if i.is_error]
        shown = "; ".join(f"{i.sheet}!{i.cell or ''} {i.message}" for i in errors[:first_errors])
        out.append({
            "Mã": unit.code,
            "Đơn vị": unit.name,
            "Trạng thái": STATUS_VI[unit.status],
            "Cờ": flags_vi(unit.flags),
            "Lỗi đầu tiên": shown or (unit.reason or ""),
        })
    return out


def summary_markdown(result: RunResult, attention: list[dict[str, str]]) -> str:
    totals = result.totals
    lines = [
        f"# {result.campaign_title}",
        f"**{result.province.name}** — số liệu lúc {result.local(result.as_of).isoformat()} "
        f"(hạn nộp {result.local(result.deadline).isoformat()}), lượt chạy {result.run_id}",
        "",
        "| Trạng thái | Số đơn vị |",
        "| --- | ---: |",
    ]
    lines += [f"| {STATUS_VI[s]} | {n} |" for s, n in totals.by_status.items()]
    lines += ["", "| Cờ | Số đơn vị |", "| --- | ---: |"]
    lines += [f"| {FLAG_VI[f]} | {n} |" for f, n in totals.by_flag.items()]
    rate = totals.reporting_rate
    lines += ["", f"Đã nộp hợp lệ: {totals.reported}/{totals.expected}"
              + (f" ({rate:.0%})" if rate is not None else "")
              + f"; đúng hạn: {totals.on_time}.", ""]
    figures = [f for f in result.figures.indicators.values() if not isinstance(f["value"], list)]
    if figures:
        lines += ["## Số liệu chính", "", "| Mục | Chỉ tiêu | Số liệu | Tỷ lệ |",
                  "| --- | --- | ---: | ---: |"]
        lines += [f"| {f['outline']} | {f['label']} | {f['value']} | "
                  f"{'' if f['percent'] is None else str(f['percent']) + '%'} |" for f in figures]
        lines.append("")
    if result.notes:
        lines += ["## Ghi chú về tệp", ""] + [f"- {note}" for note in result.notes] + [""]
    if attention:
        lines += ["## Đơn vị cần chú ý", "", "| Mã | Đơn vị | Trạng thái | Cờ | Lỗi đầu tiên |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| {r['Mã']} | {r['Đơn vị']} | {r['Trạng thái']} | {r['Cờ']} | "
                  f"{r['Lỗi đầu tiên'].replace('|', '/')} |" for r in attention]
    return "\n".join(lines)

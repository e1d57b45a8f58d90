"""What a coordinator needs to see after a run: counts, the province figures with their
coverage, and the units needing attention, each linked to its sheet where the run knows it.

Times are dd/mm/yyyy HH:MM in the campaign's zone, numbers Vietnamese (2.316; 88,5%).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

from ttcs.google.urls import SHEET_URL
from ttcs.labels import FLAG_VI, STATUS_VI, flags_vi
from ttcs.outputs.run_result import RunResult
from ttcs.state.store import Store
from ttcs.vi_format import moment, number, percent, ratio, share
from ttcs.workbook.issues import Issue

NEEDS_ATTENTION = {"late", "inconsistent", "changed_after_submit", "conflict"}
SHEET = "Bảng tính"  # the attention column holding a unit's Google link or file name


def sheet_link(locator: str, backend: str) -> str:
    """What a coordinator opens: a Google spreadsheet's link, or a local workbook's file name
    (its folder is the campaign's)."""
    return SHEET_URL.format(id=locator) if backend == "gsheets" else PurePath(locator).name


def sheet_links(store: Store, run_id: int, backend: str) -> dict[str, str]:
    """unit -> :func:`sheet_link` of the sheet run ``run_id`` judged, else of the source last
    seen for the unit (an unreadable one too)."""
    rows = store.unit_runs(run_id)
    verdicts = store.verdict_summaries(r.verdict_id for r in rows if r.verdict_id)
    snapshots = store.snapshot_sources(v["snapshot_id"] for v in verdicts.values())
    links = {state.unit: sheet_link(locator, backend)
             for locator, state in store.sources().items() if state.unit}
    for row in rows:
        verdict = verdicts.get(row.verdict_id or -1)
        if verdict and verdict["snapshot_id"] in snapshots:
            links[row.unit] = sheet_link(snapshots[verdict["snapshot_id"]][0], backend)
    return links


def attention_rows(result: RunResult, first_errors: int = 3, *,
                   links: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """Units that are late, inconsistent, changed after submitting, unreachable or to fix;
    ``links`` (from :func:`sheet_links`) fills the :data:`SHEET` column."""
    issues = result.issues_by_unit()
    links = links or {}
    out = []
    for unit in result.units:
        if not (set(unit.flags) & NEEDS_ATTENTION or unit.status in ("unreachable", "needs_fix")):
            continue
        errors = [i for i in issues.get(unit.code, []) if i.is_error]
        shown = "; ".join(_located(i) for i in errors[:first_errors])
        out.append({
            "Mã": unit.code,
            "Đơn vị": unit.name,
            "Trạng thái": STATUS_VI[unit.status],
            "Cờ": flags_vi(unit.flags),
            "Lỗi đầu tiên": shown or (unit.reason or ""),
            SHEET: links.get(unit.code, ""),
        })
    return out


def _located(issue: Issue) -> str:
    """"PL02, Ô D5: …": the message names its cell already (never "PL02!D5 Ô D5: …")."""
    if not issue.sheet or issue.message.startswith(("Trang ", issue.sheet)):
        return issue.message
    return f"{issue.sheet}, {issue.message}"


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def _linked(target: str) -> str:
    return f"[mở bảng tính]({target})" if target.startswith("https://") else _cell(target)


def _counts(title: str, labels: Mapping[str, str], counts: Mapping[str, int]) -> list[str]:
    return [f"| {title} | Số đơn vị |", "| --- | ---: |",
            *(f"| {labels[key]} | {number(n)} |" for key, n in counts.items())]


def _share(figure: Mapping[str, Any], key: str, show: Any) -> str:
    value = figure.get(key)
    return "" if value is None else show(value)


def _figures(indicators: Iterable[Mapping[str, Any]]) -> list[str]:
    """The figures with the same coverage as the summary workbook and status.json: the rate
    over the units that reported, over the registry, a ratio as a ratio, and the units behind."""
    figures = [f for f in indicators if not isinstance(f["value"], list)]
    if not figures:
        return []
    lines = ["## Số liệu chính", "",
             "| Mục | Chỉ tiêu | Số liệu | Tỷ lệ trên số đã báo cáo | Tỷ lệ theo danh mục "
             "| Tỷ số (lần) | Phạm vi |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    lines += [f"| {f['outline']} | {_cell(f['label'])} | {number(f['value'])} | "
              f"{_share(f, 'rate', share)} | {_share(f, 'percent_of_registry', percent)} | "
              f"{_share(f, 'ratio', ratio)} | {_cell(str(f.get('coverage') or ''))} |"
              for f in figures]
    return [*lines, ""]


def summary_markdown(result: RunResult, attention: list[dict[str, str]]) -> str:
    totals = result.totals
    rate = totals.reporting_rate
    lines = [
        f"# {result.campaign_title}",
        f"**{result.province.name}** — số liệu lúc {moment(result.as_of, result.tz)} "
        f"(hạn nộp {moment(result.deadline, result.tz)}), lượt chạy {result.run_id}",
        "",
        *_counts("Trạng thái", STATUS_VI, totals.by_status),
        "",
        *_counts("Cờ", FLAG_VI, totals.by_flag),
        "",
        f"Đã nộp hợp lệ: {number(totals.reported)}/{number(totals.expected)}"
        + (f" ({share(rate)})" if rate is not None else "")
        + f"; đúng hạn: {number(totals.on_time)}.",
        "",
        *_figures(result.figures.indicators.values()),
    ]
    if result.notes:
        lines += ["## Ghi chú về tệp", ""] + [f"- {note}" for note in result.notes] + [""]
    if attention:
        lines += ["## Đơn vị cần chú ý", "",
                  f"| Mã | Đơn vị | Trạng thái | Cờ | Lỗi đầu tiên | {SHEET} |",
                  "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {r['Mã']} | {r['Đơn vị']} | {r['Trạng thái']} | {r['Cờ']} | "
                  f"{_cell(r['Lỗi đầu tiên'])} | {_linked(r.get(SHEET, ''))} |"
                  for r in attention]
    return "\n".join(lines)

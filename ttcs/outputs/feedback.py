"""The feedback tab: each unit's status and issues written into its own spreadsheet, where the
commune types (docs/design.md §5).

After a nightly run has judged the units, every commune spreadsheet whose feedback changed —
status, flags or issues — gets one batched write: a "Kết quả kiểm tra" tab (added, protected,
in the same ``batchUpdate`` when missing) with the status in Vietnamese, the deadline and each
issue with its sheet, cell, message and a link to the cell, all written as literal strings
(``updateCells`` string values: nothing is ever a formula). A unit whose feedback did not
change costs nothing.

Our write moves the spreadsheet's modification time, and a commune edit must never hide behind
it. So, per spreadsheet: (1) just before writing, Drive's ``modifiedTime`` must still be the
time of our read (or of our previous feedback), otherwise the commune edited since and the
feedback waits for the next night, which re-reads the sheet; (2) the write returns the
spreadsheet as it is right after it, and its content (the feedback tab left out) must hash to
the snapshot we judged; (3) Drive must then name us as the last modifier. Only then is the new
modification time recorded as ours: the next night's listing shows the sheet unchanged (a
quiet night stays quiet) and the unit keeps the time of the commune's last change. When a
check fails nothing is recorded, and the next night simply re-reads the sheet.

The feedback tab is never parsed nor hashed: the Google Sheets backend leaves it out of every
read (by title and by its sheetId).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gspread.exceptions import APIError

from ttcs.backends import SheetAccess
from ttcs.backends.gsheets import grid_to_raw
from ttcs.campaign import registry
from ttcs.campaign.settings import Campaign
from ttcs.google.api import tab_ids
from ttcs.google.pacing import Retryable
from ttcs.google.urls import CELL_URL, FEEDBACK_SHEET_ID, SHEET_URL, TAB_URL
from ttcs.labels import FEEDBACK_TAB, flags_vi, kind_rank, kind_vi, status_vi
from ttcs.run.collect import Located
from ttcs.state.store import SourceState, Store, UnitRun, content_hash
from ttcs.workbook.issues import Issue

RESPONSE_FIELDS = ("updatedSpreadsheet(sheets(properties(sheetId,title),data(rowData(values("
                   "effectiveValue,userEnteredValue)))))")
HEADER = ["STT", "Trang", "Ô", "Loại", "Nội dung", "Mở ô"]
WIDTHS = [45, 110, 60, 100, 520, 420]
FIRST_ISSUE_ROW = 9  # 1-based row of the first issue


@dataclass(frozen=True)
class Target:
    """One unit's spreadsheet and what the run found in it."""

    unit: str
    name: str
    locator: str  # spreadsheet id
    content_hash: str  # of the snapshot judged
    status: str
    flags: tuple[str, ...]
    issues: tuple[Issue, ...]

    @property
    def errors(self) -> int:
        return sum(issue.is_error for issue in self.issues)


@dataclass
class Report:
    written: list[str] = field(default_factory=list)  # units
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)  # edited since our read: next night
    unverified: list[str] = field(default_factory=list)  # written, time not recorded as ours
    failed: list[tuple[str, str]] = field(default_factory=list)  # (unit, reason)

    def public(self) -> dict[str, Any]:
        return {"written": len(self.written), "unchanged": self.unchanged,
                "skipped": self.skipped, "unverified": self.unverified,
                "failed": [{"unit": u, "error": e} for u, e in self.failed]}

    def notes(self) -> list[str]:
        return [f"Không ghi được trang \"{FEEDBACK_TAB}\" cho đơn vị {unit}: {error}"
                for unit, error in self.failed]


def targets(store: Store, rows: Sequence[UnitRun], located: Mapping[str, Located],
            names: Mapping[str, str]) -> list[Target]:
    """The units of a run whose spreadsheet was read (now or before) and judged."""
    judged = [r for r in rows if r.verdict_id and not r.reason and r.unit in located
              and located[r.unit].snapshot_id]
    issues = store.verdict_issues(r.verdict_id for r in judged if r.verdict_id)
    snapshots = store.snapshot_sources(located[r.unit].snapshot_id for r in judged)  # type: ignore[misc]
    out = []
    for row in judged:
        locator, digest = snapshots[located[row.unit].snapshot_id]  # type: ignore[index]
        found = sorted(issues[row.verdict_id],  # type: ignore[index]
                       key=lambda i: kind_rank(i.kind))
        out.append(Target(row.unit, names.get(row.unit, row.unit), locator, digest, row.status,
                          tuple(row.flags), tuple(found)))
    return out


def _when(moment: dt.datetime, campaign: Campaign) -> str:
    local = moment.astimezone(campaign.tz)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def cell_link(spreadsheet: str, tabs: Mapping[str, int], issue: Issue) -> str:
    """A link that opens the issue's cell (or tab, or spreadsheet)."""
    gid = tabs.get(issue.sheet) if issue.sheet else None
    if gid is None:
        return SHEET_URL.format(id=spreadsheet)
    if issue.cell:
        return CELL_URL.format(id=spreadsheet, gid=gid, cell=issue.cell)
    return TAB_URL.format(id=spreadsheet, gid=gid)


def body_rows(target: Target, tabs: Mapping[str, int], campaign: Campaign) -> list[list[Any]]:
    """Everything the tab says but the time of the check (what the digest covers)."""
    status = status_vi(target.status)
    if target.flags:
        status += " — " + flags_vi(target.flags)
    warnings = len(target.issues) - target.errors
    rows: list[list[Any]] = [
        ["Đơn vị", f"{target.name} (mã {target.unit})"],
        ["Trạng thái", status],
        ["Hạn nộp", _when(campaign.deadline, campaign)],
        ["Số lỗi", f"{target.errors} lỗi, {warnings} cảnh báo"],
        [],
        HEADER,
    ]
    for number, issue in enumerate(target.issues, start=1):
        rows.append([number, issue.sheet or "", issue.cell or "", kind_vi(issue.kind),
                     issue.message, cell_link(target.locator, tabs, issue)])
    if not target.issues:
        rows.append(["", "", "", "", "Không phát hiện lỗi nào.", ""])
    return rows


def tab_rows(target: Target, tabs: Mapping[str, int], campaign: Campaign,
             checked: dt.datetime) -> list[list[Any]]:
    title = [f"KẾT QUẢ KIỂM TRA BÁO CÁO — hệ thống tự ghi lúc {_when(checked, campaign)}; "
             "không nhập số liệu vào trang này"]
    body = body_rows(target, tabs, campaign)
    return [title, *body[:4], ["Cách sửa", "Sửa ô ghi ở cột \"Ô\" của trang ghi ở cột \"Trang\" "
                               "(bấm đường dẫn ở cột \"Mở ô\"); kết quả được cập nhật hằng đêm."],
            *body[4:]]


def digest(target: Target, tabs: Mapping[str, int], campaign: Campaign) -> str:
    return content_hash(body_rows(target, tabs, campaign))


def _cell(value: Any, bold: bool = False) -> dict[str, Any]:
    """A literal value (``stringValue`` is never parsed, so never a formula); blank: none."""
    out: dict[str, Any] = {"userEnteredFormat": {"textFormat": {"bold": bold},
                                                 "wrapStrategy": "WRAP",
                                                 "verticalAlignment": "TOP"}}
    if isinstance(value, int | float) and not isinstance(value, bool):
        out["userEnteredValue"] = {"numberValue": value}
    elif value not in (None, ""):
        out["userEnteredValue"] = {"stringValue": str(value)}
    return out


def write_requests(rows: list[list[Any]], gid: int, exists: bool, editor: str,
                   ) -> list[dict[str, Any]]:
    """One batchUpdate: the tab (added and protected when missing), sized, then every cell of
    it replaced (values and formats; the rest of the tab cleared)."""
    grid = {"rowCount": max(len(rows) + 20, 100), "columnCount": len(HEADER),
            "frozenRowCount": FIRST_ISSUE_ROW - 1}
    requests: list[dict[str, Any]] = []
    if exists:
        requests.append({"updateSheetProperties": {
            "properties": {"sheetId": gid, "title": FEEDBACK_TAB, "gridProperties": grid},
            "fields": "title,gridProperties(rowCount,columnCount,frozenRowCount)"}})
    else:
        requests.append({"addSheet": {"properties": {
            "sheetId": gid, "title": FEEDBACK_TAB, "index": 0, "gridProperties": grid,
            "tabColor": {"red": 0.85, "green": 0.2, "blue": 0.2}}}})
        requests.append({"addProtectedRange": {"protectedRange": {
            "range": {"sheetId": gid}, "editors": {"users": [editor]},
            "description": "Hệ thống tự ghi kết quả kiểm tra: không nhập vào trang này"}}})
        requests += [{"updateDimensionProperties": {
            "range": {"sheetId": gid, "dimension": "COLUMNS", "startIndex": c,
                      "endIndex": c + 1},
            "properties": {"pixelSize": width}, "fields": "pixelSize"}}
            for c, width in enumerate(WIDTHS)]
    bold_rows = {0, FIRST_ISSUE_ROW - 2}
    requests.append({"updateCells": {
        "range": {"sheetId": gid},
        "rows": [{"values": [_cell(v, r in bold_rows or (c == 0 and r < FIRST_ISSUE_ROW - 2))
                             for c, v in enumerate(row)]} for r, row in enumerate(rows)],
        "fields": "userEnteredValue,userEnteredFormat"}})
    return requests


def _feedback_gid(tabs: Mapping[str, int]) -> tuple[int, bool]:
    """Our tab's sheetId and whether it exists (a fresh id when another tab has ours)."""
    if FEEDBACK_TAB in tabs:
        return tabs[FEEDBACK_TAB], True
    used = set(tabs.values())
    if FEEDBACK_SHEET_ID in used:  # ours, renamed: it gets its name back
        return FEEDBACK_SHEET_ID, True
    gid = FEEDBACK_SHEET_ID
    while gid in used:
        gid += 1
    return gid, False


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


class Writer:
    """Writes the feedback of one run; every request goes through the paced client."""

    def __init__(self, store: Store, access: SheetAccess, campaign: Campaign, run_id: int,
                 checked: dt.datetime) -> None:
        self.store = store
        self.api = access.api
        self.campaign = campaign
        self.service_account = access.account
        self.run_id = run_id
        self.checked = checked

    def run(self, found: Sequence[Target]) -> Report:
        """``found``'s tabs are those the latest read (or write) of each sheet recorded."""
        report = Report()
        states = self.store.feedback_states()
        sources = self.store.sources()
        for target in found:
            state = states.get(target.locator)
            tabs = state.tabs if state and state.tabs else None
            try:
                if tabs is None:
                    tabs = self.api.tab_ids(target.locator)
                # Unchanged, unless this run's read shows the commune deleted our tab.
                present = FEEDBACK_TAB in tabs or FEEDBACK_SHEET_ID in tabs.values()
                if state and state.digest == digest(target, tabs, self.campaign) and present:
                    report.unchanged += 1
                    continue
                self.write_one(target, tabs, sources.get(target.locator), report)
            except APIError as exc:
                report.failed.append((target.unit, f"Google báo lỗi {exc.code}: "
                                                   f"{exc.error.get('message', '')}"))
            except (Retryable, OSError) as exc:
                report.failed.append((target.unit, f"Google không trả lời ({exc})"))
        return report

    def unedited(self, target: Target, source: SourceState | None) -> bool:
        """Drive's modification time is still the one of our read or of our last feedback."""
        ours = {t for t in ((source.modified, source.feedback_modified) if source else ())
                if t is not None}
        self.api.reserve_write()
        now = _time(self.api.file(target.locator, "modifiedTime").get("modifiedTime"))
        return now in ours

    def write_one(self, target: Target, tabs: dict[str, int], source: SourceState | None,
                  report: Report) -> None:
        if not self.unedited(target, source):
            report.skipped.append(target.unit)
            return
        try:
            updated = self.send(target, tabs)
        except APIError as exc:
            if exc.code != 400:
                raise
            # Our idea of the tabs was stale (the tab deleted or renamed): ask, write again.
            tabs = self.api.tab_ids(target.locator)
            updated = self.send(target, tabs)
        self.verify(target, tabs, updated, report)

    def send(self, target: Target, tabs: dict[str, int]) -> dict[str, Any]:
        gid, exists = _feedback_gid(tabs)
        requests = write_requests(tab_rows(target, tabs, self.campaign, self.checked), gid,
                                  exists, self.service_account)
        answer = self.api.batch_update(target.locator, requests, RESPONSE_FIELDS)
        return answer.get("updatedSpreadsheet", {})

    def verify(self, target: Target, tabs: dict[str, int], updated: Mapping[str, Any],
               report: Report) -> None:
        new_tabs = tab_ids(updated) or tabs
        gid, _ = _feedback_gid(new_tabs)
        raw = grid_to_raw(updated, (FEEDBACK_TAB,), (gid, FEEDBACK_SHEET_ID))
        same = content_hash(raw) == target.content_hash
        after = self.api.file(target.locator, "modifiedTime,lastModifyingUser(me,emailAddress)")
        last = after.get("lastModifyingUser") or {}
        mine = bool(last.get("me")) or str(last.get("emailAddress", "")).lower() \
            == self.service_account.lower()
        modified = _time(after.get("modifiedTime")) if same and mine else None
        self.store.put_feedback(target.locator, unit=target.unit,
                                digest=digest(target, new_tabs, self.campaign),
                                modified=modified, written_at=dt.datetime.now(dt.UTC),
                                run_id=self.run_id, tabs=new_tabs)
        report.written.append(target.unit)
        if modified is None:
            report.unverified.append(target.unit)


def write_feedback(store: Store, access: SheetAccess, campaign: Campaign, run_id: int,
                   checked: dt.datetime, rows: Sequence[UnitRun],
                   located: Mapping[str, Located]) -> Report:
    """Write the feedback tab of every unit whose feedback changed in this run."""
    names = {u.code: u.name for u in registry.units(campaign.province_code)}
    found = targets(store, rows, located, names)
    return Writer(store, access, campaign, run_id, checked).run(found)


"""What the nightly run's log says after each step, in Vietnamese, for the coordinator reading
the run in the Prefect UI: what was listed, read, left unchanged or unreadable, the statuses,
the feedback tabs written and the outputs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path, PurePath

from ttcs.backends import Source
from ttcs.campaign.settings import Campaign
from ttcs.labels import FEEDBACK_TAB, STATUS_VI
from ttcs.outputs.feedback import Report
from ttcs.run.collect import Fetched
from ttcs.state.store import UnitRun
from ttcs.vi_format import number

NAMED = 10  # units or files named in one line; the rest are counted


def _named(items: Sequence[str]) -> str:
    shown = ", ".join(items[:NAMED])
    rest = len(items) - NAMED
    return shown + (f" và {number(rest)} mục khác" if rest > 0 else "")


def listed(to_read: Sequence[Source], unchanged: Sequence[Fetched]) -> str:
    total = len(to_read) + len(unchanged)
    return (f"Liệt kê: {number(total)} tệp/bảng tính; {number(len(to_read))} mới hoặc đã "
            f"sửa cần đọc, {number(len(unchanged))} không đổi từ lần đọc trước.")


def _label(item: Fetched) -> str:
    return item.unit or PurePath(item.source.locator).name or item.source.locator


def read(fetched: Sequence[Fetched]) -> str:
    failed = [f for f in fetched if f.reason]
    line = (f"Đọc: {number(len(fetched) - len(failed))} đọc được, "
            f"{number(len(failed))} không đọc được")
    if failed:
        line += ": " + _named([f"{_label(f)} ({f.reason})" for f in failed])
    return line + "."


def statuses(rows: Sequence[UnitRun]) -> str:
    counts = Counter(row.status for row in rows)
    parts = [f"{STATUS_VI[status]} {number(n)}" for status, n in counts.most_common()]
    return f"Trạng thái của {number(len(rows))} đơn vị: " + ", ".join(parts) + "."


def feedback(report: Report, campaign: Campaign) -> str:
    tab = f'Trang "{FEEDBACK_TAB}"'
    settings = campaign.backend.gsheets
    if campaign.backend.kind != "gsheets" or not settings or not settings.feedback_tab:
        return f"{tab}: không áp dụng (chỉ ghi vào bảng tính Google của đơn vị)."
    line = (f"{tab}: ghi cho {number(len(report.written))} đơn vị, "
            f"{number(report.unchanged)} không đổi")
    if report.skipped:
        line += f"; để đêm sau (đơn vị đang sửa): {_named(report.skipped)}"
    if report.failed:
        line += "; không ghi được: " + _named([f"{u} ({e})" for u, e in report.failed])
    return line + "."


def outputs(folder: Path, names: Sequence[str], reported: int, expected: int) -> str:
    return (f"Kết quả: đã ghi {', '.join(names)} vào {folder}; đã nộp hợp lệ "
            f"{number(reported)}/{number(expected)} đơn vị.")

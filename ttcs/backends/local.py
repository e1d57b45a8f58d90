"""Local backend: a folder of commune workbooks (.xlsx), one per unit."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ttcs.backends import FetchError, Raw, SheetAccess, Source, SummarySheet
from ttcs.campaign.settings import ReadLimits
from ttcs.errors import UserError
from ttcs.workbook.workbook_limits import checked_workbook
from ttcs.workbook.xlsx import UnreadableWorkbook, read_xlsx

_CODE_PREFIX = re.compile(r"^(\d{5})\b")


class LocalBackend:
    name = "local"

    def __init__(self, folder: Path, limits: ReadLimits | None = None) -> None:
        self.folder = folder
        self.limits = limits or ReadLimits()

    def list_sources(self) -> list[Source]:
        """Every *.xlsx entry, even one that is no readable file (a folder, a dangling link):
        listed, so that reading it fails with the reason and its unit is unreachable."""
        if not self.folder.is_dir():
            # An unmounted share or a mistyped path is the coordinator's to fix, never a night
            # where every unit looks unreachable (and is reminded to send its file again).
            raise UserError(f"không thấy thư mục bảng tính của các đơn vị {self.folder} "
                            "(backend.local.folder trong campaign.yaml): kiểm tra ổ đĩa chia sẻ "
                            "hoặc đường dẫn; chưa có tệp nào thì tạo thư mục bằng ttcs template "
                            "--out")
        found = []
        for path in sorted(self.folder.rglob("*.xlsx")):
            if path.name.startswith(("~$", ".~lock")):  # Excel/LibreOffice lock files
                continue
            # The file name from `ttcs template` starts with the code: a hint used only when
            # the file cannot be read at all (to say which unit is unreachable).
            match = _CODE_PREFIX.match(path.name)
            found.append(Source(str(path), _modified(path), match.group(1) if match else None))
        return found

    def fetch(self, source: Source) -> Raw:
        """The workbook's cells, once it is within the read limits. A commune reads the
        reason of a failure: it names the file, never our folder."""
        path = Path(source.locator)
        try:
            target = checked_workbook(path, self.limits, self.folder)
        except UnreadableWorkbook as exc:
            raise FetchError(str(exc)) from None
        try:
            return read_xlsx(target)
        except UnreadableWorkbook as exc:
            # A link inside the folder: name the file the commune sent, not its target.
            raise FetchError(str(exc).replace(target.name, path.name, 1)) from None

    def describe_missing(self) -> str:
        return "không tìm thấy tệp báo cáo của đơn vị trong thư mục báo cáo của tỉnh"

    def feedback_writer(self) -> SheetAccess | None:
        return None  # a commune's file is never written back

    def summary_writer(self) -> SummarySheet | None:
        return None  # the summary is the workbook in the output folder


def _modified(path: Path) -> dt.datetime | None:
    """The file's time, or the link's own when its target is gone; None if neither can be read."""
    for look in (path.stat, path.lstat):
        try:
            return dt.datetime.fromtimestamp(look().st_mtime, dt.UTC)
        except OSError:
            continue
    return None

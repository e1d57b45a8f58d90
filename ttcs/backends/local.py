"""Local backend: a folder of commune workbooks (.xlsx), one per unit."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ttcs.backends import FetchError, Raw, Source
from ttcs.xlsx import UnreadableWorkbook, read_xlsx

_CODE_PREFIX = re.compile(r"^(\d{5})\b")


class LocalBackend:
    name = "local"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def list_sources(self) -> list[Source]:
        if not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.rglob("*.xlsx")):
            if path.name.startswith(("~$", ".~lock")):  # Excel/LibreOffice lock files
                continue
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            # The file name from `ttcs template` starts with the code: a hint used only when
            # the file cannot be read at all (to say which unit is unreachable).
            match = _CODE_PREFIX.match(path.name)
            found.append(Source(str(path), modified, match.group(1) if match else None))
        return found

    def fetch(self, source: Source) -> Raw:
        try:
            return read_xlsx(Path(source.locator))
        except UnreadableWorkbook as exc:
            raise FetchError(str(exc)) from None

    def describe_missing(self) -> str:
        return f"không tìm thấy tệp báo cáo của đơn vị trong thư mục {self.folder}"

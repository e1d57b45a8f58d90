"""The summary workbook rewritten only when a figure moved.

Building the workbook with openpyxl takes seconds for a large province. On a quiet night only
its "Tình hình lúc" line changes: that text is then replaced inside the existing .xlsx (a zip
of XML parts), the rest of the file kept as it is. What the workbook last received is
remembered next to it in ``.<name>.digest`` (JSON: the content digest without the time line,
that line, and the size and modification time of the file as written), so a workbook edited,
replaced or removed since is written whole again.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ttcs.outputs.atomic import replacing
from ttcs.outputs.summary import SummaryTab
from ttcs.outputs.summary_sheets import as_of_cells, content_digest
from ttcs.outputs.summary_xlsx import write_summary_xlsx


def write_summary_workbook(tabs: list[SummaryTab], path: Path) -> Path:
    """Bring the summary workbook at ``path`` to ``tabs``: its time line alone when nothing
    else changed since this function last wrote it, the whole workbook otherwise."""
    path = Path(path)
    stamp = path.with_name(f".{path.name}.digest")
    digest = content_digest(tabs)
    line = _as_of_line(tabs)
    last = _read_stamp(stamp)
    quiet = (line is not None and last.get("digest") == digest
             and last.get("file") == _file_id(path) and _replace_text(path, last["line"], line))
    if not quiet:
        write_summary_xlsx(tabs, path)
    with replacing(stamp) as temporary:
        temporary.write_text(json.dumps({"digest": digest, "line": line, "file": _file_id(path)},
                                        ensure_ascii=False), encoding="utf-8")
    return path


def _as_of_line(tabs: list[SummaryTab]) -> str | None:
    """The one "Tình hình lúc" text the tabs show (None if there is not exactly one)."""
    lines = {cell["values"][0][0] for cell in as_of_cells(tabs)}
    return lines.pop() if len(lines) == 1 else None


def _file_id(path: Path) -> list[int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def _read_stamp(stamp: Path) -> dict[str, Any]:
    try:
        data = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _encodings(old: str, new: str) -> list[tuple[bytes, bytes]]:
    """The whole text of a cell (``<t>…</t>``, not a part of a commune's longer text) as openpyxl
    may have written it: UTF-8, or ASCII with character references (its lxml writer)."""
    cells = [f">{escape(text)}</t>" for text in (old, new)]
    return [tuple(cell.encode() for cell in cells),  # type: ignore[misc]
            tuple(cell.encode("ascii", "xmlcharrefreplace") for cell in cells)]


def _replace_text(path: Path, old: Any, new: str) -> bool:
    """Replace the cell text ``old`` by ``new`` in every part of the .xlsx, atomically; False
    when ``old`` is not found (the caller then writes the workbook whole)."""
    if not isinstance(old, str) or not old:
        return False
    if old == new:
        return True
    try:
        with zipfile.ZipFile(path) as source:
            parts = [(info, source.read(info)) for info in source.infolist()]
        found = next(((before, after) for before, after in _encodings(old, new)
                      if any(before in data for _, data in parts)), None)
        if found is None:
            return False
        before, after = found
        with replacing(path) as temporary, zipfile.ZipFile(temporary, "w") as target:
            for info, data in parts:
                target.writestr(info, data.replace(before, after))
    except (OSError, zipfile.BadZipFile):
        return False
    return True

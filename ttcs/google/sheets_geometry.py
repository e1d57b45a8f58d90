"""Column widths and merged cells as Sheets API requests (templates and summaries alike)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def width_requests(sheet_id: int, widths: Mapping[int, float]) -> list[dict[str, Any]]:
    """``widths``: 1-based column -> width in characters (as openpyxl takes it)."""
    return [{"updateDimensionProperties": {
        "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": col - 1,
                  "endIndex": col},
        "properties": {"pixelSize": int(width * 7 + 10)}, "fields": "pixelSize"}}
        for col, width in widths.items()]


def merge_requests(sheet_id: int, merges: Iterable[tuple[int, int, int, int]],
                   ) -> list[dict[str, Any]]:
    """``merges``: 1-based (first row, first column, last row, last column)."""
    return [{"mergeCells": {"mergeType": "MERGE_ALL", "range": {
        "sheetId": sheet_id, "startRowIndex": r1 - 1, "endRowIndex": r2,
        "startColumnIndex": c1 - 1, "endColumnIndex": c2}}} for r1, c1, r2, c2 in merges]

"""What the fake holds: Drive files (with sharing) and spreadsheets (tabs of ragged rows)."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from fakegoogle.a1 import Box

SHEET_MIME = "application/vnd.google-apps.spreadsheet"
FOLDER_MIME = "application/vnd.google-apps.folder"

ROLE_RANK = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 4, "organizer": 5,
             "owner": 6}
# Shared drive membership roles as Drive v3 names them.
DRIVE_ROLE = {"reader": "reader", "commenter": "commenter", "writer": "writer",
              "contentManager": "fileOrganizer", "fileOrganizer": "fileOrganizer",
              "manager": "organizer", "organizer": "organizer"}

DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {"foregroundColor": {}, "fontFamily": "arial,sans,sans-serif", "fontSize": 10,
                   "bold": False, "italic": False, "strikethrough": False, "underline": False,
                   "foregroundColorStyle": {"rgbColor": {}}},
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}


def _theme_color(kind: str, red: float = 0, green: float = 0, blue: float = 0,
                 empty: bool = False) -> dict[str, Any]:
    rgb = {} if empty else {k: v for k, v in (("red", red), ("green", green), ("blue", blue))}
    return {"colorType": kind, "color": {"rgbColor": rgb}}


DEFAULT_THEME: dict[str, Any] = {
    "primaryFontFamily": "Arial",
    "themeColors": [
        _theme_color("TEXT", empty=True),
        _theme_color("BACKGROUND", 1, 1, 1),
        _theme_color("ACCENT1", 0.25882354, 0.52156866, 0.95686275),
        _theme_color("ACCENT2", 0.91764706, 0.2627451, 0.20784314),
        _theme_color("ACCENT3", 0.9843137, 0.7372549, 0.015686275),
        _theme_color("ACCENT4", 0.20392157, 0.65882355, 0.3254902),
        _theme_color("ACCENT5", 1, 0.42745098, 0.003921569),
        _theme_color("ACCENT6", 0.27450982, 0.7411765, 0.7764706),
        _theme_color("LINK", 0.06666667, 0.33333334, 0.8),
    ],
}


def rfc3339(ms: int) -> str:
    moment = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_time(text: str) -> int:
    """RFC 3339 (or ISO 8601; naive means UTC) -> epoch milliseconds."""
    moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return round(moment.timestamp() * 1000)


@dataclass
class Sheet:
    """One tab. ``props`` is SheetProperties as JSON (title, gridProperties, ...)."""

    props: dict[str, Any]
    rows: list[list[Any]] = field(default_factory=list)
    formats: list[tuple[Box, Any, dict[str, Any]]] = field(default_factory=list)
    validations: list[dict[str, Any]] = field(default_factory=list)
    protected: list[dict[str, Any]] = field(default_factory=list)
    conditional: list[dict[str, Any]] = field(default_factory=list)
    merges: list[dict[str, Any]] = field(default_factory=list)
    borders: list[dict[str, Any]] = field(default_factory=list)
    dimensions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sheet_id(self) -> int:
        return self.props["sheetId"]

    @property
    def title(self) -> str:
        return self.props["title"]

    @property
    def grid(self) -> dict[str, Any]:
        return self.props.setdefault("gridProperties", {"rowCount": 1000, "columnCount": 26})

    @property
    def row_count(self) -> int:
        return self.grid.get("rowCount", 1000)

    @property
    def col_count(self) -> int:
        return self.grid.get("columnCount", 26)

    def grow(self, rows: int, cols: int) -> None:
        grid = self.grid
        grid["rowCount"] = max(self.row_count, rows)
        grid["columnCount"] = max(self.col_count, cols)

    def resize(self, rows: int | None = None, cols: int | None = None) -> None:
        """Shrinking the grid drops what falls outside it, as Sheets does."""
        if rows is not None:
            self.grid["rowCount"] = rows
            del self.rows[rows:]
        if cols is not None:
            self.grid["columnCount"] = cols
            for row in self.rows:
                del row[cols:]
        self.trim()

    def trim(self) -> None:
        for row in self.rows:
            while row and row[-1] is None:
                row.pop()
        while self.rows and not self.rows[-1]:
            self.rows.pop()

    def get(self, r: int, c: int) -> Any:
        if r < len(self.rows):
            row = self.rows[r]
            if c < len(row):
                return row[c]
        return None

    def put(self, r: int, c: int, value: Any) -> None:
        if value is None and (r >= len(self.rows) or c >= len(self.rows[r])):
            return
        while len(self.rows) <= r:
            self.rows.append([])
        row = self.rows[r]
        if len(row) <= c:
            row.extend([None] * (c + 1 - len(row)))
        row[c] = value

    def clear(self, box: Box) -> None:
        b = box.clip(self.row_count, self.col_count)
        assert b.row1 is not None and b.col1 is not None
        for r in range(b.row0, min(b.row1, len(self.rows))):
            row = self.rows[r]
            for c in range(b.col0, min(b.col1, len(row))):
                row[c] = None
        self.trim()

    def used(self) -> tuple[int, int]:
        """Rows and columns that hold a value."""
        return len(self.rows), max((len(r) for r in self.rows), default=0)

    def format_at(self, r: int, c: int) -> dict[str, Any] | None:
        from fakegoogle.grid import apply_format

        fmt: dict[str, Any] | None = None
        for box, mask, value in self.formats:
            if box.row0 <= r < (box.row1 if box.row1 is not None else 1 << 30) and \
                    box.col0 <= c < (box.col1 if box.col1 is not None else 1 << 30):
                fmt = apply_format(fmt or {}, value, mask)
        return fmt or None


@dataclass
class Spreadsheet:
    id: str
    props: dict[str, Any]
    sheets: list[Sheet]
    named_ranges: list[dict[str, Any]] = field(default_factory=list)

    @property
    def locale(self) -> str:
        return self.props.get("locale", "en_US")

    def find(self, title: str) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        folded = title.casefold()
        for sheet in self.sheets:
            if sheet.title.casefold() == folded:
                return sheet
        return None

    def by_id(self, sheet_id: int) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        return None

    def reindex(self) -> None:
        for i, sheet in enumerate(self.sheets):
            sheet.props["index"] = i

    def clone(self) -> Spreadsheet:
        return copy.deepcopy(self)


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    parents: list[str]
    owner: str | None  # None in a shared drive (the organisation owns it)
    created_ms: int
    modified_ms: int
    drive_id: str | None = None
    permissions: list[dict[str, Any]] = field(default_factory=list)
    trashed: bool = False
    description: str | None = None
    last_modifier: str | None = None


@dataclass
class SharedDrive:
    id: str
    name: str
    members: dict[str, str]  # email -> role (organizer, fileOrganizer, writer, ...)

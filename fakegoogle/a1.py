"""A1 notation as Google Sheets reads and writes it: quoted tab names, open-ended ranges."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELL = re.compile(r"^\$?([A-Za-z]{0,3})\$?([0-9]{0,7})$")
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_CELL = re.compile(r"^([A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*)$")


class RangeError(ValueError):
    """A range Google would answer with 400 "Unable to parse range"."""


@dataclass(frozen=True)
class Box:
    """Zero-based, end-exclusive; ``None`` ends run to the edge of the grid."""

    row0: int = 0
    row1: int | None = None
    col0: int = 0
    col1: int | None = None

    def clip(self, rows: int, cols: int) -> Box:
        r1 = rows if self.row1 is None else min(self.row1, rows)
        c1 = cols if self.col1 is None else min(self.col1, cols)
        return Box(self.row0, max(r1, self.row0), self.col0, max(c1, self.col0))

    @property
    def single(self) -> bool:
        return self.row1 == self.row0 + 1 and self.col1 == self.col0 + 1


def col_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def quote_title(title: str) -> str:
    """How Google writes a tab name in a returned range: bare only when unambiguous."""
    if _PLAIN_NAME.match(title) and not _LOOKS_LIKE_CELL.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def is_cells(text: str) -> bool:
    try:
        parse_cells(text)
    except RangeError:
        return False
    return True


def split_range(text: str) -> tuple[str | None, str | None]:
    """``'It''s'!A1:B2`` -> ("It's", "A1:B2"); ``Sheet1`` -> ("Sheet1", None);
    ``A1:B2`` -> (None, "A1:B2")."""
    text = text.strip()
    if not text:
        raise RangeError(text)
    if text.startswith("'"):
        i, name = 1, []
        while i < len(text):
            if text[i] == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    name.append("'")
                    i += 2
                    continue
                break
            name.append(text[i])
            i += 1
        else:
            raise RangeError(text)
        rest = text[i + 1:]
        if not rest:
            return "".join(name), None
        if not rest.startswith("!") or len(rest) == 1:
            raise RangeError(text)
        return "".join(name), rest[1:]
    if "!" in text:
        name, _, cells = text.rpartition("!")
        if not name or not cells:
            raise RangeError(text)
        return name, cells
    if is_cells(text):
        return None, text
    return text, None


def _ref(part: str) -> tuple[int | None, int | None]:
    match = _CELL.match(part)
    if not match or not (match.group(1) or match.group(2)):
        raise RangeError(part)
    col = col_index(match.group(1)) if match.group(1) else None
    if match.group(2):
        row = int(match.group(2)) - 1
        if row < 0:
            raise RangeError(part)
    else:
        row = None
    return row, col


def _span(a: int | None, b: int | None) -> tuple[int, int | None]:
    if a is not None and b is not None:
        return min(a, b), max(a, b) + 1
    if a is not None:
        return a, None  # "A2:C": to the end of the grid
    if b is not None:
        return 0, b + 1
    return 0, None


def parse_cells(text: str) -> Box:
    parts = text.split(":")
    if len(parts) == 1:
        row, col = _ref(parts[0])
        if row is None or col is None:
            raise RangeError(text)
        return Box(row, row + 1, col, col + 1)
    if len(parts) != 2:
        raise RangeError(text)
    (ra, ca), (rb, cb) = _ref(parts[0]), _ref(parts[1])
    row0, row1 = _span(ra, rb)
    col0, col1 = _span(ca, cb)
    return Box(row0, row1, col0, col1)


def format_box(title: str, box: Box) -> str:
    """A clipped (bounded) box as Google returns it: ``Sheet1!A1:D4`` or ``'Đánh giá'!B2``."""
    start = f"{col_letters(box.col0)}{box.row0 + 1}"
    assert box.row1 is not None and box.col1 is not None
    end = f"{col_letters(max(box.col1 - 1, box.col0))}{max(box.row1, box.row0 + 1)}"
    cells = start if start == end else f"{start}:{end}"
    return f"{quote_title(title)}!{cells}"

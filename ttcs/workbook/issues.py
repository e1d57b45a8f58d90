"""Validation issues: what is wrong, where (sheet and A1 cell), in words a commune understands."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Kind = Literal["missing", "invalid", "contradiction", "warning"]
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    unit: str | None
    sheet: str | None
    cell: str | None  # A1; None when the issue is about a whole tab
    field: str | None
    rule: str
    kind: Kind
    message: str

    @property
    def severity(self) -> Severity:
        return "warning" if self.kind == "warning" else "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, str | None]:
        data = asdict(self)
        data["severity"] = self.severity
        return {k: data[k] for k in ("unit", "sheet", "cell", "field", "rule", "kind",
                                     "severity", "message")}


def column_letter(col: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def a1(row: int, col: int) -> str:
    """A1 address of a 0-based (row, col)."""
    return f"{column_letter(col + 1)}{row + 1}"

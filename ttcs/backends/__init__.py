"""Sheet access behind one small interface; every backend returns the same raw shape.

A backend lists its sources (a file, a spreadsheet) with their modification times in one
pass, and fetches one source as tab name -> ragged rows of cell values. The collector decides
what to re-read; the parser is shared.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

Raw = dict[str, list[list[Any]]]


@dataclass(frozen=True)
class Source:
    locator: str  # file path or spreadsheet id
    modified: dt.datetime | None
    unit_hint: str | None = None  # the unit the source belongs to, when known without reading


class FetchError(Exception):
    """A source that could not be read; the message says why, in Vietnamese."""


class Backend(Protocol):
    name: str

    def list_sources(self) -> list[Source]: ...

    def fetch(self, source: Source) -> Raw: ...

    def describe_missing(self) -> str:
        """Why a unit without a source is unreachable (Vietnamese, one line)."""
        ...

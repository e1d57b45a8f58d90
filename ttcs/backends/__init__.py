"""Sheet access behind one small interface; every backend returns the same raw shape.

A backend lists its sources (a file, a spreadsheet) with their modification times in one
pass (so the collector reads only what changed), and fetches one source as tab name -> ragged
rows of cell values; the parser is shared. What else a backend can do it says itself: write
feedback into each source, write the province summary (Google Sheets only); nothing asks
which class a backend is.

``local`` reads .xlsx files in a folder, ``gsheets`` Google spreadsheets, ``select`` picks one
from the campaign, ``endpoint`` points the Google client at another address (tests, bench);
``provision`` gives every unit its Google spreadsheet (created, laid out, shared, recorded).
May import: the base modules, ``ttcs.campaign``, ``ttcs.google``, ``ttcs.workbook`` and
``ttcs.state``; never ``ttcs.run``, ``ttcs.outputs`` or ``ttcs.reminders``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ttcs.google.api import Api
    from ttcs.state.store import Store

Raw = dict[str, list[list[Any]]]


@dataclass(frozen=True)
class Source:
    locator: str  # file path or spreadsheet id
    modified: dt.datetime | None
    unit_hint: str | None = None  # the unit the source belongs to, when known without reading


class FetchError(Exception):
    """A source that could not be read; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class SheetAccess:
    """Writing into the sources' own spreadsheets: the Google layer and who writes (the only
    editor of the tabs we protect)."""

    api: Api
    account: str


@dataclass(frozen=True)
class SummarySheet:
    """The province summary spreadsheet a run rewrites; the store remembers what it last got."""

    api: Api
    spreadsheet_id: str
    store: Store


class Backend(Protocol):
    name: str

    def list_sources(self) -> list[Source]:
        """Every source with its modification time (what changed since the last run)."""
        ...

    def fetch(self, source: Source) -> Raw: ...

    def describe_missing(self) -> str:
        """Why a unit without a source is unreachable (Vietnamese, one line)."""
        ...

    def feedback_writer(self) -> SheetAccess | None:
        """How to write each source's feedback tab; None when the sources are files."""
        ...

    def summary_writer(self) -> SummarySheet | None:
        """The summary spreadsheet to write, None when there is none."""
        ...

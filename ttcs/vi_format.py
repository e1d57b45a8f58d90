"""Numbers and times as a Vietnamese reader writes them: 2.316; 88,5%; 0,53; 29/09/2025 22:00.

The dot groups thousands and the comma is the decimal mark (the Ministry's tables write
percentages with one decimal and no space: 88,5%). Every text a commune or coordinator reads
(status.json's coverage sentences, the artifacts, the logs, the alerts, the draft report) formats
numbers here."""

from __future__ import annotations

import datetime as dt

_SWAP = str.maketrans(",.", ".,")


def number(value: float, decimals: int | None = None) -> str:
    """2316 -> "2.316", 0.42 -> "0,42", 1234.5 -> "1.234,5". Without ``decimals``: none for a
    whole number, else up to two (trailing zeros dropped)."""
    if decimals is not None:
        return f"{value:,.{decimals}f}".translate(_SWAP)
    if float(value).is_integer():
        return f"{int(value):,}".translate(_SWAP)
    return f"{value:,.2f}".rstrip("0").rstrip(".").translate(_SWAP)


def percent(value: float) -> str:
    """A value already in percent, one decimal always shown: 88.5 -> "88,5%", 100 -> "100,0%"."""
    return f"{number(value, 1)}%"


def share(fraction: float) -> str:
    """A fraction of one: 0.885 -> "88,5%"."""
    return percent(100 * fraction)


def ratio(value: float) -> str:
    """0.534 -> "0,53" (clusters per village, connected per board)."""
    return number(value, 2)


def moment(when: dt.datetime, tz: dt.tzinfo) -> str:
    """dd/mm/yyyy HH:MM in ``tz`` (a naive time is taken as already there)."""
    local = when.astimezone(tz) if when.tzinfo else when
    return f"{local:%d/%m/%Y %H:%M}"

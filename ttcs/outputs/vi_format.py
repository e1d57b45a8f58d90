"""Numbers and times as a Vietnamese reader writes them: 2.316; 88,5 %; 29/09/2025 22:00."""

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
    """A value already in percent: 88.5 -> "88,5 %", 100 -> "100 %"."""
    return f"{number(round(value, 1))} %"


def share(fraction: float) -> str:
    """A fraction of one: 0.885 -> "88,5 %"."""
    return percent(100 * fraction)


def moment(when: dt.datetime, tz: dt.tzinfo) -> str:
    """dd/mm/yyyy HH:MM in ``tz`` (a naive time is taken as already there)."""
    local = when.astimezone(tz) if when.tzinfo else when
    return f"{local:%d/%m/%Y %H:%M}"

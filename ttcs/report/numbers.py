"""Numbers as a Vietnamese report writes them: 2.316 (dot groups thousands), 88,5% and 0,53
(comma is the decimal mark)."""

from __future__ import annotations


def vi_number(value: float | int, decimals: int = 1) -> str:
    """2316 -> "2.316"; 12.5 -> "12,5"; 3.0 -> "3"."""
    if isinstance(value, float) and not value.is_integer():
        whole = f"{value:,.{decimals}f}"
    else:
        whole = f"{int(value):,}"
    return whole.replace(",", " ").replace(".", ",").replace(" ", ".")


def vi_percent(percent: float) -> str:
    """88.5 -> "88,5%" (one decimal, always shown, as in the Ministry's tables)."""
    return f"{percent:.1f}".replace(".", ",") + "%"


def vi_ratio(value: float) -> str:
    """0.534 -> "0,53"."""
    return f"{value:.2f}".replace(".", ",")

"""Numbers as Vietnamese readers write them."""

from __future__ import annotations


def vi_number(value: int) -> str:
    """1234 -> '1.234' (Vietnamese thousands separator); 12 -> '12'."""
    return f"{value:,}".replace(",", ".")

"""Text normalisation shared by the registry, the parser and the reports."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Non-breaking, zero-width and other odd spaces communes paste from Word or the web.
_ODD_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u3000\ufeff"), " ")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060"), None)


def clean(value: str) -> str:
    """NFC, odd spaces turned into plain ones, runs of spaces collapsed, ends trimmed."""
    text = unicodedata.normalize("NFC", value).translate(_ODD_SPACES).translate(_ZERO_WIDTH)
    return _SPACES.sub(" ", text).strip()


def fold(value: str) -> str:
    """Diacritics-insensitive, case-insensitive form: 'Hoà Bình' and 'hòa bình' -> 'hoa binh'."""
    text = unicodedata.normalize("NFD", clean(value).replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return text.casefold()


def key(value: str) -> str:
    """:func:`fold` keeping only letters and digits: 'Hòa  Bình' -> 'hoabinh'."""
    return re.sub(r"[^0-9a-z]", "", fold(value))

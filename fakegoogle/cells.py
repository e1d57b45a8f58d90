"""Cell values as the fake stores them, and as Google parses and renders them.

A cell is a plain Python value wherever possible (``str``, ``int``, ``float``, ``bool``;
``None`` is empty) so that thousands of sheets stay small. Three small classes cover the rest:

- :class:`Formula` — what ``USER_ENTERED`` makes of ``"=..."``. The fake computes only plain
  arithmetic (``=3/2``, ``=(1+2)*4``); any other formula (``=IMPORTXML(...)``, ``=A1+B1``,
  ``=SUM(...)``) gets the ``#N/A`` error value unless a value was seeded with it.
- :class:`Shown` — a number displayed through a format: dates typed as ``2020-01-01`` (serial
  number 43831, shown as typed), percentages.
- :class:`ErrorValue` — ``#DIV/0!``, ``#N/A``, ...
"""

from __future__ import annotations

import ast
import datetime as dt
import operator
import re
import sys
from typing import Any

EPOCH = dt.date(1899, 12, 30)
COMMA_DECIMAL_LOCALES = ("vi", "de", "fr", "es", "it", "pt", "ru", "nl", "id", "tr", "pl")

ERROR_TEXT = {"NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!", "VALUE": "#VALUE!",
              "REF": "#REF!", "NAME": "#NAME?", "NUM": "#NUM!", "N_A": "#N/A",
              "ERROR": "#ERROR!", "LOADING": "Loading..."}


class ErrorValue:
    __slots__ = ("message", "type")

    def __init__(self, type: str, message: str) -> None:
        self.type = type
        self.message = message

    @property
    def text(self) -> str:
        return ERROR_TEXT.get(self.type, "#ERROR!")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ErrorValue) and (self.type, self.message) == (other.type,
                                                                                other.message)

    def __repr__(self) -> str:
        return f"ErrorValue({self.type!r})"


class Formula:
    """``text`` is the formula as entered; ``value`` what the cell shows."""

    __slots__ = ("text", "value")

    def __init__(self, text: str, value: Any = None) -> None:
        self.text = text
        self.value = evaluate(text) if value is None else value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Formula) and self.text == other.text

    def __repr__(self) -> str:
        return f"Formula({self.text!r}, {self.value!r})"


class Shown:
    """A number with the text its format shows; ``kind`` is DATE, PERCENT or NUMBER."""

    __slots__ = ("kind", "text", "value")

    def __init__(self, value: float, text: str, kind: str = "NUMBER") -> None:
        self.value = value
        self.text = text
        self.kind = kind

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Shown) and (self.value, self.text) == (other.value, other.text)

    def __repr__(self) -> str:
        return f"Shown({self.value!r}, {self.text!r}, {self.kind!r})"


# ---------------------------------------------------------------- formulas

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow}
_NOT_COMPUTED = "fakegoogle computes only arithmetic formulas"


def _arith(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _arith(node.body)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _arith(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_arith(node.left), _arith(node.right))
    raise ValueError("not arithmetic")


def evaluate(text: str) -> Any:
    # Google ignores spaces around terms (``= 1 / 1024``); Python's parser rejects a leading one.
    body = (text[1:] if text.startswith("=") else text).strip()
    if not re.fullmatch(r"[0-9.+\-*/^()\s]+", body or "x"):
        return ErrorValue("N_A", _NOT_COMPUTED)
    try:
        value = _arith(ast.parse(body.replace("^", "**"), mode="eval"))
    except ZeroDivisionError:
        return ErrorValue("DIVIDE_BY_ZERO", "Function DIVIDE parameter 2 cannot be zero.")
    except (ValueError, SyntaxError, TypeError, OverflowError):
        return ErrorValue("ERROR", "Formula parse error.")
    return _number(value)


# ---------------------------------------------------------------- input


class _Skip:
    """``null`` in a values write: the cell is left as it is."""


SKIP = _Skip()


def _number(value: float) -> int | float:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def intern(value: Any) -> Any:
    if type(value) is str and len(value) <= 64:
        return sys.intern(value)
    return value


def from_raw(value: Any) -> Any:
    """``RAW``: stored as given; ``""`` empties the cell, ``null`` leaves it."""
    if value is None:
        return SKIP
    if value == "" and isinstance(value, str):
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return _number(value)
    raise TypeError(value)


def _decimal_comma(locale: str) -> bool:
    return locale.split("_")[0] in COMMA_DECIMAL_LOCALES


def parse_number(text: str, locale: str = "en_US") -> int | float | None:
    s = text.strip()
    if _decimal_comma(locale):
        if not re.fullmatch(r"[+-]?(\d+|\d{1,3}(\.\d{3})+)?(,\d+)?([eE][+-]?\d+)?", s):
            return None
        s = s.replace(".", "").replace(",", ".")
    else:
        if not re.fullmatch(r"[+-]?(\d+|\d{1,3}(,\d{3})+)?(\.\d+)?([eE][+-]?\d+)?", s):
            return None
        s = s.replace(",", "")
    if not re.search(r"\d", s):
        return None
    return _number(float(s)) if re.search(r"[.eE]", s) else int(s)


def serial(day: dt.date | dt.datetime) -> float | int:
    if isinstance(day, dt.datetime):
        delta = day.replace(tzinfo=None) - dt.datetime.combine(EPOCH, dt.time())
        return _number(delta.total_seconds() / 86400)
    return (day - EPOCH).days


def from_user_entered(value: Any, locale: str = "en_US") -> Any:
    """``USER_ENTERED``: parsed as if typed into the Sheets UI."""
    if not isinstance(value, str):
        return from_raw(value)
    if value == "":
        return None
    if value.startswith("'"):
        return value[1:] or None
    if value.startswith("=") and len(value) > 1:
        return Formula(value)
    upper = value.strip().upper()
    if upper in ("TRUE", "FALSE"):
        return upper == "TRUE"
    number = parse_number(value, locale)
    if number is not None:
        return number
    if value.strip().endswith("%"):
        number = parse_number(value.strip()[:-1], locale)
        if number is not None:
            return Shown(_number(number / 100), value.strip(), "PERCENT")
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value.strip())
    if match:
        try:
            day = dt.date(*map(int, match.groups()))
        except ValueError:
            return value
        return Shown(serial(day), value.strip(), "DATE")
    return value


def seed_value(value: Any) -> Any:
    """A Python value given to the Python seeding API."""
    kind = type(value)
    if kind is str:
        return sys.intern(value) if 0 < len(value) <= 64 else (value or None)
    if kind is int or kind is bool or value is None:
        return value
    if isinstance(value, Formula | Shown | ErrorValue):
        return value
    if isinstance(value, dt.datetime | dt.date):
        text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
        return Shown(serial(value), text, "DATE")
    stored = from_raw(value)
    return None if stored is SKIP else intern(stored)


# ---------------------------------------------------------------- output


def format_number(value: float, locale: str = "en_US") -> str:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()
                                  and abs(value) < 1e15):
        text = str(int(value))
    else:
        text = format(value, ".10g")
        if "e" in text:
            mantissa, exp = text.split("e")
            text = f"{mantissa}E{'+' if int(exp) >= 0 else '-'}{abs(int(exp)):02d}"
    if _decimal_comma(locale):
        text = text.replace(".", ",")
    return text


def render(cell: Any, option: str = "FORMATTED_VALUE", dates: str = "SERIAL_NUMBER",
           locale: str = "en_US") -> Any:
    """The value ``values.get`` returns for one cell; ``None`` for an empty cell."""
    if cell is None or isinstance(cell, str):
        return cell
    if isinstance(cell, bool):
        return ("TRUE" if cell else "FALSE") if option == "FORMATTED_VALUE" else cell
    if isinstance(cell, int | float):
        return format_number(cell, locale) if option == "FORMATTED_VALUE" else _number(cell)
    if isinstance(cell, Formula):
        if option == "FORMULA":
            return cell.text
        return render(cell.value, option, dates, locale)
    if isinstance(cell, Shown):
        if option == "FORMATTED_VALUE" or (cell.kind == "DATE" and dates == "FORMATTED_STRING"
                                           and option == "UNFORMATTED_VALUE"):
            return cell.text
        return _number(cell.value)
    if isinstance(cell, ErrorValue):
        return cell.text
    return str(cell)


def extended(value: Any) -> dict[str, Any] | None:
    """An ExtendedValue (``{"numberValue": 1.5}``) for a computed value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": _number(value)}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, Shown):
        return {"numberValue": _number(value.value)}
    if isinstance(value, ErrorValue):
        return {"errorValue": {"type": value.type, "message": value.message}}
    if isinstance(value, Formula):
        return extended(value.value)
    return {"stringValue": str(value)}


def user_entered(cell: Any) -> dict[str, Any] | None:
    if isinstance(cell, Formula):
        return {"formulaValue": cell.text}
    return extended(cell)


def from_extended(value: dict[str, Any] | None) -> Any:
    """A cell from an ExtendedValue in ``updateCells``/``repeatCell``."""
    if not value:
        return None
    if "formulaValue" in value:
        return Formula(value["formulaValue"])
    if "numberValue" in value:
        return _number(value["numberValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "stringValue" in value:
        return value["stringValue"] or None
    if "errorValue" in value:
        err = value["errorValue"]
        return ErrorValue(err.get("type", "ERROR"), err.get("message", ""))
    return None


def cell_data(cell: Any, want: set[str], locale: str) -> dict[str, Any]:
    """CellData of ``spreadsheets.get`` with only the ``want``-ed value keys."""
    out: dict[str, Any] = {}
    if cell is None:
        return out
    kind = type(cell)
    # Fast path for plain values: one ExtendedValue shared by both keys.
    if kind is str:
        entered = effective = {"stringValue": cell}
    elif kind is int:
        entered = effective = {"numberValue": cell}
    elif kind is float:
        entered = effective = {"numberValue": _number(cell)}
    elif kind is bool:
        entered = effective = {"boolValue": cell}
    else:
        entered, effective = user_entered(cell), extended(cell)
    if "userEnteredValue" in want:
        out["userEnteredValue"] = entered
    if "effectiveValue" in want:
        out["effectiveValue"] = effective
    if "formattedValue" in want:
        out["formattedValue"] = render(cell, "FORMATTED_VALUE", locale=locale)
    return out

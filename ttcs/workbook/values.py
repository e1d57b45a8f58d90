"""Readers that turn one raw spreadsheet cell into a typed value or a problem.

A raw cell value is whatever the Google Sheets API (``UNFORMATTED_VALUE``) or python-calamine
returns: ``None``, ``str``, ``int``, ``float``, ``bool``, ``datetime.date`` /
``datetime.datetime``, or an error value such as ``"#REF!"``. Every reader is pure and never
raises: it returns a :class:`Reading` holding either the typed value or a Vietnamese message
fragment saying what is wrong (quoting the value as typed, cleaned) and what is expected.

Decisions on ambiguous input (Vietnamese conventions: comma = decimal mark, dot or space =
thousands separator):

* Thousands: spaces (also non-breaking / narrow ones) and repeated dots or commas group
  thousands when every group after the first has exactly 3 digits: ``"1 234"``,
  ``"1.234.567"``, ``"1,234,567"``.
* A single dot followed by exactly 3 digits is a thousands separator (``"1.234"`` = 1234,
  ``"3.000"`` = 3000) unless the part before it starts with 0 (``"0.125"`` = 0.125); any
  other single dot is a decimal point (``"3.0"`` = 3.0, ``"2.5"`` = 2.5, ``"1.2345"``).
* A single comma is always the decimal mark (``"12,5"`` = 12.5, ``"1,234"`` = 1.234).
  :func:`read_number` reads ``"1,234"`` as 1.234 without complaint; :func:`read_count`
  flags it as not a whole number and hints that 1234 is written ``1234`` or ``1.234``.
* When both dot and comma appear, the last one is the decimal mark (``"1.234,5"`` and the
  English ``"1,234.5"`` both read 1234.5). Spaces followed by one dot or comma: the mark is
  decimal (``"1 234,5"``).
* A leading ``+`` is accepted; full-width digits and the Unicode minus are accepted.
* A unit word after the number is ignored: ``"12 cái"``, ``"12 hộ"``, ``"5 ha"``; in a
  number cell also ``"12%"`` (read as 12, not 0.12). A percentage (``"50%"``,
  ``"50 phần trăm"``) in a count cell is a problem: a share is not a count. A number cell
  formatted as a percentage arrives as its value (0.5): readers see values, not formats.
  Multiplier words are a problem because the intended value is unclear: ``"1,5 triệu"``,
  ``"12k"``, ``"3 nghìn"``, ``"2 tỷ"``, ``"3 chục"``.
* Words before the number that make it approximate are a problem: ``"khoảng 12"``,
  ``"trên 100"``, ``"hơn 5"``, ``"~12"``, ``">5"``.
* Zero: in count and number cells ``"không"``, ``"không có"``, ``"ko"``, ``"chưa có"``
  (any case / diacritics) and a lone dash ``"-"``, ``"–"``, ``"—"`` (the statistics
  convention for "no occurrence") read as 0.
* A count of 10**30 or more is a problem (surely a typo).
* ``bool`` is never a number: a checkbox (``True``) in a count cell is a problem. A date in a
  count or number cell is a problem (the cell is probably formatted as a date).
* Yes/no: see :data:`YES_WORDS` / :data:`NO_WORDS`, matched with :func:`ttcs.text.fold`
  (case-, diacritics- and NFC/NFD-insensitive); the numbers 1 and 0 are yes and no.
* Text: a number becomes its natural form (12.0 -> ``"12"``, 2.5 -> ``"2,5"`` with the
  Vietnamese decimal comma, never scientific notation); ``True`` / ``False`` become ``"Có"`` /
  ``"Không"``; dates become ``dd/mm/yyyy`` (``dd/mm/yyyy HH:MM`` when there is a time);
  text beginning with ``=`` is kept as text.
* Dates: day first (``dd/mm/yyyy``, ``d/m/yyyy``, ``dd-mm-yyyy``, ``dd.mm.yyyy``),
  ``yyyy-mm-dd`` (also with ``/`` or ``.``), ``ngày 25 tháng 3 năm 2025``; a trailing time is
  ignored. Two-digit years are a problem (ambiguous). Numbers from 20000 to 80000 are Excel /
  Sheets serial days from 1899-12-30 (the fraction, a time of day, is dropped); other numbers
  are a problem. Numbers written as text (``"45000"``) are not serial dates.
* One leading apostrophe (``'``, or the typographic ``’`` / ``‘`` a phone or Word puts instead),
  which Excel users type to force text, is dropped in every reader but :func:`read_text`:
  ``"'12"`` is 12, ``"'Có"`` is yes, ``"'30/9/2025"`` a date. Text keeps it (it may be a quote).
* Error values (:data:`ERROR_VALUES`, any case) are a problem in every reader.
* A formula cell whose value was never computed (a file written by a program that does not
  calculate) is a raw :func:`uncomputed_formula` value, a problem in every reader. It starts
  with U+FFFF, a Unicode noncharacter no keyboard types; :func:`untagged` removes it from cell
  text so that text read from a file is never taken for the marker.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ttcs.text import clean, fold, key

__all__ = [
    "ERROR_VALUES",
    "NO_WORDS",
    "READERS",
    "YES_WORDS",
    "ZERO_WORDS",
    "Reading",
    "is_error_value",
    "is_uncomputed_formula",
    "read_choice",
    "read_count",
    "read_date",
    "read_number",
    "read_text",
    "read_yesno",
    "strip_quote_prefix",
    "uncomputed_formula",
    "untagged",
]


@dataclass(frozen=True)
class Reading:
    """Result of reading one cell."""

    value: object | None
    """Typed value (int, bool, str, date, float), or None when blank or unreadable."""
    problem: str | None
    """None if fine; else a Vietnamese fragment: what is wrong, quoting the value, and what
    is expected."""
    blank: bool
    """True when the cell is empty or whitespace-only (not a problem by itself)."""


ERROR_VALUES: frozenset[str] = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#ERROR!",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#PYTHON!",
    }
)
"""Spreadsheet error values (Excel, LibreOffice, Google Sheets), upper case."""

YES_WORDS: tuple[str, ...] = (
    "Có", "có rồi", "rồi", "đã có", "x", "✓", "✔", "☑", "1", "1.0", "1,0",
    "true", "đúng", "yes", "y", "ok",
)  # fmt: skip
"""Words read as True by :func:`read_yesno` (compared after :func:`ttcs.text.fold`)."""

NO_WORDS: tuple[str, ...] = (
    "Không", "không có", "ko", "k", "chưa", "chưa có", "0", "0.0", "0,0",
    "false", "sai", "no", "n", "✗", "✘", "☐",
)  # fmt: skip
"""Words read as False by :func:`read_yesno` (compared after :func:`ttcs.text.fold`)."""

ZERO_WORDS: tuple[str, ...] = ("không", "không có", "ko", "chưa có", "-", "\u2013", "\u2014")
"""Words read as 0 by :func:`read_count` and :func:`read_number`."""

_YES = frozenset(fold(word) for word in YES_WORDS)
_NO = frozenset(fold(word) for word in NO_WORDS)
_ZERO = frozenset(fold(word) for word in ZERO_WORDS)

_COUNT_EXPECTED = "cần nhập số nguyên không âm (ví dụ 12)"
_NUMBER_EXPECTED = "cần nhập một số (ví dụ 12 hoặc 12,5)"
_YESNO_EXPECTED = 'cần chọn "Có" hoặc "Không"'
_DATE_EXPECTED = "cần nhập ngày theo dạng ngày/tháng/năm (ví dụ 25/03/2025)"
_TEXT_EXPECTED = "cần nhập chữ hoặc số trực tiếp vào ô"

_NOT_NUMBER = "không phải số"
_NOT_EXACT = "không phải một số cụ thể"
_CHECKBOX = "là ô đánh dấu (đúng/sai)"
_IS_DATE = "là ngày tháng, không phải số (có thể ô đang được định dạng ngày)"
_UNREADABLE = "không đọc được giá trị trong ô; cần nhập lại giá trị trực tiếp"
_UNCOMPUTED = ("chưa được tính giá trị; mở tệp bằng Excel hoặc LibreOffice, lưu lại rồi gửi "
               "lại")
_PERCENT = re.compile(r"[0-9] ?(?:%|phan tram)")
_QUOTE_PREFIXES = ("'", "\u2019", "\u2018")
_FORMULA_TAG = "\uffff"

_MAX_SHOWN = 60
_MAX_COUNT_DIGITS = 30  # a count with more digits is surely a typo
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_MIN, _SERIAL_MAX = 20000, 80000

_BLANK = Reading(None, None, True)

# Full-width digits and signs, Unicode minus.
_WIDE = {0xFF10 + i: str(i) for i in range(10)} | {
    0xFF0C: ",",
    0xFF0E: ".",
    0xFF0B: "+",
    0xFF0D: "-",
    0x2212: "-",
}
_NUMBER = re.compile(r"(?P<sign>[+-]?) ?(?P<num>[0-9]+(?:[ .,][0-9]+)*)(?P<rest>.*)", re.DOTALL)
_DIGIT = re.compile(r"[0-9]")
_APPROX = re.compile(
    r"(?:khoang|tren|hon|gan|duoi|toi da|toi thieu|it nhat|uoc tinh|uoc|xap xi|chung"
    r"|~|>=?|<=?|\u2248|\u2265|\u2264) ?[+-]? ?[0-9]"
)
_MULTIPLIERS = frozenset(
    {"k", "nghìn", "nghin", "ngàn", "tr", "triệu", "trieu", "tỷ", "tỉ", "ty", "ti", "chục"}
)
_COMMA_THOUSANDS_LIKE = re.compile(r"\+?[0-9]{1,3},[0-9]{3}(?![0-9.,])")

_TIME = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_DMY = re.compile(r"([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})" + _TIME)
_YMD = re.compile(r"([0-9]{4})([/.-])([0-9]{1,2})\2([0-9]{1,2})" + _TIME)
_DMY_WORDS = re.compile(r"(?:ngay )?([0-9]{1,2}) thang ([0-9]{1,2}) nam ([0-9]{4})")


# --------------------------------------------------------------------------- helpers


def is_error_value(raw: object) -> bool:
    """True when ``raw`` is a spreadsheet error value such as ``"#REF!"`` or ``"#N/A"``."""
    return isinstance(raw, str) and clean(raw).upper() in ERROR_VALUES


def uncomputed_formula(formula: str | None) -> str:
    """The raw value standing for a formula cell without a computed value; ``formula`` is its
    text without the leading "=" (None when the file does not say, e.g. a shared formula)."""
    return _FORMULA_TAG + (f"={formula}" if formula else "")


def is_uncomputed_formula(raw: object) -> bool:
    """True when ``raw`` was made by :func:`uncomputed_formula`."""
    return isinstance(raw, str) and raw.startswith(_FORMULA_TAG)


def untagged(text: str) -> str:
    """Cell text as read from a file, never mistaken for an :func:`uncomputed_formula`."""
    return text.lstrip(_FORMULA_TAG)


def strip_quote_prefix(raw: object) -> object:
    """Text without the one leading apostrophe that forces text in Excel (``"'12"`` ->
    ``"12"``); anything else unchanged."""
    if isinstance(raw, str):
        text = clean(raw)
        if text.startswith(_QUOTE_PREFIXES):
            return text[1:]
    return raw


def _ok(value: object) -> Reading:
    return Reading(value, None, False)


def _bad(shown: str, what: str, expected: str) -> Reading:
    return Reading(None, f'giá trị "{shown}" {what}; {expected}', False)


def _error(raw: str) -> Reading:
    shown = clean(raw)
    return Reading(None, f'ô đang báo lỗi công thức "{shown}"; cần nhập giá trị trực tiếp', False)


def _uncomputed(raw: str) -> Reading:
    formula = raw.removeprefix(_FORMULA_TAG)
    what = f'công thức "{_show(formula)}"' if formula else "công thức trong ô"
    return Reading(None, f"{what} {_UNCOMPUTED}", False)


def _is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and clean(raw) == "")


def _is_number(raw: object) -> bool:
    return isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool)


def _is_finite(raw: int | float | Decimal) -> bool:
    if isinstance(raw, int):
        return True  # math.isfinite() overflows on huge ints
    return raw.is_finite() if isinstance(raw, Decimal) else math.isfinite(raw)


def _number_text(value: int | float | Decimal) -> str:
    """Natural Vietnamese form: 12.0 -> '12', 2.5 -> '2,5', 1e20 -> '100000000000000000000'."""
    if isinstance(value, int):
        return format(Decimal(value), "f")  # str() refuses ints over 4300 digits
    number = Decimal(repr(value)) if isinstance(value, float) else value
    if not number.is_finite():
        return str(value)
    if number == 0:
        return "0"
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _date_text(value: dt.date) -> str:
    text = f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    if isinstance(value, dt.datetime) and value.time() != dt.time(0):
        text += f" {value.hour:02d}:{value.minute:02d}"
    return text


def _show(raw: object) -> str:
    """The value as the commune typed (or sees) it, cleaned and shortened, for messages."""
    if isinstance(raw, str):
        text = clean(raw)
    elif isinstance(raw, bool):
        text = "TRUE" if raw else "FALSE"
    elif _is_number(raw):
        text = _number_text(raw)  # type: ignore[arg-type]
    elif isinstance(raw, dt.date):
        text = _date_text(raw)
    else:
        text = clean(str(raw))
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _safely(raw: object, read: Callable[[object], Reading], *,
            keep_quote_prefix: bool = False) -> Reading:
    """The quote prefix dropped (unless kept); blank cells, error values and uncomputed
    formulas, the same for every reader; then ``read``, guarded so that no reader ever raises
    on unexpected input."""
    try:
        if not keep_quote_prefix:
            raw = strip_quote_prefix(raw)
        if _is_blank(raw):
            return _BLANK
        if is_error_value(raw):
            return _error(raw)  # type: ignore[arg-type]
        if is_uncomputed_formula(raw):
            return _uncomputed(raw)  # type: ignore[arg-type]
        return read(raw)
    except Exception:  # readers must never raise
        return Reading(None, _UNREADABLE, False)


def _grouped(groups: list[str]) -> bool:
    """Valid thousands grouping: first group 1-3 digits without a leading 0, then 3s."""
    first = groups[0]
    return 1 <= len(first) <= 3 and first[0] != "0" and all(len(g) == 3 for g in groups[1:])


def _interpret(num: str) -> Decimal | None:
    """Digits separated by single spaces, dots or commas -> Decimal, or None if malformed."""
    parts = re.split(r"([ .,])", num)
    groups, seps = parts[0::2], parts[1::2]
    if not seps:
        return Decimal(groups[0])
    marks = [s for s in seps if s != " "]
    decimal_at: int | None
    if not marks:  # spaces only: thousands
        decimal_at = None
    elif len(set(marks)) == 2:  # both . and , : the last one is the decimal mark
        if seps[-1] == " " or marks.count(seps[-1]) != 1:
            return None
        decimal_at = len(seps) - 1
    elif len(marks) > 1:  # the same mark repeated: thousands
        if " " in seps:
            return None
        decimal_at = None
    elif " " in seps:  # space thousands then one mark: decimal
        if seps[-1] == " ":
            return None
        decimal_at = len(seps) - 1
    elif seps[0] == "." and len(groups[1]) == 3 and groups[0][0] != "0":
        decimal_at = None  # "1.234" = 1234
    else:
        decimal_at = 0  # "12,5", "1,234", "2.5", "0.125"
    if decimal_at is None:
        whole, whole_seps, fraction = groups, seps, ""
    else:
        whole, whole_seps, fraction = groups[:-1], seps[:-1], groups[-1]
    if len(set(whole_seps)) > 1 or (whole_seps and not _grouped(whole)):
        return None
    return Decimal("".join(whole) + ("." + fraction if fraction else ""))


def _parse_decimal(text: str) -> Decimal | str:
    """Cleaned text -> Decimal, or the 'what is wrong' phrase of a problem."""
    text = text.translate(_WIDE)
    folded = fold(text)
    if folded in _ZERO:
        return Decimal(0)
    match = _NUMBER.fullmatch(text)
    if match is None:
        return _NOT_EXACT if _APPROX.match(folded) else _NOT_NUMBER
    rest = match["rest"].strip()
    if rest:
        if not (rest[0].isalpha() or rest[0] == "%") or _DIGIT.search(rest):
            return _NOT_NUMBER
        word = rest.split()[0]
        if word.lower().rstrip(".") in _MULTIPLIERS:
            return f'có chữ "{word}" nên không rõ giá trị'
    value = _interpret(match["num"])
    if value is None:
        return _NOT_NUMBER
    return value.copy_negate() if match["sign"] == "-" else value


def _as_decimal(raw: object) -> Decimal | str:
    """A raw cell value -> finite Decimal, or the 'what is wrong' phrase of a problem."""
    if isinstance(raw, bool):
        return f"{_CHECKBOX}, không phải số"
    if isinstance(raw, dt.date):
        return _IS_DATE
    if isinstance(raw, str):
        return _parse_decimal(clean(raw))
    if isinstance(raw, (int, float, Decimal)):
        value = Decimal(raw)
        return value if value.is_finite() else _NOT_NUMBER
    return _NOT_NUMBER


# --------------------------------------------------------------------------- readers


def _count(raw: object) -> Reading:
    if isinstance(raw, str) and _PERCENT.search(fold(raw)):
        return _bad(_show(raw), "là tỷ lệ phần trăm", "cần nhập số lượng (số nguyên, ví dụ 12)")
    value = _as_decimal(raw)
    if isinstance(value, str):
        return _bad(_show(raw), value, _COUNT_EXPECTED)
    if value < 0:
        return _bad(_show(raw), "là số âm", _COUNT_EXPECTED)
    if value.adjusted() >= _MAX_COUNT_DIGITS:
        return _bad(_show(raw), "là số quá lớn", _COUNT_EXPECTED)
    if value != value.to_integral_value():
        if isinstance(raw, str) and (
            like := _COMMA_THOUSANDS_LIKE.match(clean(raw).translate(_WIDE))
        ):
            digits = like[0].lstrip("+")
            return _bad(
                _show(raw),
                "không phải số nguyên (dấu phẩy là dấu thập phân)",
                f"cần nhập số nguyên không âm; nếu là {digits.replace(',', '')} thì viết "
                f"{digits.replace(',', '')} hoặc {digits.replace(',', '.')}",
            )
        return _bad(_show(raw), "không phải số nguyên", _COUNT_EXPECTED)
    return _ok(int(value))


def read_count(raw: object) -> Reading:
    """A non-negative whole number (int); see the module docstring for accepted forms."""
    return _safely(raw, _count)


def _number(raw: object) -> Reading:
    value = _as_decimal(raw)
    if isinstance(value, str):
        return _bad(_show(raw), value, _NUMBER_EXPECTED)
    number = float(value)
    if math.isinf(number):
        return _bad(_show(raw), "quá lớn", _NUMBER_EXPECTED)
    return _ok(number)


def read_number(raw: object) -> Reading:
    """Any real number (float), in Vietnamese formats; see the module docstring."""
    return _safely(raw, _number)


def _yesno(raw: object) -> Reading:
    if isinstance(raw, bool):
        return _ok(raw)
    if _is_number(raw) and _is_finite(raw) and raw in (0, 1):  # type: ignore[arg-type]
        return _ok(raw == 1)
    if isinstance(raw, str):
        folded = fold(raw)
        if folded in _YES:
            return _ok(True)
        if folded in _NO:
            return _ok(False)
    return _bad(_show(raw), 'không rõ là "Có" hay "Không"', _YESNO_EXPECTED)


def read_yesno(raw: object) -> Reading:
    """A bool: :data:`YES_WORDS` / 1 / True, or :data:`NO_WORDS` / 0 / False."""
    return _safely(raw, _yesno)


def _text(raw: object) -> Reading:
    if isinstance(raw, str):
        return _ok(clean(raw))
    if isinstance(raw, bool):
        return _ok("Có" if raw else "Không")
    if _is_number(raw):
        if not _is_finite(raw):  # type: ignore[arg-type]
            return _bad(_show(raw), _NOT_NUMBER, _TEXT_EXPECTED)
        return _ok(_number_text(raw))  # type: ignore[arg-type]
    if isinstance(raw, dt.date):
        return _ok(_date_text(raw))
    if isinstance(raw, dt.time):
        return _ok(raw.strftime("%H:%M:%S" if raw.second else "%H:%M"))
    return _bad(_show(raw), "không đọc được", _TEXT_EXPECTED)


def read_text(raw: object) -> Reading:
    """Cleaned text (:func:`ttcs.text.clean`); numbers and dates get a natural text form."""
    return _safely(raw, _text, keep_quote_prefix=True)


def _make_date(shown: str, year: int, month: int, day: int) -> Reading:
    try:
        return _ok(dt.date(year, month, day))
    except ValueError:
        return _bad(shown, "không phải ngày có thật", _DATE_EXPECTED)


def _date(raw: object) -> Reading:
    shown = _show(raw)
    if isinstance(raw, bool):
        return _bad(shown, f"{_CHECKBOX}, không phải ngày", _DATE_EXPECTED)
    if isinstance(raw, dt.datetime):
        return _ok(raw.date())
    if isinstance(raw, dt.date):
        return _ok(raw)
    if _is_number(raw):
        if _is_finite(raw) and _SERIAL_MIN <= raw <= _SERIAL_MAX:  # type: ignore[arg-type]
            return _ok(_EXCEL_EPOCH + dt.timedelta(days=math.floor(raw)))  # type: ignore[arg-type]
        return _bad(shown, "không phải ngày", _DATE_EXPECTED)
    if isinstance(raw, str):
        text = clean(raw).translate(_WIDE)
        if match := _DMY.fullmatch(text):
            day, month, year = match[1], match[3], match[4]
        elif match := _YMD.fullmatch(text):
            year, month, day = match[1], match[3], match[4]
        elif match := _DMY_WORDS.fullmatch(fold(text)):
            day, month, year = match[1], match[2], match[3]
        else:
            return _bad(shown, "không phải ngày", _DATE_EXPECTED)
        if len(year) != 4:
            expected = "cần ghi đủ 4 chữ số của năm (ví dụ 25/03/2025)"
            return _bad(shown, "ghi năm bằng 2 chữ số", expected)
        return _make_date(shown, int(year), int(month), int(day))
    return _bad(shown, "không phải ngày", _DATE_EXPECTED)


def read_date(raw: object) -> Reading:
    """A datetime.date from a date cell, a dd/mm/yyyy-like text or a serial day number."""
    return _safely(raw, _date)


def _choice_expected(choices: Sequence[str], limit: int = 10) -> str:
    if not choices:
        return "danh sách lựa chọn đang trống"
    shown = ", ".join(f'"{clean(c)}"' for c in choices[:limit])
    more = f" và {len(choices) - limit} giá trị khác" if len(choices) > limit else ""
    return f"cần chọn một trong các giá trị: {shown}{more}"


def _choice(raw: object, choices: Sequence[str]) -> Reading:
    text = _text(raw)
    if isinstance(text.value, str):
        folded = fold(text.value)
        for label in choices:
            if fold(label) == folded:
                return _ok(label)
        loose = key(text.value)
        near = {label for label in choices if loose and key(label) == loose}
        if len(near) == 1:
            return _ok(near.pop())
    return _bad(_show(raw), "không có trong danh sách", _choice_expected(choices))


def read_choice(raw: object, choices: Sequence[str]) -> Reading:
    """One of ``choices``, matched with :func:`ttcs.text.fold` (then, if unique, with
    :func:`ttcs.text.key`, ignoring punctuation and spaces); returns the label as given."""
    return _safely(raw, lambda value: _choice(value, choices))


READERS: dict[str, Callable[[object], Reading]] = {
    "count": read_count,
    "number": read_number,
    "yesno": read_yesno,
    "text": read_text,
    "date": read_date,
}
"""Type name -> reader (choice is separate: it needs the allowed labels)."""

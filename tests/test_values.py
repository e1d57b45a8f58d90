"""Tests for ttcs.workbook.values: cell readers never raise and read Vietnamese input sensibly."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ttcs.text import clean, fold
from ttcs.workbook.values import (
    ERROR_VALUES,
    NO_WORDS,
    READERS,
    YES_WORDS,
    Reading,
    is_error_value,
    is_uncomputed_formula,
    read_choice,
    read_count,
    read_date,
    read_number,
    read_text,
    read_yesno,
    strip_quote_prefix,
)

Reader = Callable[[object], Reading]
NBSP, NARROW_NBSP, THIN = "\u00a0", "\u202f", "\u2009"
UNREADABLE = "không đọc được giá trị trong ô"
ALL_READERS: list[Reader] = [*READERS.values(), lambda raw: read_choice(raw, ["Có", "Không"])]

# --------------------------------------------------------------------------- table: values read

READ_OK: list[tuple[Reader, object, object]] = [
    # counts
    (read_count, 12, 12),
    (read_count, 0, 0),
    (read_count, 3.0, 3),
    (read_count, -0.0, 0),
    (read_count, "3,0", 3),
    (read_count, "3.0", 3),
    (read_count, "12", 12),
    (read_count, "  12  ", 12),
    (read_count, "+5", 5),
    (read_count, "1.234", 1234),
    (read_count, "1.234.567", 1234567),
    (read_count, "1 234", 1234),
    (read_count, f"1{NBSP}234", 1234),
    (read_count, f"1{NARROW_NBSP}234{NARROW_NBSP}567", 1234567),
    (read_count, "1,234,567", 1234567),
    (read_count, "12,0", 12),
    (read_count, "12 cái", 12),
    (read_count, "12 bảng", 12),
    (read_count, "12cái", 12),
    (read_count, "1.234 hộ", 1234),
    (read_count, "3 trạm y tế", 3),
    (read_count, "\uff11\uff12", 12),  # full-width digits
    (read_count, "không", 0),
    (read_count, "Không có", 0),
    (read_count, "KHONG", 0),
    (read_count, "ko", 0),
    (read_count, "chưa có", 0),
    (read_count, "-", 0),
    (read_count, "\u2013", 0),
    (read_count, "0", 0),
    (read_count, "3.000", 3000),
    # numbers
    (read_number, 12, 12.0),
    (read_number, 2.5, 2.5),
    (read_number, -3, -3.0),
    (read_number, "12,5", 12.5),
    (read_number, "12,0", 12.0),
    (read_number, "1.234,5", 1234.5),
    (read_number, "1.234.567,89", 1234567.89),
    (read_number, "1 234,5", 1234.5),
    (read_number, "1,234.5", 1234.5),  # English, unambiguous
    (read_number, "1,234", 1.234),  # single comma is the Vietnamese decimal mark
    (read_number, "3.0", 3.0),
    (read_number, "2.5", 2.5),
    (read_number, "1.2345", 1.2345),
    (read_number, "0.125", 0.125),
    (read_number, "1.234", 1234.0),
    (read_number, "-2,5", -2.5),
    (read_number, "\u22122,5", -2.5),  # Unicode minus
    (read_number, "12%", 12.0),  # a percentage field may be a number; never a count
    (read_number, "5,5 ha", 5.5),
    (read_number, "không", 0.0),
    (read_number, "-", 0.0),
    # yes / no
    (read_yesno, "Có", True),
    (read_yesno, "có", True),
    (read_yesno, "CÓ", True),
    (read_yesno, unicodedata.normalize("NFD", "Có"), True),
    (read_yesno, "co", True),
    (read_yesno, "x", True),
    (read_yesno, "X", True),
    (read_yesno, "✓", True),
    (read_yesno, "✔", True),
    (read_yesno, "1", True),
    (read_yesno, "1.0", True),
    (read_yesno, 1, True),
    (read_yesno, 1.0, True),
    (read_yesno, True, True),
    (read_yesno, "yes", True),
    (read_yesno, "Y", True),
    (read_yesno, "rồi", True),
    (read_yesno, "Đã có", True),
    (read_yesno, "OK", True),
    (read_yesno, "Không", False),
    (read_yesno, "không", False),
    (read_yesno, "KHÔNG", False),
    (read_yesno, "khong", False),
    (read_yesno, "ko", False),
    (read_yesno, "k", False),
    (read_yesno, "0", False),
    (read_yesno, 0, False),
    (read_yesno, 0.0, False),
    (read_yesno, False, False),
    (read_yesno, "no", False),
    (read_yesno, "N", False),
    (read_yesno, "chưa", False),
    (read_yesno, "Chưa có", False),
    (read_yesno, f"{NBSP}Không{NBSP}", False),
    # text
    (read_text, "  Hòa   Bình ", "Hòa Bình"),
    (read_text, unicodedata.normalize("NFD", "Hòa Bình"), "Hòa Bình"),
    (read_text, "=SUM(A1:A3)", "=SUM(A1:A3)"),
    (read_text, 12.0, "12"),
    (read_text, 12, "12"),
    (read_text, 2.5, "2,5"),
    (read_text, 1e20, "100000000000000000000"),
    (read_text, 0.0, "0"),
    (read_text, True, "Có"),
    (read_text, False, "Không"),
    (read_text, dt.date(2025, 3, 5), "05/03/2025"),
    (read_text, dt.datetime(2025, 3, 5), "05/03/2025"),
    (read_text, dt.datetime(2025, 3, 5, 14, 30), "05/03/2025 14:30"),
    (read_text, "0912345678", "0912345678"),
    # dates
    (read_date, dt.date(2025, 3, 25), dt.date(2025, 3, 25)),
    (read_date, dt.datetime(2025, 3, 25, 10, 0), dt.date(2025, 3, 25)),
    (read_date, "25/03/2025", dt.date(2025, 3, 25)),
    (read_date, "5/3/2025", dt.date(2025, 3, 5)),
    (read_date, "25-03-2025", dt.date(2025, 3, 25)),
    (read_date, "25.03.2025", dt.date(2025, 3, 25)),
    (read_date, "2025-03-25", dt.date(2025, 3, 25)),
    (read_date, "2025-03-25T08:30:00", dt.date(2025, 3, 25)),
    (read_date, "25/03/2025 08:30", dt.date(2025, 3, 25)),
    (read_date, "ngày 25 tháng 3 năm 2025", dt.date(2025, 3, 25)),
    (read_date, "29/02/2024", dt.date(2024, 2, 29)),
    (read_date, 45741, dt.date(2025, 3, 25)),
    (read_date, 45741.75, dt.date(2025, 3, 25)),
    (read_date, 20000, dt.date(1954, 10, 3)),
]


@pytest.mark.parametrize(("reader", "raw", "expected"), READ_OK)
def test_reads_value(reader: Reader, raw: object, expected: object) -> None:
    reading = reader(raw)
    assert reading == Reading(expected, None, False)
    assert type(reading.value) is type(expected)


# --------------------------------------------------------------------------- table: problems

PROBLEMS: list[tuple[Reader, object, list[str]]] = [
    # counts
    (read_count, 2.5, ['"2,5"', "không phải số nguyên", "số nguyên không âm"]),
    (read_count, "2,5", ['"2,5"', "không phải số nguyên"]),
    (read_count, "2.5", ['"2.5"', "không phải số nguyên"]),
    (read_count, "1,234", ['"1,234"', "dấu phẩy là dấu thập phân", "1234", "1.234"]),
    (read_count, -1, ['"-1"', "là số âm", "số nguyên không âm"]),
    (read_count, "-3", ['"-3"', "là số âm"]),
    (read_count, True, ['"TRUE"', "ô đánh dấu", "không phải số"]),
    (read_count, dt.date(2025, 1, 2), ['"02/01/2025"', "ngày tháng"]),
    (read_count, "nhiều", ['"nhiều"', "không phải số", "số nguyên không âm (ví dụ 12)"]),
    (read_count, "abc", ['"abc"', "không phải số"]),
    (read_count, "khoảng 12", ['"khoảng 12"', "không phải một số cụ thể"]),
    (read_count, "trên 100", ['"trên 100"', "không phải một số cụ thể"]),
    (read_count, "~12", ['"~12"', "không phải một số cụ thể"]),
    (read_count, "12k", ['"12k"', 'chữ "k"']),
    (read_count, "3 nghìn", ['"3 nghìn"', 'chữ "nghìn"']),
    (read_count, "10-12", ['"10-12"', "không phải số"]),
    (read_count, "12 5", ['"12 5"', "không phải số"]),
    (read_count, "1.23.4", ['"1.23.4"', "không phải số"]),
    (read_count, "12 m2", ['"12 m2"', "không phải số"]),
    (read_count, "1" + "0" * 30, ["là số quá lớn"]),
    (read_count, 10**40, ["là số quá lớn"]),
    (read_count, float("nan"), ["không phải số"]),
    (read_count, float("inf"), ["không phải số"]),
    (read_count, "  Không   rõ ", ['"Không rõ"', "không phải số"]),
    # numbers
    (read_number, "abc", ['"abc"', "không phải số", "12,5"]),
    (read_number, "1,5 triệu", ['"1,5 triệu"', 'chữ "triệu"']),
    (read_number, "khoảng 2,5", ['"khoảng 2,5"', "không phải một số cụ thể"]),
    (read_number, False, ['"FALSE"', "ô đánh dấu"]),
    (read_number, 10**400, ["quá lớn"]),
    (read_number, "1,2,3,4", ['"1,2,3,4"', "không phải số"]),
    (read_number, "1.234,5,6", ['"1.234,5,6"', "không phải số"]),
    # yes / no
    (read_yesno, "nhiều", ['"nhiều"', 'cần chọn "Có" hoặc "Không"']),
    (read_yesno, "có thể", ['"có thể"', 'cần chọn "Có" hoặc "Không"']),
    (read_yesno, 2, ['"2"', 'cần chọn "Có" hoặc "Không"']),
    (read_yesno, 0.5, ['"0,5"', 'cần chọn "Có" hoặc "Không"']),
    (read_yesno, dt.date(2025, 1, 2), ['"02/01/2025"', 'cần chọn "Có" hoặc "Không"']),
    # text
    (read_text, float("nan"), ["không phải số"]),
    (read_text, object(), ["không đọc được"]),
    # dates
    (read_date, "31/02/2025", ['"31/02/2025"', "không phải ngày có thật", "ví dụ 25/03/2025"]),
    (read_date, "hôm qua", ['"hôm qua"', "không phải ngày", "ngày/tháng/năm"]),
    (read_date, "1/2/25", ['"1/2/25"', "4 chữ số"]),
    (read_date, "13/13/2025", ["không phải ngày có thật"]),
    (read_date, "25/03-2025", ["không phải ngày"]),
    (read_date, "45741", ['"45741"', "không phải ngày"]),
    (read_date, 100, ['"100"', "không phải ngày"]),
    (read_date, 19999, ["không phải ngày"]),
    (read_date, 80001, ["không phải ngày"]),
    (read_date, True, ['"TRUE"', "ô đánh dấu"]),
    (read_date, float("inf"), ["không phải ngày"]),
]


@pytest.mark.parametrize(("reader", "raw", "fragments"), PROBLEMS)
def test_reports_problem(reader: Reader, raw: object, fragments: list[str]) -> None:
    reading = reader(raw)
    assert reading.value is None
    assert reading.blank is False
    assert reading.problem is not None
    for fragment in fragments:
        assert fragment in reading.problem


# --------------------------------------------------------------------------- blanks and errors


@pytest.mark.parametrize("reader", ALL_READERS)
@pytest.mark.parametrize("raw", [None, "", "   ", f"{NBSP}{THIN}", "\u200b", "\n\t"])
def test_blank_is_blank_not_a_problem(reader: Reader, raw: object) -> None:
    assert reader(raw) == Reading(None, None, True)


@pytest.mark.parametrize("reader", ALL_READERS)
@pytest.mark.parametrize(
    "raw", ["#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#ERROR!"]
)
def test_error_values_are_problems_everywhere(reader: Reader, raw: str) -> None:
    assert is_error_value(raw)
    assert reader(raw) == Reading(
        None, f'ô đang báo lỗi công thức "{raw}"; cần nhập giá trị trực tiếp', False
    )


def test_error_value_detection() -> None:
    assert is_error_value(" #REF! ")
    assert is_error_value("#n/a")
    assert not is_error_value("#1")
    assert not is_error_value("REF")
    assert not is_error_value(None)
    assert not is_error_value(404)
    assert all(value == value.upper() for value in ERROR_VALUES)


def test_readers_registry() -> None:
    expected = {
        "count": read_count,
        "number": read_number,
        "yesno": read_yesno,
        "text": read_text,
        "date": read_date,
    }
    assert expected == READERS


# --------------------------------------------------------------------------- choice

PROVINCES = ["Hòa Bình", "Nam Định", "Bà Rịa - Vũng Tàu"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hòa Bình", "Hòa Bình"),
        ("hoà bình", "Hòa Bình"),
        ("HOA BINH", "Hòa Bình"),
        (unicodedata.normalize("NFD", "Nam Định"), "Nam Định"),
        ("  nam   dinh ", "Nam Định"),
        ("Bà Rịa-Vũng Tàu", "Bà Rịa - Vũng Tàu"),
    ],
)
def test_choice_matches_folded(raw: str, expected: str) -> None:
    assert read_choice(raw, PROVINCES) == Reading(expected, None, False)


def test_choice_numbers_and_checkboxes_match_by_text() -> None:
    assert read_choice(2.0, ["1", "2", "3"]) == Reading("2", None, False)
    assert read_choice(True, ["Có", "Không"]) == Reading("Có", None, False)


def test_choice_problem_lists_labels() -> None:
    reading = read_choice("Hà Nội", PROVINCES)
    assert reading.value is None and not reading.blank
    assert reading.problem == (
        'giá trị "Hà Nội" không có trong danh sách; cần chọn một trong các giá trị: '
        '"Hòa Bình", "Nam Định", "Bà Rịa - Vũng Tàu"'
    )


def test_choice_long_list_is_shortened_and_empty_list_is_a_problem() -> None:
    labels = [f"Loại {i}" for i in range(15)]
    problem = read_choice("khác", labels).problem
    assert problem is not None and '"Loại 9"' in problem and "và 5 giá trị khác" in problem
    assert '"Loại 10"' not in problem
    assert read_choice("A", []).problem is not None


# --------------------------------------------------------------------------- messages


def test_messages_quote_the_cleaned_value() -> None:
    problem = read_count(f"  nhiều{NBSP}  lắm ").problem
    assert problem == 'giá trị "nhiều lắm" không phải số; cần nhập số nguyên không âm (ví dụ 12)'
    nfd = unicodedata.normalize("NFD", "hôm qua")
    assert read_date(nfd).problem is not None
    assert '"hôm qua"' in (read_date(nfd).problem or "")


def test_long_values_are_shortened_in_messages() -> None:
    problem = read_count("a" * 500).problem
    assert problem is not None and len(problem) < 200 and "…" in problem


# --------------------------------------------------------------------------- properties

naturals = st.integers(min_value=0, max_value=10**15)


@given(naturals)
def test_count_reads_every_written_form_of_a_natural(n: int) -> None:
    dotted = f"{n:,}".replace(",", ".")
    forms: list[object] = [
        n,
        str(n),
        dotted,
        f"{n:,}".replace(",", " "),
        f"{n:,}".replace(",", NBSP),
        f"{n:,}".replace(",", NARROW_NBSP),
        float(n),
        f"{n},0",
        f"{dotted},0",
        f" {n} ",
        f"{n} người",
    ]
    for form in forms:
        assert read_count(form) == Reading(n, None, False), form


@given(st.integers(max_value=-1))
def test_count_of_negative_is_a_problem(n: int) -> None:
    for form in (n, str(n), float(n)):
        reading = read_count(form)
        assert reading.value is None
        assert reading.problem is not None and "số âm" in reading.problem


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False).filter(lambda x: x % 1 != 0))
def test_count_of_fractional_float_is_a_problem(x: float) -> None:
    reading = read_count(x)
    assert reading.value is None
    assert reading.problem is not None and "không phải số nguyên" in reading.problem


@given(
    st.integers(min_value=0, max_value=10**12),
    st.text(alphabet="0123456789", min_size=1, max_size=6),
    st.booleans(),
)
def test_number_round_trips_vietnamese_decimals(whole: int, fraction: str, negative: bool) -> None:
    sign = "-" if negative else ""
    written = f"{sign}{whole:,}".replace(",", ".") + "," + fraction
    assert read_number(written) == Reading(float(f"{sign}{whole}.{fraction}"), None, False)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_passes_floats_through(x: float) -> None:
    assert read_number(x) == Reading(x, None, False)


def _variants(word: str) -> st.SearchStrategy[str]:
    """Any case per letter, surrounding (odd) whitespace, NFC or NFD."""
    cased = st.tuples(*(st.sampled_from([c.lower(), c.upper()]) for c in word)).map("".join)
    space = st.sampled_from(["", " ", "  ", NBSP, "\t", THIN])
    form = st.sampled_from(["NFC", "NFD"])
    return st.builds(
        lambda text, left, right, nf: unicodedata.normalize(nf, left + text + right),
        cased,
        space,
        space,
        form,
    )


@given(st.sampled_from(YES_WORDS).flatmap(_variants))
def test_yesno_yes_variants(text: str) -> None:
    assert read_yesno(text) == Reading(True, None, False)


@given(st.sampled_from(NO_WORDS).flatmap(_variants))
def test_yesno_no_variants(text: str) -> None:
    assert read_yesno(text) == Reading(False, None, False)


YES_NO_KEYS = {fold(word) for word in (*YES_WORDS, *NO_WORDS)}


@given(st.text())
def test_yesno_other_text_is_a_problem(text: str) -> None:
    typed = str(strip_quote_prefix(text))  # what the reader sees: "'x" is "x"
    assume(clean(typed) != "" and fold(typed) not in YES_NO_KEYS)
    reading = read_yesno(text)
    assert reading.value is None and reading.blank is False
    assert reading.problem is not None
    assert ('cần chọn "Có" hoặc "Không"' in reading.problem or is_error_value(typed)
            or is_uncomputed_formula(typed))


anything = st.one_of(
    st.none(),
    st.text(),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.decimals(allow_nan=True),
    st.text(alphabet="0123456789 .,+-\u00a0\uff11không", max_size=12),
)


@given(anything)
def test_no_reader_ever_raises(raw: object) -> None:
    for reader in ALL_READERS:
        reading = reader(raw)
        assert isinstance(reading, Reading)
        # exactly one of: a value, a problem, a blank
        assert (reading.value is not None) + (reading.problem is not None) + reading.blank == 1
        # the last-resort guard is never what answers
        assert reading.problem is None or UNREADABLE not in reading.problem


ODD_INPUTS: list[object] = [
    10**400,
    -(10**400),
    10**5000,
    Decimal("sNaN"),
    Decimal("-Infinity"),
    Decimal("1e999999"),
    Decimal("2.5"),
    object(),
    [1],
    {"a": 1},
    b"12",
    1 + 2j,
    dt.time(10, 30),
    dt.timedelta(days=1),
    dt.date.min,
    dt.datetime.max,
    "1" * 5000,
    "9" * 400 + ",5",
    "#" * 100,
]


@pytest.mark.parametrize("reader", ALL_READERS)
@pytest.mark.parametrize("raw", ODD_INPUTS, ids=lambda raw: type(raw).__name__)
def test_odd_inputs_never_raise(reader: Reader, raw: object) -> None:
    reading = reader(raw)
    assert (reading.value is not None) + (reading.problem is not None) + reading.blank == 1
    assert reading.problem is None or UNREADABLE not in reading.problem
    assert reading.problem is None or len(reading.problem) < 400


@given(anything)
def test_text_reading_is_clean(raw: object) -> None:
    reading = read_text(raw)
    if isinstance(reading.value, str):
        assert reading.value == clean(reading.value) != ""


@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_date_round_trips_written_forms(day: dt.date) -> None:
    for written in (
        f"{day.day:02d}/{day.month:02d}/{day.year}",
        f"{day.day}/{day.month}/{day.year}",
        f"{day.day:02d}-{day.month:02d}-{day.year}",
        f"{day.day:02d}.{day.month:02d}.{day.year}",
        day.isoformat(),
        read_text(day).value,
    ):
        assert read_date(written) == Reading(day, None, False), written


@given(st.dates(min_value=dt.date(1954, 10, 3), max_value=dt.date(2118, 12, 31)))
def test_date_serial_numbers_round_trip(day: dt.date) -> None:
    serial = (day - dt.date(1899, 12, 30)).days
    assume(20000 <= serial <= 80000)
    assert read_date(serial) == Reading(day, None, False)
    assert read_date(float(serial) + 0.5) == Reading(day, None, False)

"""Read one cell for one form field: the type's reader plus the field's own limits."""

from __future__ import annotations

import re
from typing import Any

from ttcs.campaign.contacts_format import is_phone
from ttcs.workbook.form import Form, FormField
from ttcs.workbook.values import READERS, Reading, read_choice, read_text, strip_quote_prefix

# A plausible web address: optional scheme, dotted host with a letter TLD, optional path.
_URL = re.compile(r"^(https?://)?([a-z0-9-]+\.)+[a-z]{2,}(:\d+)?(/\S*)?$", re.IGNORECASE)


def _read_url(raw: Any) -> Reading:
    reading = read_text(strip_quote_prefix(raw))
    if reading.problem or reading.blank or _URL.match(str(reading.value)):
        return reading
    return Reading(None, f'"{reading.value}" không phải địa chỉ trang web; cần ghi địa chỉ '
                   "dạng tenmien.gov.vn hoặc https://tenmien.gov.vn", False)


def _read_phone(raw: Any) -> Reading:
    reading = read_text(strip_quote_prefix(raw))  # '0912… keeps the leading 0 in Excel
    if reading.problem or reading.blank or is_phone(str(reading.value)):
        return reading
    return Reading(None, f'"{reading.value}" không phải số điện thoại Việt Nam; cần ghi 10 '
                   "chữ số, ví dụ 0912 345 678 hoặc 0233 3852 000", False)


def _limits(spec: FormField, reading: Reading) -> Reading:
    value = reading.value
    if not isinstance(value, int | float) or isinstance(value, bool):
        return reading
    if spec.min is not None and value < spec.min:
        return Reading(None, f"giá trị {value:g} nhỏ hơn mức tối thiểu {spec.min:g}", False)
    if spec.max is not None and value > spec.max:
        return Reading(None, f"giá trị {value:g} lớn hơn mức tối đa {spec.max:g}", False)
    return reading


def read_field(spec: FormField, raw: Any, form: Form) -> Reading:
    """The typed value of ``raw`` for ``spec``, or the problem with it (never raises)."""
    if spec.type == "choice":
        return read_choice(raw, spec.choices)
    if spec.type == "url":
        return _read_url(raw)
    if spec.type == "phone":
        return _read_phone(raw)
    return _limits(spec, READERS[spec.type](raw))

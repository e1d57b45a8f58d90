"""Formats of contact details: e-mail addresses and Vietnamese phone numbers."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

# Deliberately loose: the SMTP server is the judge of deliverability; this catches typos
# such as a missing "@" or spaces. Reserved test domains (demo.invalid) are allowed.
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
# Mobile 0[35789]x xxx xxxx, landline 02xx xxx xxxx; +84 / 84 prefixes accepted.
PHONE = re.compile(r"^(?:\+?84|0)(?:[35789]\d{8}|2\d{9})$")


def is_email(value: str) -> bool:
    return bool(EMAIL.match(value.strip()))


def phone_digits(value: str) -> str:
    """The phone number without the spaces, dots, dashes and brackets people type into it."""
    return re.sub(r"[\s.\-()]", "", value)


def is_phone(value: str) -> bool:
    return bool(PHONE.match(phone_digits(value)))


def _email(value: str) -> str:
    value = value.strip()
    if not is_email(value):
        raise ValueError(f"địa chỉ email không hợp lệ: {value!r}")
    return value


Email = Annotated[str, AfterValidator(_email)]

"""How a customer is reached: phone numbers in E.164, and destinations masked for the record."""

from __future__ import annotations

import re

_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_PUNCTUATION = re.compile(r"[\s().-]")


def e164(phone: str, default_country_code: str) -> str | None:
    """``phone`` as ``+<country><number>``, with ``default_country_code`` if it has none.

    ``None`` when no valid E.164 number results (too short, too long, a stray ``+``).
    """
    # "+44 (0)20 ..." is a common way to write a trunk prefix that is dialled only at home.
    digits = _PUNCTUATION.sub("", phone.replace("(0)", ""))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif not digits.startswith("+"):
        digits = default_country_code + digits.lstrip("0")
    return digits if _E164.fullmatch(digits) else None


def mask_email(address: str) -> str:
    """``lucia@example.com`` as ``l***@example.com``: enough to recognise, not to reuse."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(number: str, default_country_code: str) -> str:
    """``+34600111333`` as ``+34 6** *** 333``: country, first and last three digits shown.

    The country code is the stage's default when the number starts with it, else taken as the
    first two digits (telling country codes apart needs a numbering-plan table).
    """
    if number.startswith(default_country_code):
        country, national = default_country_code, number[len(default_country_code) :]
    else:
        country, national = number[:3], number[3:]
    shown = national[:1] + "*" * max(len(national) - 4, 0) + national[-3:]
    # Grouped in threes from the end, as the example the customer sees it: +34 6** *** 333.
    groups = [shown[max(end - 3, 0) : end] for end in range(len(shown), 0, -3)]
    return f"{country} {' '.join(reversed(groups))}"

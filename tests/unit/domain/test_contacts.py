"""Phone numbers to E.164 and destinations masked for the record."""

from __future__ import annotations

import pytest

from orders.domain.contacts import e164, mask_email, mask_phone


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("600 111 333", "+34600111333"),
        ("+34 600-111-333", "+34600111333"),
        ("0034 600 111 333", "+34600111333"),
        ("+44 (0)20 7946 0958", "+442079460958"),  # "(0)" is dialled only at home
        ("+44 20 7946 0958", "+442079460958"),
        ("(+1) 415.555.0132", "+14155550132"),
        ("+1 415.555.0132", "+14155550132"),
        ("12 34", None),
        ("+34 6001113334445556", None),
    ],
)
def test_phone_numbers_become_e164_with_the_default_country_code(
    typed: str, number: str | None
) -> None:
    assert e164(typed, "+34") == number


def test_an_email_shows_its_first_letter_and_its_domain() -> None:
    assert mask_email("lucia.fernandez@example.com") == "l***@example.com"


def test_a_phone_shows_its_country_and_its_first_and_last_digits() -> None:
    assert mask_phone("+34600111333", "+34") == "+34 6** *** 333"
    assert mask_phone("+442079460958", "+34") == "+44 2 *** *** 958"

"""What customers are told, per status and language, and that no input can break a message."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from orders.domain.customer_messages import MAX_SMS, message_for, short_number
from orders.domain.model import Customer, Device, Language, Status
from tests.unit.fakes import order_in

ORDER_ID = "3f6c2a8e-51b4-4f7d-9a0e-6d2b8c1e7f45"
EVERY_MESSAGE = [(status, language) for status in Status for language in Language]

EXPECTED_SUBJECTS = {
    (Status.RECEIVED, Language.ES): "Hemos recibido tu laptop Lenovo",
    (Status.INPROCESS, Language.ES): "Hemos empezado a reparar tu laptop Lenovo",
    (Status.COMPLETED, Language.ES): "Ya puedes recoger tu laptop Lenovo",
    (Status.CANCELED, Language.ES): "Tu orden 3f6c2a8e ha sido cancelada",
    (Status.RECEIVED, Language.EN): "We have your Lenovo laptop",
    (Status.INPROCESS, Language.EN): "Your Lenovo laptop repair has started",
    (Status.COMPLETED, Language.EN): "Your Lenovo laptop is ready for pickup",
    (Status.CANCELED, Language.EN): "Your order 3f6c2a8e was canceled",
}


@pytest.mark.parametrize(("status", "language"), EVERY_MESSAGE)
def test_every_message_names_the_order_in_the_customers_language(
    status: Status, language: Language
) -> None:
    message = message_for(order_in(status), status, language)

    assert message.subject == EXPECTED_SUBJECTS[status, language]
    greeting = "Hola Lucía Fernández:" if language is Language.ES else "Hello Lucía Fernández,"
    assert message.body.startswith(greeting)
    assert short_number(ORDER_ID) in message.body
    assert ORDER_ID in message.body  # the full reference, for the front desk
    assert short_number(ORDER_ID) in message.sms
    assert "Lucía" not in message.sms  # an SMS may be read on a locked screen


def test_the_received_message_repeats_what_the_customer_reported() -> None:
    spanish = message_for(order_in(Status.RECEIVED), Status.RECEIVED, Language.ES)
    english = message_for(order_in(Status.RECEIVED), Status.RECEIVED, Language.EN)

    assert "Nos contaste: «Does not boot after a coffee spill on the keyboard.»" in spanish.body
    assert "You told us: “Does not boot after a coffee spill on the keyboard.”" in english.body


def test_a_device_without_a_brand_is_named_by_its_type() -> None:
    order = order_in(
        Status.RECEIVED, customer=Customer("Jin Park", phone="010"), device=Device("portátil")
    )

    assert message_for(order, Status.RECEIVED, Language.ES).subject == "Hemos recibido tu portátil"


@pytest.mark.parametrize(("status", "language"), EVERY_MESSAGE)
def test_a_subject_stays_under_100_characters_however_long_the_device(
    status: Status, language: Language
) -> None:
    # SNS refuses a subject of 100 characters or more, and a mail client cuts a long one.
    order = order_in(status, device=Device(type="t" * 100, brand="b" * 100))

    message = message_for(order, status, language)

    assert len(message.subject) < 100
    assert len(message.sms) <= MAX_SMS


@pytest.mark.parametrize("attack", ["\r\nBcc: all@example.com", "\nX-Evil: 1", "\x00\u202e\u2028"])
@pytest.mark.parametrize(("status", "language"), EVERY_MESSAGE)
def test_no_customer_input_puts_a_control_character_in_a_subject_or_an_sms(
    attack: str, status: Status, language: Language
) -> None:
    order = order_in(
        status,
        customer=Customer(name=f"Lucía{attack}", email="lucia@example.com"),
        device=Device(type=f"laptop{attack}", brand=f"Lenovo{attack}"),
    )

    message = message_for(order, status, language)

    for text in (message.subject, message.sms):
        assert text.isprintable(), repr(text)
    assert "\r" not in message.body
    assert "\nBcc:" not in message.body
    assert "\nX-Evil" not in message.body


def test_names_in_any_script_reach_the_subject_as_written() -> None:
    order = order_in(
        Status.RECEIVED,
        customer=Customer(name="Zoë Ng 吴", email="zoe@example.com"),
        device=Device(type="móvil", brand="Xiaomi\u00a0Redmi"),  # a no-break space: one space
    )

    message = message_for(order, Status.RECEIVED, Language.ES)

    assert message.subject == "Hemos recibido tu móvil Xiaomi Redmi"
    assert message.body.startswith("Hola Zoë Ng 吴:")


def test_no_character_taken_out_of_a_line_counts_as_printable() -> None:
    # Text that is printable skips the look at each character, so this must hold.
    taken_out = {"Cc", "Cf", "Zl", "Zp"}
    printable = [
        char
        for char in map(chr, range(sys.maxunicode + 1))
        if unicodedata.category(char) in taken_out and char.isprintable()
    ]

    assert printable == []


def test_a_long_reported_issue_is_shortened_when_quoted() -> None:
    order = order_in(Status.RECEIVED)._replace(issue="Spilled coffee. " * 200)

    message = message_for(order, Status.RECEIVED, Language.EN)

    assert len(message.body) < 1000
    assert "…”" in message.body

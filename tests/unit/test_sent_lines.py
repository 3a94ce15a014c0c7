"""The local console's line per email or SMS, from a processor's structured log record."""

from __future__ import annotations

from offline.sent import format_line

ORDER_ID = "26d283a4-97ee-52c5-b4c9-3e8b38185665"


def test_a_sent_email_is_one_line_with_the_masked_address_subject_and_order() -> None:
    fields = {
        "orderId": ORDER_ID,
        "channel": "email",
        "destination": "l***@example.com",
        "subject": "Hemos recibido tu portátil",
        "result": "sent",
    }

    line = format_line(fields)

    assert line == '[mail] to l***@example.com "Hemos recibido tu portátil" order 26d283a4'


def test_a_refused_sms_says_why() -> None:
    fields = {
        "orderId": ORDER_ID,
        "channel": "sms",
        "destination": "+34 6** *** 333",
        "result": "not-delivered",
        "reason": "the phone number has opted out of SMS",
    }

    assert format_line(fields) == (
        "[sms] not sent to +34 6** *** 333: the phone number has opted out of SMS order 26d283a4"
    )


def test_records_that_sent_nothing_print_nothing() -> None:
    assert format_line({"message": "no such order in this status"}) is None
    assert format_line({"channel": "none", "result": "not-delivered"}) is None
    assert format_line({"channel": "email", "result": "retry"}) is None

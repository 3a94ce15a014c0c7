"""Input rules: realistic requests accepted and trimmed, every broken rule named by its field."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

from orders.api.validation import (
    DEFAULT_PAGE_SIZE,
    parse_idempotency_key,
    parse_list_query,
    parse_new_order,
    parse_order_patch,
)
from orders.domain.commands import ListQuery, NewOrder, OrderPatch
from orders.domain.errors import ValidationFailed
from orders.domain.model import Customer, Device, Language, Priority, Status
from tests.support.data import laptop_order


def failures(parse: Callable[[Any], object], body: object) -> dict[str, str]:
    """The field errors ``parse`` reports for ``body``, by field (it must refuse the body)."""
    with pytest.raises(ValidationFailed) as refused:
        parse(body)
    return {error.field: error.message for error in refused.value.errors}


UNTYPED = "must not contain control, bidirectional or replacement characters"
SURROGATE = "must be valid UTF-8 text (it holds a lone surrogate)"
PRIVATE = "must not contain private-use characters or noncharacters"
ONE_LINE = "must be one line (it holds a line or paragraph separator)"
INVISIBLE = "must hold visible text, not only format characters such as U+200D"


def with_customer(**fields: object) -> dict[str, Any]:
    return laptop_order(customer={"name": "Lucía Fernández", **fields})


def with_device(**fields: object) -> dict[str, Any]:
    return laptop_order(device={"type": "laptop", **fields})


# --- create: what is accepted ---------------------------------------------------------------


def test_a_complete_repair_request_becomes_a_new_order() -> None:
    body = {
        "customer": {
            "name": "Kwame Mensah",
            "email": "kwame.mensah@example.org",
            "phone": "+44 (20) 7946-0958",
        },
        "device": {
            "type": "smartphone",
            "brand": "Samsung",
            "model": "Galaxy S21",
            "serialNumber": "R58N91ABCDE",
        },
        "issue": "Cracked screen after a fall.\nTouch still works on the lower half.",
        "priority": "urgent",
        "status": "received",
    }

    assert parse_new_order(body) == NewOrder(
        customer=Customer("Kwame Mensah", "kwame.mensah@example.org", "+44 (20) 7946-0958"),
        device=Device("smartphone", "Samsung", "Galaxy S21", "R58N91ABCDE"),
        issue="Cracked screen after a fall.\nTouch still works on the lower half.",
        priority=Priority.URGENT,
    )


def test_a_new_order_is_normal_priority_unless_asked() -> None:
    assert parse_new_order(laptop_order()).priority == Priority.NORMAL


def test_a_customer_reachable_by_phone_alone_is_enough() -> None:
    new = parse_new_order(laptop_order(customer={"name": "Jin Park", "phone": "010-5555-0199"}))

    assert new.customer == Customer(name="Jin Park", phone="010-5555-0199")


def test_text_is_trimmed() -> None:
    body = {
        "customer": {"name": "  Lucía Fernández ", "email": " lucia@example.com\t"},
        "device": {"type": " laptop ", "brand": "\nLenovo "},
        "issue": "   Does not boot.   ",
        "priority": "urgent",
    }

    new = parse_new_order(body)

    assert new.customer == Customer(name="Lucía Fernández", email="lucia@example.com")
    assert new.device == Device(type="laptop", brand="Lenovo")
    assert new.issue == "Does not boot."
    assert new.priority == Priority.URGENT


# --- create: length limits at the boundary --------------------------------------------------


@pytest.mark.parametrize(
    ("field", "make_body", "limit"),
    [
        ("customer.name", lambda text: laptop_order(customer={"name": text, "phone": "555"}), 100),
        ("device.type", lambda text: with_device(type=text), 100),
        ("device.brand", lambda text: with_device(brand=text), 100),
        ("device.model", lambda text: with_device(model=text), 100),
        ("device.serialNumber", lambda text: with_device(serialNumber=text), 100),
        ("issue", lambda text: laptop_order(issue=text), 2000),
        ("customer.phone", lambda text: with_customer(phone=text), 32),
    ],
)
def test_text_may_be_as_long_as_its_limit_and_not_one_character_longer(
    field: str, make_body: Callable[[str], dict[str, Any]], limit: int
) -> None:
    parse_new_order(make_body("5" * limit))

    assert failures(parse_new_order, make_body("5" * (limit + 1))) == {
        field: f"must be at most {limit} characters"
    }


def test_an_email_may_be_254_characters_and_not_255() -> None:
    domain = "@" + "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + ".com"  # 196 characters
    longest = "d" * (254 - len(domain)) + domain

    assert parse_new_order(with_customer(email=longest)).customer.email == longest
    assert failures(parse_new_order, with_customer(email="d" + longest)) == {
        "customer.email": "must be at most 254 characters"
    }


def test_length_is_counted_after_trimming() -> None:
    new = parse_new_order(with_device(type="  " + "t" * 100 + "  "))

    assert new.device.type == "t" * 100


# --- create: emails and phones --------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    ["lucia.fernandez@example.com", "o'brien+repairs@mail.example.co.uk", "X_Y@sub-domain.io"],
)
def test_real_email_addresses_are_accepted(email: str) -> None:
    assert parse_new_order(with_customer(email=email)).customer.email == email


@pytest.mark.parametrize(
    "email",
    [
        "lucia.fernandez",
        "lucia@",
        "@example.com",
        "lucia@@example.com",
        "lucia fernandez@example.com",
        "lucia@example",
        "lucia@example.c",
        "lucia..fernandez@example.com",
        "lucia@-example.com",
    ],
)
def test_things_that_are_not_email_addresses_are_refused(email: str) -> None:
    assert failures(parse_new_order, with_customer(email=email)) == {
        "customer.email": "must be an email address like name@example.com"
    }


@pytest.mark.parametrize("phone", ["+1 (415) 555-0132", "0612345678", "+33.6.12.34.56.78"])
def test_phone_numbers_with_usual_punctuation_are_accepted(phone: str) -> None:
    assert parse_new_order(with_customer(phone=phone)).customer.phone == phone


@pytest.mark.parametrize("phone", ["call me maybe", "555-CALL-NOW", "+ (--) .", "ext#42"])
def test_phone_numbers_with_letters_or_without_digits_are_refused(phone: str) -> None:
    assert failures(parse_new_order, with_customer(phone=phone)) == {
        "customer.phone": "must be digits, optionally with spaces and + - ( ) ."
    }


def test_a_customer_with_neither_email_nor_phone_cannot_be_reached() -> None:
    assert failures(parse_new_order, laptop_order(customer={"name": "Lucía Fernández"})) == {
        "customer": "give an email or a phone so the customer can be reached"
    }


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_customer_may_choose_spanish_or_english(language: str) -> None:
    new = parse_new_order(with_customer(email="lucia@example.com", language=language))

    assert new.customer.language == Language(language)


@pytest.mark.parametrize("language", ["fr", "ES", "spanish", "", 1, None])
def test_any_other_language_is_refused_by_its_dotted_path(language: object) -> None:
    body = with_customer(email="lucia@example.com", language=language)

    assert failures(parse_new_order, body) == {"customer.language": "must be one of: es, en"}


def test_an_update_can_change_the_customers_language() -> None:
    patch = parse_order_patch(
        {"customer": {"name": "Lucía", "phone": "600111333", "language": "en"}}
    )

    assert patch.customer == Customer("Lucía", phone="600111333", language=Language.EN)


# --- create: what is refused ----------------------------------------------------------------


def test_missing_required_fields_are_each_named() -> None:
    assert failures(parse_new_order, {}) == {
        "customer": "is required",
        "device": "is required",
        "issue": "is required",
    }


def test_an_unknown_top_level_field_is_refused_by_name() -> None:
    assert failures(parse_new_order, laptop_order(discountCode="SPRING24")) == {
        "discountCode": "unknown field"
    }


def test_an_unknown_nested_field_is_refused_by_its_dotted_path() -> None:
    assert failures(parse_new_order, with_device(colour="space grey")) == {
        "device.colour": "unknown field"
    }
    assert failures(parse_new_order, with_customer(email="a@example.com", vip=True)) == {
        "customer.vip": "unknown field"
    }


@pytest.mark.parametrize("body", [None, [], "laptop", 42, True])
def test_a_body_that_is_not_a_json_object_is_refused(body: object) -> None:
    assert failures(parse_new_order, body)["body"] == "must be a JSON object"


@pytest.mark.parametrize("value", [None, 42, ["Does", "not", "boot"], {"text": "no boot"}])
def test_text_of_the_wrong_type_is_refused(value: object) -> None:
    assert failures(parse_new_order, laptop_order(issue=value)) == {"issue": "must be a string"}


@pytest.mark.parametrize("value", [None, "Lucía", 7, ["Lucía"]])
def test_a_customer_that_is_not_an_object_is_refused(value: object) -> None:
    assert failures(parse_new_order, laptop_order(customer=value)) == {
        "customer": "must be a JSON object"
    }


def test_a_null_optional_field_is_refused_rather_than_ignored() -> None:
    assert failures(parse_new_order, with_device(brand=None)) == {
        "device.brand": "must be a string"
    }


@pytest.mark.parametrize("value", ["", "   ", "\n\t"])
def test_blank_text_is_refused(value: str) -> None:
    assert failures(parse_new_order, laptop_order(issue=value)) == {"issue": "must not be empty"}


@pytest.mark.parametrize("name", ["Lucía\x00Fernández", "Lucía\nFernández", "Lucía\x1bFernández"])
def test_control_characters_are_refused_in_single_line_text(name: str) -> None:
    assert failures(parse_new_order, with_customer(name=name, email="lucia@example.com")) == {
        "customer.name": UNTYPED
    }


def test_line_breaks_are_allowed_in_the_issue_but_other_control_characters_are_not() -> None:
    assert parse_new_order(laptop_order(issue="No boot.\r\nFan spins.\tBeeps")).issue == (
        "No boot.\r\nFan spins.\tBeeps"
    )
    assert failures(parse_new_order, laptop_order(issue="No boot.\x07")) == {"issue": UNTYPED}


# Every text field of a create body, as a function from a value to the body that carries it.
TEXT_FIELDS: dict[str, Callable[[str], dict[str, Any]]] = {
    "customer.name": lambda v: with_customer(name=v, email="lucia@example.com"),
    "customer.email": lambda v: with_customer(email=v),
    "customer.phone": lambda v: with_customer(phone=v),
    "device.type": lambda v: laptop_order(device={"type": v}),
    "device.brand": lambda v: with_device(brand=v),
    "device.model": lambda v: with_device(model=v),
    "device.serialNumber": lambda v: with_device(serialNumber=v),
    "issue": lambda v: laptop_order(issue=v),
}


@pytest.mark.parametrize("field", sorted(TEXT_FIELDS))
@pytest.mark.parametrize("surrogate", ["\ud800", "Lucía \udfff"])
def test_a_lone_surrogate_is_refused_naming_its_field(field: str, surrogate: str) -> None:
    assert failures(parse_new_order, TEXT_FIELDS[field](surrogate)) == {field: SURROGATE}


@pytest.mark.parametrize("field", sorted(TEXT_FIELDS))
@pytest.mark.parametrize(
    "mark",
    ["\x85", "\x9f", "\u202a", "\u202e", "\u2066", "\u2069", "\ufffd"],
    ids=["NEL", "APC", "LRE", "RLO", "LRI", "PDI", "replacement"],
)
def test_characters_no_person_types_are_refused_in_every_field(field: str, mark: str) -> None:
    assert failures(parse_new_order, TEXT_FIELDS[field](f"Lucía{mark}2024")) == {field: UNTYPED}


@pytest.mark.parametrize("field", sorted(TEXT_FIELDS))
@pytest.mark.parametrize(
    "mark",
    ["\ue000", "\uf8ff", "\U000f0000", "\U0010fffd", "\ufdd0", "\uffff", "\U0001fffe"],
    ids=["private", "last private", "plane 15", "plane 16", "FDD0", "FFFF", "1FFFE"],
)
def test_private_use_characters_and_noncharacters_are_refused_in_every_field(
    field: str, mark: str
) -> None:
    """They mean something only to one program: in an email subject they are boxes or nothing."""
    assert failures(parse_new_order, TEXT_FIELDS[field](f"Lucía{mark}2024")) == {field: PRIVATE}


@pytest.mark.parametrize("field", sorted(set(TEXT_FIELDS) - {"issue"}))
@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_line_and_paragraph_separators_are_refused_in_one_line_text(
    field: str, separator: str
) -> None:
    assert failures(parse_new_order, TEXT_FIELDS[field](f"Lenovo{separator}X1")) == {
        field: ONE_LINE
    }


def test_line_and_paragraph_separators_are_kept_in_the_issue_and_a_note() -> None:
    text = "No boot.\u2028Fan spins.\u2029Beeps."

    assert parse_new_order(laptop_order(issue=text)).issue == text
    assert parse_order_patch({"status": "completed", "note": text}).note == text


@pytest.mark.parametrize("field", sorted(TEXT_FIELDS))
@pytest.mark.parametrize(
    "value",
    ["\u200d", "\u200b\u200d", "\ufeff", "\u00ad", "\u200d \u2060", "\U000e0001"],
    ids=["ZWJ", "ZWSP ZWJ", "BOM", "soft hyphen", "ZWJ space WJ", "language tag"],
)
def test_text_of_nothing_but_format_characters_is_refused_in_every_field(
    field: str, value: str
) -> None:
    assert failures(parse_new_order, TEXT_FIELDS[field](value)) == {field: INVISIBLE}


def test_every_format_character_of_the_runtimes_unicode_alone_is_refused() -> None:
    """The rule names the format characters (category Cf) one by one: none may be missing."""
    formats = [chr(code) for code in range(0x110000) if unicodedata.category(chr(code)) == "Cf"]
    bidirectional = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

    for character in formats:
        expected = UNTYPED if character in bidirectional else INVISIBLE
        assert failures(parse_new_order, laptop_order(issue=f" {character} ")) == {
            "issue": expected
        }, f"U+{ord(character):04X}"


@pytest.mark.parametrize(
    "name",
    [
        "Ana 👩\u200d🔧",  # woman mechanic: a joined sequence
        "👨\u200d👩\u200d👧",  # family
        "🏳\ufe0f\u200d🌈",
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # England: tags
        "Zoë\u00adNg",  # a soft hyphen inside text
        "\u200dKwame",  # a format character beside visible text
    ],
)
def test_emoji_and_joined_sequences_are_kept_as_written(name: str) -> None:
    new = parse_new_order(with_customer(name=name, email="zoe@example.com"))

    assert new.customer.name == name


def test_a_lone_surrogate_in_a_note_or_an_unknown_field_name_is_named_printably() -> None:
    assert failures(parse_order_patch, {"status": "inprocess", "note": "ok \ud800"}) == {
        "note": SURROGATE
    }
    assert failures(parse_order_patch, {"sta\ud800tus": "inprocess"}) == {
        "sta\\ud800tus": "unknown field"
    }


def test_a_note_keeps_its_line_breaks_but_not_a_bidirectional_override() -> None:
    assert parse_order_patch({"status": "completed", "note": "Screen.\n\tBattery."}).note == (
        "Screen.\n\tBattery."
    )
    assert failures(parse_order_patch, {"status": "completed", "note": "paid \u202e0001"}) == {
        "note": UNTYPED
    }


@pytest.mark.parametrize("status", ["inprocess", "completed", "canceled"])
def test_a_new_order_cannot_start_in_a_later_status(status: str) -> None:
    assert failures(parse_new_order, laptop_order(status=status)) == {
        "status": "a new order starts as received"
    }


@pytest.mark.parametrize(("field", "value"), [("status", "shipped"), ("priority", "asap")])
def test_an_unknown_choice_lists_the_choices(field: str, value: str) -> None:
    message = failures(parse_new_order, laptop_order(**{field: value}))[field]

    assert message.startswith("must be one of: ")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (laptop_order(status=" received"), "status"),
        (laptop_order(priority="urgent "), "priority"),
        (with_customer(email="lucia@example.com", language="\ten"), "customer.language"),
    ],
)
def test_a_choice_is_taken_exactly_as_sent_so_white_space_around_it_is_refused(
    body: dict[str, Any], field: str
) -> None:
    """Choices are enums in openapi.yaml: what a client checked against it is what is taken."""
    message = failures(parse_new_order, body)[field]

    assert message.startswith("must be one of: ")
    assert message.endswith("with no white space around it")


def test_a_padded_status_in_an_update_is_refused_too() -> None:
    assert list(failures(parse_order_patch, {"status": "inprocess\n"})) == ["status"]


def test_every_problem_is_reported_at_once() -> None:
    body = {
        "customer": {"name": "", "email": "lucia@", "phone": "ask at desk"},
        "device": {"type": "laptop", "colour": "grey"},
        "issue": "x" * 2001,
        "priority": "whenever",
        "warranty": True,
    }

    assert set(failures(parse_new_order, body)) == {
        "customer.name",
        "customer.email",
        "customer.phone",
        "device.colour",
        "issue",
        "priority",
        "warranty",
    }


# --- update ---------------------------------------------------------------------------------


def test_a_status_change_with_a_note_is_a_patch() -> None:
    patch = parse_order_patch({"status": "inprocess", "note": "  Ordered a new keyboard.  "})

    assert patch == OrderPatch(status=Status.INPROCESS, note="Ordered a new keyboard.")


def test_a_patch_carries_only_the_fields_sent() -> None:
    patch = parse_order_patch(
        {"priority": "urgent", "device": {"type": "tablet", "brand": "Apple"}}
    )

    assert patch == OrderPatch(priority=Priority.URGENT, device=Device("tablet", "Apple"))


def test_a_replaced_customer_is_validated_as_on_create() -> None:
    assert failures(parse_order_patch, {"customer": {"name": "Jin Park"}}) == {
        "customer": "give an email or a phone so the customer can be reached"
    }


def test_an_empty_update_is_refused() -> None:
    assert list(failures(parse_order_patch, {})) == ["body"]


def test_a_note_without_a_status_change_is_refused() -> None:
    assert failures(parse_order_patch, {"note": "Called the customer.", "priority": "urgent"}) == {
        "note": "a note can only accompany a status change"
    }


def test_a_note_may_be_500_characters_and_not_501() -> None:
    assert parse_order_patch({"status": "canceled", "note": "n" * 500}).note == "n" * 500
    assert failures(parse_order_patch, {"status": "canceled", "note": "n" * 501}) == {
        "note": "must be at most 500 characters"
    }


def test_an_update_refuses_unknown_fields_and_fields_only_create_takes() -> None:
    assert failures(parse_order_patch, {"status": "inprocess", "orderId": "x", "version": 3}) == {
        "orderId": "unknown field",
        "version": "unknown field",
    }


def test_an_update_reports_every_problem_at_once() -> None:
    body = {"status": "fixed", "issue": 17, "device": {"brand": "Dell"}}

    assert set(failures(parse_order_patch, body)) == {"status", "issue", "device.type"}


@pytest.mark.parametrize("body", [None, ["status", "inprocess"], "inprocess"])
def test_an_update_that_is_not_a_json_object_is_refused(body: object) -> None:
    assert failures(parse_order_patch, body) == {"body": "must be a JSON object"}


# --- list query -----------------------------------------------------------------------------


def test_a_list_without_parameters_is_the_first_default_page_of_everything() -> None:
    assert parse_list_query({}) == ListQuery(status=None, limit=DEFAULT_PAGE_SIZE, cursor=None)


@pytest.mark.parametrize("limit", ["1", "100", "42"])
def test_a_page_size_from_1_to_100_is_accepted(limit: str) -> None:
    assert parse_list_query({"limit": limit}).limit == int(limit)


@pytest.mark.parametrize("limit", ["0", "101", "ten", "1.5", "-5", "", "٣", " 42 ", "42\t"])
def test_other_page_sizes_are_refused(limit: str) -> None:
    assert failures(parse_list_query, {"limit": limit}) == {
        "limit": "must be a whole number from 1 to 100"
    }


@pytest.mark.parametrize("status", [" received ", "received\n", "\u3000received"])
def test_a_status_query_value_is_taken_exactly_as_sent(status: str) -> None:
    assert list(failures(parse_list_query, {"status": status})) == ["status"]


def test_a_list_filtered_by_status_keeps_its_cursor() -> None:
    query = parse_list_query({"status": "inprocess", "limit": "10", "cursor": "eyJzIjoiaW4"})

    assert query == ListQuery(Status.INPROCESS, 10, "eyJzIjoiaW4")


def test_an_unknown_status_and_an_unknown_parameter_are_both_refused() -> None:
    assert set(failures(parse_list_query, {"status": "lost", "sort": "oldest"})) == {
        "status",
        "sort",
    }


@pytest.mark.parametrize("cursor", ["", "c" * 2049])
def test_an_empty_or_oversized_cursor_is_refused(cursor: str) -> None:
    assert set(failures(parse_list_query, {"cursor": cursor})) == {"cursor"}


# --- idempotency key ------------------------------------------------------------------------


def test_no_idempotency_key_is_fine() -> None:
    assert parse_idempotency_key(None) is None


def test_an_idempotency_key_is_trimmed_and_may_be_255_characters() -> None:
    assert parse_idempotency_key("  checkout-7f3a  ") == "checkout-7f3a"
    assert parse_idempotency_key("\tcheckout-7f3a ") == "checkout-7f3a"
    assert parse_idempotency_key("k" * 255) == "k" * 255


@pytest.mark.parametrize(
    "key", ["", "   ", "k" * 256, "clé-unique", "tab\there", "\xa0key", "key\x0b"]
)
def test_a_blank_long_or_non_printable_idempotency_key_is_refused(key: str) -> None:
    assert list(failures(parse_idempotency_key, key)) == ["Idempotency-Key"]


@pytest.mark.parametrize("name", ["Zoë Ng 吴", "Ana\u00a0María", "Kwame 🛠️ Mensah"])
def test_text_in_any_script_with_any_space_or_emoji_is_kept_as_written(name: str) -> None:
    new = parse_new_order(with_customer(name=name, email="zoe@example.com"))

    assert new.customer.name == name


def test_printable_text_over_its_limit_is_still_refused() -> None:
    assert failures(parse_new_order, with_customer(name="Zoë" * 34, email="zoe@example.com")) == {
        "customer.name": "must be at most 100 characters"
    }


def test_a_ticket_query_names_one_order_by_its_receipt_number() -> None:
    assert parse_list_query({"ticket": "R-2026-000123"}).ticket == "R-2026-000123"


@pytest.mark.parametrize(
    "ticket", ["", "R-2026-123", "r-2026-000123", "R-26-000123", "2026-000123", "R-2026-0001234567"]
)
def test_a_ticket_in_the_wrong_format_is_400_not_a_scan(ticket: str) -> None:
    assert failures(parse_list_query, {"ticket": ticket}) == {
        "ticket": "must be a ticket number like R-2026-000123"
    }


def test_a_ticket_takes_a_status_as_a_filter() -> None:
    query = {"ticket": "R-2026-000123", "status": "received"}

    assert parse_list_query(query).status == Status.RECEIVED

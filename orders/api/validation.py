"""Request bodies and query strings in, commands out, or exactly which fields are wrong."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import TypeVar

from orders.domain.commands import ListQuery, NewOrder, OrderPatch
from orders.domain.errors import FieldError, ValidationFailed
from orders.domain.model import INITIAL_STATUS, Customer, Device, Language, Priority, Status
from orders.domain.tickets import TICKET

MAX_NAME = 100
MAX_EMAIL = 254
MAX_PHONE = 32
MAX_ISSUE = 2000
MAX_NOTE = 500
MAX_CURSOR = 2048
MAX_IDEMPOTENCY_KEY = 255
# How much of a value a client sent a problem's detail quotes (a header may hold kilobytes).
MAX_QUOTED = 40
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# What HTTP trims around a header's value (RFC 9110 section 5.5); nothing else is.
HTTP_WHITESPACE = " \t"

_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_PHONE = re.compile(r"[0-9 +\-().]+")
# A lone surrogate (from a JSON escape such as "\ud800") cannot be encoded as UTF-8: storing
# it fails inside the AWS SDK, so it is refused here with the field it came in.
#
# This and the classes below are patterns as text, compiled by ``re`` (and kept in its cache)
# the first time a value needs them: text that passes the check at a glance (printable, which
# no surrogate, control, format, private-use or separator character is) never does, and
# compiling them costs about 2 ms of every cold start.
_SURROGATE = r"[\ud800-\udfff]"
# Characters no person types: C0 and C1 controls, bidirectional overrides and isolates (they
# make text display in another order than it is stored), and U+FFFD, the mark left where bytes
# were not UTF-8. Free text keeps its newlines and tabs.
_UNTYPED = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffd"
_C0 = "\\x00-\\x1f"
_C0_BUT_LINE_BREAKS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f"
# Characters that mean something only to the program that chose them, so anywhere else they
# show as boxes or nothing: private use (U+E000-U+F8FF, and planes 15 and 16 whole, with the
# noncharacters that end them) and the noncharacters (U+FDD0-U+FDEF and the last two code
# points of every plane). Those outside the BMP are told apart in Python (``_is_private``): a
# class that names them one by one makes every search about seven times slower.
_PRIVATE_BMP = "\ue000-\uf8ff\ufdd0-\ufdef\ufffe\uffff"
_ASTRAL = "\U00010000-\U0010ffff"
# Line and paragraph separators: line breaks, like a newline, so only free text keeps them.
_SEPARATORS = "\u2028\u2029"
# What a field never takes (free text: but its line breaks), and every character beyond the BMP.
_SUSPECT = f"[{_C0}{_UNTYPED}{_PRIVATE_BMP}{_SEPARATORS}{_ASTRAL}]"
_SUSPECT_BUT_LINE_BREAKS = f"[{_C0_BUT_LINE_BREAKS}{_UNTYPED}{_PRIVATE_BMP}{_ASTRAL}]"
# What str.strip() trims (str.isspace), and the format characters (Unicode category Cf, as
# Python 3.12's Unicode 15.0 has them): text of these alone shows nothing.
_SPACE = "\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_FORMAT = (
    "\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
)
_VISIBLE = f"[^{_SPACE}{_FORMAT}]"

_CREATE_FIELDS = frozenset({"customer", "device", "issue", "priority", "status"})
_UPDATE_FIELDS = frozenset({"status", "note", "customer", "device", "issue", "priority"})
_CUSTOMER_FIELDS = frozenset({"name", "email", "phone", "language"})
_DEVICE_FIELDS = frozenset({"type", "brand", "model", "serialNumber"})
_LIST_PARAMETERS = frozenset({"status", "limit", "cursor", "ticket"})

_E = TypeVar("_E", bound=StrEnum)


def parse_new_order(body: object) -> NewOrder:
    """Validate a create request body."""
    errors = _Errors()
    fields = errors.json_object(body, "body", _CREATE_FIELDS)
    errors.raise_if_any_of("body")
    customer = errors.nested(fields, "customer", _CUSTOMER_FIELDS, _customer, required=True)
    device = errors.nested(fields, "device", _DEVICE_FIELDS, _device, required=True)
    issue = errors.text(fields, "issue", MAX_ISSUE, required=True, multiline=True)
    priority = errors.choice(fields, "priority", Priority)
    status = errors.choice(fields, "status", Status)
    if status is not None and status != INITIAL_STATUS:
        errors.add("status", f"a new order starts as {INITIAL_STATUS}")
    errors.raise_if_any()
    assert customer is not None
    assert device is not None
    assert issue is not None
    return NewOrder(customer, device, issue, priority or Priority.NORMAL)


def parse_order_patch(body: object) -> OrderPatch:
    """Validate an update request body (a partial order: only the fields present change)."""
    errors = _Errors()
    fields = errors.json_object(body, "body", _UPDATE_FIELDS)
    if isinstance(body, Mapping) and not body:
        errors.add("body", f"give at least one of: {', '.join(sorted(_UPDATE_FIELDS))}")
    patch = OrderPatch(
        status=errors.choice(fields, "status", Status),
        note=errors.text(fields, "note", MAX_NOTE, multiline=True),
        customer=errors.nested(fields, "customer", _CUSTOMER_FIELDS, _customer),
        device=errors.nested(fields, "device", _DEVICE_FIELDS, _device),
        issue=errors.text(fields, "issue", MAX_ISSUE, multiline=True),
        priority=errors.choice(fields, "priority", Priority),
    )
    if "note" in fields and "status" not in fields:
        errors.add("note", "a note can only accompany a status change")
    errors.raise_if_any()
    return patch


def parse_idempotency_key(value: str | None) -> str | None:
    """Validate an ``Idempotency-Key`` header (absent is fine)."""
    if value is None:
        return None
    key = value.strip(HTTP_WHITESPACE)
    if not (0 < len(key) <= MAX_IDEMPOTENCY_KEY and key.isascii() and key.isprintable()):
        message = f"must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters"
        raise ValidationFailed([FieldError("Idempotency-Key", message)])
    return key


def parse_list_query(parameters: Mapping[str, str]) -> ListQuery:
    """Validate the query string of a list request."""
    errors = _Errors()
    for name in sorted(set(parameters) - _LIST_PARAMETERS):
        errors.add(name, "unknown query parameter")
    status = errors.choice(parameters, "status", Status)
    limit = DEFAULT_PAGE_SIZE
    if "limit" in parameters:  # like every query value, exactly as sent: " 5" is no number
        raw = parameters["limit"]
        if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE_SIZE:
            limit = int(raw)
        else:
            errors.add("limit", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
    cursor = parameters.get("cursor")
    if cursor is not None and not 0 < len(cursor) <= MAX_CURSOR:
        errors.add("cursor", "is not a cursor this service issued")
    ticket = parameters.get("ticket")
    if ticket is not None and not TICKET.fullmatch(ticket):
        errors.add("ticket", "must be a ticket number like R-2026-000123")
    errors.raise_if_any()
    return ListQuery(status, limit, cursor, ticket)


def printable(name: str) -> str:
    """A client-sent name, safe to echo in an error: anything not plainly printable escaped."""
    if name.isprintable():  # so it holds no surrogate either
        return name
    return name.encode("unicode_escape").decode("ascii")


def quoted(value: str) -> str:
    """A client-sent value, quoted in a problem's detail: printable, and cut short if long."""
    if len(value) <= MAX_QUOTED:
        return printable(value)
    return f"{printable(value[:MAX_QUOTED])}…"


def _customer(fields: Mapping[str, object], errors: _Errors, path: str) -> Customer:
    name = errors.text(fields, "name", MAX_NAME, required=True, path=path)
    email = errors.text(fields, "email", MAX_EMAIL, path=path)
    phone = errors.text(fields, "phone", MAX_PHONE, path=path)
    language = errors.choice(fields, "language", Language, path=path)
    if email is not None and not (_EMAIL.fullmatch(email) and len(email.partition("@")[0]) <= 64):
        errors.add(f"{path}.email", "must be an email address like name@example.com")
    if phone is not None and not (_PHONE.fullmatch(phone) and any(c.isdigit() for c in phone)):
        errors.add(f"{path}.phone", "must be digits, optionally with spaces and + - ( ) .")
    if "email" not in fields and "phone" not in fields:
        errors.add(path, "give an email or a phone so the customer can be reached")
    return Customer(name or "", email, phone, language)


def _device(fields: Mapping[str, object], errors: _Errors, path: str) -> Device:
    return Device(
        type=errors.text(fields, "type", MAX_NAME, required=True, path=path) or "",
        brand=errors.text(fields, "brand", MAX_NAME, path=path),
        model=errors.text(fields, "model", MAX_NAME, path=path),
        serial_number=errors.text(fields, "serialNumber", MAX_NAME, path=path),
    )


_N = TypeVar("_N")


class _Errors:
    """Collects field errors so one response can name every problem at once."""

    def __init__(self) -> None:
        self._errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self._errors.append(FieldError(field, message))

    def raise_if_any_of(self, field: str) -> None:
        """Stop early when ``field`` itself is wrong: its parts would only repeat the news."""
        if any(error.field == field for error in self._errors):
            self.raise_if_any()

    def raise_if_any(self) -> None:
        if self._errors:
            raise ValidationFailed(self._errors)

    def json_object(
        self, value: object, path: str, allowed: frozenset[str]
    ) -> Mapping[str, object]:
        if not isinstance(value, Mapping):
            self.add(path, "must be a JSON object")
            return {}
        prefix = "" if path == "body" else f"{path}."
        for name in sorted(set(value) - allowed):
            self.add(f"{prefix}{printable(name)}", "unknown field")
        return value

    def nested(
        self,
        fields: Mapping[str, object],
        name: str,
        allowed: frozenset[str],
        parse: Callable[[Mapping[str, object], _Errors, str], _N],
        *,
        required: bool = False,
    ) -> _N | None:
        if name not in fields:
            if required:
                self.add(name, "is required")
            return None
        before = len(self._errors)
        nested = self.json_object(fields[name], name, allowed)
        if not isinstance(fields[name], Mapping):
            return None
        parsed = parse(nested, self, name)
        return parsed if len(self._errors) == before else None

    def text(
        self,
        fields: Mapping[str, object],
        name: str,
        max_length: int,
        *,
        required: bool = False,
        multiline: bool = False,
        path: str = "",
    ) -> str | None:
        where = f"{path}.{name}" if path else name
        if name not in fields:
            if required:
                self.add(where, "is required")
            return None
        value = fields[name]
        if not isinstance(value, str):
            self.add(where, "must be a string")
            return None
        value = value.strip()
        # The usual text, at a glance: a printable string holds no control, bidirectional,
        # format, private-use, separator, noncharacter or surrogate character, though it may
        # hold U+FFFD.
        if 0 < len(value) <= max_length and value.isprintable() and "\ufffd" not in value:
            return value
        if re.search(_SURROGATE, value):
            self.add(where, "must be valid UTF-8 text (it holds a lone surrogate)")
        elif not value:
            self.add(where, "must not be empty")
        elif len(value) > max_length:
            self.add(where, f"must be at most {max_length} characters")
        elif refused := _refused_character(value, multiline):
            self.add(where, _why_refused(refused))
        elif not re.search(_VISIBLE, value):
            self.add(where, "must hold visible text, not only format characters such as U+200D")
        else:
            return value
        return None

    def choice(
        self, fields: Mapping[str, object], name: str, kind: type[_E], path: str = ""
    ) -> _E | None:
        if name not in fields:
            return None
        value = fields[name]
        members: dict[str, _E] = _members(kind)
        # Exactly as sent, as openapi.yaml's enums say: " urgent" is no choice (text is trimmed).
        member = members.get(value) if isinstance(value, str) else None
        if member is not None:
            return member
        message = f"must be one of: {', '.join(members)}"
        if isinstance(value, str) and value.strip() in members:
            message += ", with no white space around it"
        self.add(f"{path}.{name}" if path else name, message)
        return None


def _refused_character(value: str, multiline: bool) -> str | None:
    """The first character of ``value`` a field never takes (``multiline``: but line breaks)."""
    for found in re.finditer(_SUSPECT_BUT_LINE_BREAKS if multiline else _SUSPECT, value):
        character = found.group()
        if character <= "\uffff" or _is_private(character):  # most beyond the BMP are emoji
            return character
    return None


def _is_private(character: str) -> bool:
    """Whether ``character`` is for private use or a noncharacter (see ``_PRIVATE_BMP``)."""
    code = ord(character)
    return (
        0xE000 <= code <= 0xF8FF
        or 0xFDD0 <= code <= 0xFDEF
        or code & 0xFFFE == 0xFFFE
        or code >= 0xF0000
    )


def _why_refused(character: str) -> str:
    """What is wrong with a character ``_refused_character`` found, as a field error says it."""
    if character in _SEPARATORS:
        return "must be one line (it holds a line or paragraph separator)"
    if _is_private(character):
        return "must not contain private-use characters or noncharacters"
    return "must not contain control, bidirectional or replacement characters"


@functools.cache
def _members[E: StrEnum](kind: type[E]) -> dict[str, E]:
    """An enum's members by value, in order: iterating an enum costs a microsecond a call."""
    return {member.value: member for member in kind}

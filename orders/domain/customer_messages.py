"""What the customer is told when their order enters each status, in Spanish or English. No I/O.

Everything the customer typed (name, device, issue) reaches a mail header or an SMS here, so
each text is made safe for its channel: subjects are one line of printable text under 100
characters (no header injection, within SES's and SNS's limits), bodies carry no control
characters but line breaks, and an SMS fits in a few segments.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import NamedTuple

from orders.domain.model import Language, Order, Status

MAX_SUBJECT = 99  # SNS refuses 100 and more; SES and mail clients are comfortable below it
MAX_SMS = 160  # one GSM-7 segment; with accents (UCS-2, 70 a segment) three at most
_MAX_DEVICE_IN_SMS = 30
_MAX_ISSUE_QUOTED = 300
_ELLIPSIS = "…"

_SUBJECTS = {
    Language.ES: {
        Status.RECEIVED: "Hemos recibido tu {device}",
        Status.INPROCESS: "Hemos empezado a reparar tu {device}",
        Status.COMPLETED: "Ya puedes recoger tu {device}",
        Status.CANCELED: "Tu orden {number} ha sido cancelada",
    },
    Language.EN: {
        Status.RECEIVED: "We have your {device}",
        Status.INPROCESS: "Your {device} repair has started",
        Status.COMPLETED: "Your {device} is ready for pickup",
        Status.CANCELED: "Your order {number} was canceled",
    },
}
_BODIES = {
    Language.ES: {
        Status.RECEIVED: "Hemos recibido tu {device}, orden {number}.\n"
        "Nos contaste: «{issue}»\n\nTe avisaremos cuando empecemos la reparación.",
        Status.INPROCESS: "Hemos empezado a reparar tu {device} (orden {number}).\n\n"
        "Te avisaremos cuando puedas recogerlo.",
        Status.COMPLETED: "La reparación de tu {device} ha terminado (orden {number}).\n\n"
        "Ya puedes pasar a recogerlo en nuestro horario habitual.",
        Status.CANCELED: "Tu orden {number} para tu {device} ha sido cancelada.\n\n"
        "Si tienes alguna pregunta, responde a este correo.",
    },
    Language.EN: {
        Status.RECEIVED: "We have your {device}, order {number}.\n"
        "You told us: “{issue}”\n\nWe will let you know when the repair starts.",
        Status.INPROCESS: "The repair of your {device} has started (order {number}).\n\n"
        "We will let you know when it is ready.",
        Status.COMPLETED: "Your {device} is repaired and ready for pickup (order {number}).\n\n"
        "Come by during our usual opening hours.",
        Status.CANCELED: "Your order {number} for your {device} was canceled.\n\n"
        "If you have any questions, reply to this email.",
    },
}
_GREETINGS = {Language.ES: "Hola {name}:", Language.EN: "Hello {name},"}
_REFERENCES = {Language.ES: "Referencia: {order_id}", Language.EN: "Reference: {order_id}"}
_SMS = {
    Language.ES: {
        Status.RECEIVED: "Hemos recibido tu {device}, orden {number}. Te avisaremos.",
        Status.INPROCESS: "Hemos empezado a reparar tu {device}, orden {number}.",
        Status.COMPLETED: "Ya puedes recoger tu {device}, orden {number}.",
        Status.CANCELED: "Tu orden {number} ha sido cancelada.",
    },
    Language.EN: {
        Status.RECEIVED: "We have your {device}, order {number}. We will keep you posted.",
        Status.INPROCESS: "The repair of your {device} has started, order {number}.",
        Status.COMPLETED: "Your {device} is ready for pickup, order {number}.",
        Status.CANCELED: "Your order {number} was canceled.",
    },
}
_SPACES = re.compile(r"\s+")
_NOT_IN_A_LINE = frozenset({"Cc", "Cf", "Zl", "Zp"})


class Channel(StrEnum):
    """How a customer was (or was not) told: by email, by SMS, or not at all."""

    EMAIL = "email"
    SMS = "sms"
    NONE = "none"


class CustomerMessage(NamedTuple):
    """One status of one order, told to its customer: an email's subject and body, or an SMS."""

    order_id: str
    status: Status
    language: Language
    subject: str
    body: str
    sms: str


def short_number(order_id: str) -> str:
    """The order's number as the customer sees it: the first 8 characters of its id."""
    return order_id[:8]


def message_for(order: Order, status: Status, language: Language) -> CustomerMessage:
    """What the customer of ``order`` is told, in ``language``, when it enters ``status``."""
    device = _one_line(describe_device(order, language))
    number = short_number(order.order_id)
    fields = {"number": number, "order_id": order.order_id}
    subject = _fit(_SUBJECTS[language][status], device, MAX_SUBJECT, **fields)
    body = "\n\n".join(
        [
            _GREETINGS[language].format(name=_one_line(order.customer.name)),
            _BODIES[language][status].format(
                device=device, issue=_quoted_issue(order.issue), **fields
            ),
            _REFERENCES[language].format(**fields),
        ]
    )
    sms = _fit(_SMS[language][status], device[:_MAX_DEVICE_IN_SMS], MAX_SMS, **fields)
    return CustomerMessage(order.order_id, status, language, subject, body + "\n", sms)


def describe_device(order: Order, language: Language) -> str:
    """The device as a sentence names it: "portátil Lenovo" (es), "Lenovo laptop" (en)."""
    device = order.device
    parts = (device.type, device.brand) if language is Language.ES else (device.brand, device.type)
    return " ".join(part for part in parts if part)


def _fit(template: str, device: str, limit: int, **fields: str) -> str:
    """``template`` filled in, the device's name shortened (with an ellipsis) to fit ``limit``."""
    text = template.format(device=device, **fields)
    overflow = len(text) - limit
    if overflow > 0:
        device = device[: max(len(device) - overflow - len(_ELLIPSIS), 0)].rstrip() + _ELLIPSIS
        text = template.format(device=device, **fields)
    return text[:limit]


def _one_line(text: str) -> str:
    """``text`` with every control, format or separator character a plain space, runs collapsed.

    CR and LF are what header injection needs; the others (NUL, bidi overrides, zero-width)
    would garble a subject or an SMS.
    """
    # A printable string holds none of them (isprintable is false for Cc, Cf, Zl and Zp): the
    # usual text skips the look at each character.
    if not text.isprintable():
        text = "".join(
            " " if unicodedata.category(char) in _NOT_IN_A_LINE else char for char in text
        )
    return _SPACES.sub(" ", text).strip()


def _quoted_issue(issue: str) -> str:
    """The reported issue on one line, shortened for quoting back in an email."""
    issue = _one_line(issue)
    if len(issue) > _MAX_ISSUE_QUOTED:
        issue = issue[: _MAX_ISSUE_QUOTED - 1].rstrip() + _ELLIPSIS
    return issue

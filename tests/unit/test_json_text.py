"""JSON text out: orjson's speed, the standard library's values."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import NamedTuple

import pytest

from orders.json_text import compact_json, compact_json_any


class Slot(NamedTuple):
    status: str
    attempts: int


LUCIA = {
    "orderId": "2ce11d3f-b423-481e-849a-929ecb94f7ea",
    "customer": {"name": "Lucía Fernández", "email": "lucia.fernandez@example.com"},
    "issue": "Pantalla rota \u2028 tras una caída",
    "version": 2**70,  # past 64 bits: orjson refuses it, the standard library writes it
    "note": "\ud800",  # a lone surrogate, from a JSON escape
    "history": [("received", 1)],
}
RECEIVED_AT = datetime(2026, 3, 14, 9, 30, 5, tzinfo=UTC)


def standard(value: object, **options: object) -> str:
    return json.dumps(value, separators=(",", ":"), **options)  # type: ignore[arg-type]


def test_a_body_is_the_text_the_standard_librarys_compact_encoder_writes() -> None:
    assert compact_json(LUCIA) == standard(LUCIA, ensure_ascii=False)
    assert compact_json({"order": Slot("received", 1)}) == '{"order":["received",1]}'


def test_a_body_holding_a_value_json_has_no_form_for_is_refused_as_before() -> None:
    with pytest.raises(TypeError):
        compact_json({"receivedAt": RECEIVED_AT})


def test_a_line_writes_what_json_has_no_form_for_as_its_text_and_the_rest_as_before() -> None:
    line = {**LUCIA, "receivedAt": RECEIVED_AT, "slot": Slot("received", 1)}

    written = compact_json_any(line)

    assert json.loads(written) == json.loads(standard(line, default=str))
    assert json.loads(written)["receivedAt"] == "2026-03-14 09:30:05+00:00"
    assert json.loads(written)["slot"] == ["received", 1]
    assert written.isascii()  # the lone surrogate escaped, so the line can be written anywhere

"""List cursors: opaque to clients, checked so that only cursors this service issued are read."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from orders.domain.errors import InvalidCursor
from orders.domain.model import Status

_CHECK_SIZE = 12
# Built once: json.dumps with options builds a new encoder per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=True)


class CursorCodec:
    """Encodes a listing's position and status with a keyed check value, and decodes it back."""

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("a cursor key is needed")
        self._key = hashlib.blake2b(secret, digest_size=16).digest()

    def encode(self, position: Mapping[str, Any], status: Status | None) -> str:
        """The cursor of ``position`` in the listing of ``status`` (``None``: every order)."""
        payload = _ENCODER.encode(
            {"s": None if status is None else status.value, "k": position}
        ).encode()
        return base64.urlsafe_b64encode(payload + self._check(payload)).decode().rstrip("=")

    def decode(self, cursor: str, status: Status | None, fields: frozenset[str]) -> dict[str, str]:
        """The position a cursor holds; ``InvalidCursor`` unless issued for this listing.

        Whatever a client sends is checked before it is trusted: the check value first, then
        the exact shape this codec writes (``fields``: the position's key names, text only), so
        that no forged or damaged cursor gets further than a 400.
        """
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError) as error:
            raise InvalidCursor(cursor) from error
        payload, check = raw[:-_CHECK_SIZE], raw[-_CHECK_SIZE:]
        if len(raw) <= _CHECK_SIZE or not hmac.compare_digest(check, self._check(payload)):
            raise InvalidCursor(cursor)
        try:
            decoded = json.loads(payload)
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise InvalidCursor(cursor) from error
        if not isinstance(decoded, dict) or set(decoded) != {"s", "k"}:
            raise InvalidCursor(cursor)
        position = decoded["k"]
        if decoded["s"] != (None if status is None else status.value):
            raise InvalidCursor(cursor)
        if not isinstance(position, dict) or set(position) != fields:
            raise InvalidCursor(cursor)
        if not all(isinstance(value, str) and value for value in position.values()):
            raise InvalidCursor(cursor)
        if status is not None and position.get("status") != status.value:
            raise InvalidCursor(cursor)
        return position

    def _check(self, payload: bytes) -> bytes:
        return hashlib.blake2b(payload, key=self._key, digest_size=_CHECK_SIZE).digest()

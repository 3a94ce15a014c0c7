"""List cursors: opaque to clients, checked so that only cursors this service issued are read."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from orders.domain.errors import InvalidCursor
from orders.domain.model import Status

_CHECK_SIZE = 12


class CursorCodec:
    """Encodes a listing's position and status with a keyed check value, and decodes it back."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.blake2b(secret, digest_size=16).digest()

    def encode(self, position: Mapping[str, Any], status: Status | None) -> str:
        """The cursor of ``position`` in the listing of ``status`` (``None``: every order)."""
        payload = json.dumps(
            {"s": None if status is None else status.value, "k": position},
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        return base64.urlsafe_b64encode(payload + self._check(payload)).decode().rstrip("=")

    def decode(self, cursor: str, status: Status | None) -> dict[str, Any]:
        """The position a cursor holds; ``InvalidCursor`` unless issued for this listing."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError) as error:
            raise InvalidCursor(cursor) from error
        payload, check = raw[:-_CHECK_SIZE], raw[-_CHECK_SIZE:]
        if len(raw) <= _CHECK_SIZE or check != self._check(payload):
            raise InvalidCursor(cursor)
        decoded = json.loads(payload)
        if decoded["s"] != (None if status is None else status.value):
            raise InvalidCursor(cursor)
        position: dict[str, Any] = decoded["k"]
        return position

    def _check(self, payload: bytes) -> bytes:
        return hashlib.blake2b(payload, key=self._key, digest_size=_CHECK_SIZE).digest()

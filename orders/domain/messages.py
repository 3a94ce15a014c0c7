"""The status message (on a status queue each time an order enters a status) and the order event."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import NamedTuple

from orders.domain.model import Order, Status
from orders.domain.timestamps import format_timestamp, parse_timestamp


class MalformedMessage(ValueError):
    """A queue message body that is not a status message."""


class StatusMessage(NamedTuple):
    """An order entered ``status`` at ``occurred_at``, becoming ``version``.

    ``correlation_id`` names the request that caused it, so the processor's logs, metrics and
    order event can be found from it.
    """

    order_id: str
    status: Status
    version: int
    occurred_at: datetime
    correlation_id: str | None = None

    @classmethod
    def for_order(cls, order: Order, correlation_id: str | None = None) -> StatusMessage:
        """The message for the status ``order`` has just entered."""
        entered = order.history[-1].at
        return cls(order.order_id, order.status, order.version, entered, correlation_id)

    def to_json(self) -> str:
        fields: dict[str, object] = {
            "orderId": self.order_id,
            "status": self.status.value,
            "version": self.version,
            "occurredAt": format_timestamp(self.occurred_at),
        }
        if self.correlation_id is not None:
            fields["correlationId"] = self.correlation_id
        return json.dumps(fields)

    @classmethod
    def from_json(cls, body: str) -> StatusMessage:
        """Parse a message body; raise ``MalformedMessage`` for anything else."""
        try:
            fields = json.loads(body)
            message = cls(
                order_id=str(uuid.UUID(fields["orderId"])),
                status=Status(fields["status"]),
                version=fields["version"],
                occurred_at=parse_timestamp(fields["occurredAt"]),
                correlation_id=fields.get("correlationId"),
            )
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise MalformedMessage(str(error)) from error
        if type(message.version) is not int or message.version < 1:
            raise MalformedMessage("version must be a positive integer")
        if not (message.correlation_id is None or isinstance(message.correlation_id, str)):
            raise MalformedMessage("correlationId must be a string")
        return message


class OrderEvent(NamedTuple):
    """For integrations: an order's status was processed. Ids, status, version and times only.

    ``actor_sub`` is the user pool ``sub`` of the member of staff who made the change (no name
    or email: a consumer that needs more asks the user pool).
    """

    order_id: str
    status: Status
    version: int
    occurred_at: datetime
    processed_at: datetime
    correlation_id: str | None = None
    actor_sub: str | None = None

    def to_json(self) -> str:
        """The event's body; it names no customer (no name, email or phone)."""
        fields: dict[str, object] = {
            "type": "order.status-processed",
            "orderId": self.order_id,
            "status": self.status.value,
            "version": self.version,
            "occurredAt": format_timestamp(self.occurred_at),
            "processedAt": format_timestamp(self.processed_at),
        }
        if self.correlation_id is not None:
            fields["correlationId"] = self.correlation_id
        if self.actor_sub is not None:
            fields["actorSub"] = self.actor_sub
        return json.dumps(fields)

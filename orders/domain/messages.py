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
    """An order entered ``status`` at ``occurred_at``, becoming ``version``."""

    order_id: str
    status: Status
    version: int
    occurred_at: datetime

    @classmethod
    def for_order(cls, order: Order) -> StatusMessage:
        """The message for the status ``order`` has just entered."""
        return cls(order.order_id, order.status, order.version, order.history[-1].at)

    def to_json(self) -> str:
        return json.dumps(
            {
                "orderId": self.order_id,
                "status": self.status.value,
                "version": self.version,
                "occurredAt": format_timestamp(self.occurred_at),
            }
        )

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
            )
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise MalformedMessage(str(error)) from error
        if type(message.version) is not int or message.version < 1:
            raise MalformedMessage("version must be a positive integer")
        return message


class OrderEvent(NamedTuple):
    """For integrations: an order's status was processed. Ids, status, version and times only."""

    order_id: str
    status: Status
    version: int
    occurred_at: datetime
    processed_at: datetime

    def to_json(self) -> str:
        """The event's body; it names no customer (no name, email or phone)."""
        return json.dumps(
            {
                "type": "order.status-processed",
                "orderId": self.order_id,
                "status": self.status.value,
                "version": self.version,
                "occurredAt": format_timestamp(self.occurred_at),
                "processedAt": format_timestamp(self.processed_at),
            }
        )

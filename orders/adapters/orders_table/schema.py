"""The Orders table's shape: its key, its indexes and the attributes of the dispatch ledger."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

STATUS_INDEX = "byStatus"
DISPATCH_INDEX = "byDispatchDue"
# Every order with a status message not yet confirmed by its processor carries this partition
# key (and ``dispatchDue``); the index is sparse, so the sweeper reads only those orders.
DISPATCH_SHARD = "pending"
# A message is normally processed within a second; after this long it is sent again.
DISPATCH_GRACE = timedelta(minutes=2)


def key(order_id: str) -> dict[str, Any]:
    """The table key of an order, in DynamoDB's typed form."""
    return {"orderId": {"S": order_id}}

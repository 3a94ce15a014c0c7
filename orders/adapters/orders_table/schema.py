"""The Orders table's shape: its key, its indexes and the attributes of the dispatch ledger."""

from __future__ import annotations

from typing import Any

STATUS_INDEX = "byStatus"
TICKET_INDEX = "byTicket"
DISPATCH_INDEX = "byDispatchDue"
# An order carries this partition key (and ``dispatchDue``) while a status message of it may
# still need sending: from the write that enters a status until its processor records it (or
# the sweeper gives up on it). The index is sparse, so the sweeper reads only those orders.
DISPATCH_SHARD = "pending"
# ``pendingDispatch`` holds, per status whose message is unconfirmed, when it was entered
# (``<status>``), the version that entered it, how often it was sent again and when last, and
# the correlation id of the request that entered it (so that a resend carries it too).
PENDING = "pendingDispatch"


def pending_entry_keys(status: str) -> tuple[str, str, str, str, str]:
    """One status's keys in ``pendingDispatch``: entered at, version, resends, last sent,
    correlation id."""
    return (
        status,
        f"{status}:version",
        f"{status}:attempts",
        f"{status}:sentAt",
        f"{status}:correlationId",
    )


def ticket_counter_key(year: int) -> dict[str, Any]:
    """The key of ``year``'s ticket counter: in the Orders table, but never an order's (ids are
    UUIDs) and in no index (it has no status, ticket or dispatch attributes)."""
    return {"orderId": {"S": f"#ticket-counter#{year:04d}"}}


def key(order_id: str) -> dict[str, Any]:
    """The table key of an order, in DynamoDB's typed form."""
    return {"orderId": {"S": order_id}}

"""The UpdateExpression of a change, with a placeholder for every attribute name and value."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from orders.adapters.orders_table.items import serialize
from orders.adapters.orders_table.schema import DISPATCH_SHARD, PENDING, pending_entry_keys
from orders.domain import documents
from orders.domain.model import Change, Customer, Device
from orders.domain.timestamps import format_timestamp


class UpdateExpression:
    """Builds the UpdateExpression of a change: placeholders for every name and value."""

    def __init__(
        self, change: Change, at: datetime, grace: timedelta, correlation_id: str | None = None
    ) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self.fields = [
            (name, _document_value(value)) for name, value in change.field_values().items()
        ]
        self._sets = [f"{self.name(n)} = {self.value(v)}" for n, v in self.fields]
        self._sets.append(f"{self.name('updatedAt')} = {self.value(format_timestamp(at))}")
        version = self.name("version")
        self._sets.append(f"{version} = {version} + {self.value(1)}")
        if change.entered is not None:
            entry = documents.history_entry_to_document(change.entered)
            self._sets.append(f"{self.name('status')} = {self.value(change.entered.status.value)}")
            history = self.name("history")
            self._sets.append(f"{history} = list_append({history}, {self.value([entry])})")
            # The new status's message is pending until its processor records it, with the
            # version this write gives the order (the stored one + 1: the write is blind) and
            # the correlation id of the request.
            entered, version_key, _, _, correlation_key = pending_entry_keys(
                change.entered.status.value
            )
            pending = self.name(PENDING)
            self._sets.append(f"{pending}.{self.name(entered)} = {self.value(entry['at'])}")
            self._sets.append(f"{pending}.{self.name(version_key)} = {version} + {self.value(1)}")
            if correlation_id is not None:
                correlation = f"{pending}.{self.name(correlation_key)}"
                self._sets.append(f"{correlation} = {self.value(correlation_id)}")
            # The newest status gets its whole grace: an earlier pending status waits with it
            # (each is checked against its own last send), never the other way round.
            due_at = self.value(format_timestamp(at + grace))
            self._sets.append(f"{self.name('dispatchDue')} = {due_at}")
            self._sets.append(f"{self.name('dispatchShard')} = {self.value(DISPATCH_SHARD)}")

    def name(self, attribute: str) -> str:
        """The placeholder of an attribute name."""
        placeholder = f"#{attribute}"
        if not attribute.isidentifier():  # e.g. "inprocess:version": placeholders are [\w]+
            known = [name for name, value in self.names.items() if value == attribute]
            placeholder = known[0] if known else f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        """A new placeholder for a value."""
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = serialize(value)
        return placeholder

    def text(self) -> str:
        """The expression itself."""
        return "SET " + ", ".join(self._sets)


def _document_value(value: Customer | Device | str) -> Any:
    if isinstance(value, Customer):
        return documents.customer_to_document(value)
    if isinstance(value, Device):
        return documents.device_to_document(value)
    return str(value)

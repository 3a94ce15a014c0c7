"""The AWS emulator: moto server on 127.0.0.1, with DynamoDB writes applied one at a time.

moto serves requests on threads and does not apply a conditional write atomically, so two racing
updates could both pass their condition. Real DynamoDB applies each write to an item atomically;
one lock around moto's write methods gives the emulator the same guarantee.

moto's ``TransactWriteItems`` deep-copies every table it touches, whole, to roll back a canceled
transaction: with the lock held, a processor's batch record took 90 ms at 200 orders and a
second at 1,000, and every other write waited. The emulator backs up only the items a
transaction names, and restores those.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from offline.processes import stop_with_supervisor

_WRITE_METHODS = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "batch_write_item",
)


def serialize_dynamodb_writes() -> Callable[[], None]:
    """Make moto's DynamoDB writes atomic with one lock; return a function that undoes it."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    originals = {name: getattr(DynamoDBBackend, name) for name in _WRITE_METHODS}

    def locked(original: Callable[..., Any]) -> Callable[..., Any]:
        def write(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return original(*args, **kwargs)

        return write

    for name, original in originals.items():
        setattr(DynamoDBBackend, name, locked(original))

    def undo() -> None:
        for name, original in originals.items():
            setattr(DynamoDBBackend, name, original)

    return undo


def back_up_only_the_items_a_transaction_touches() -> Callable[[], None]:
    """Make moto roll back a canceled transaction from its items; return the undo function.

    Must be applied before ``serialize_dynamodb_writes``, so that the whole transaction, its
    backups and its rollback, runs under the one write lock.
    """
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        backups = [_backup(self, next(iter(entry.values()))) for entry in transact_items]
        setattr(Table, "__deepcopy__", lambda table, memo: table)  # noqa: B010
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, attributes in backups:
                if attributes is not None:
                    self.put_item(table_name, attributes)
                elif self.get_item(table_name, key) is not None:
                    self.delete_item(table_name, key)
            raise
        finally:
            delattr(Table, "__deepcopy__")

    setattr(DynamoDBBackend, "transact_write_items", transact_write_items)  # noqa: B010

    def undo() -> None:
        setattr(DynamoDBBackend, "transact_write_items", original)  # noqa: B010

    return undo


def _backup(backend: Any, operation: dict[str, Any]) -> tuple[str, dict[str, Any], Any]:
    """(table, key, the item's attributes or ``None``) of the item one operation names."""
    table = backend.get_table(operation["TableName"])
    key = operation.get("Key") or {
        name: operation["Item"][name]
        for name in (table.hash_key_attr, table.range_key_attr)
        if name is not None
    }
    item = backend.get_item(operation["TableName"], key)
    return operation["TableName"], key, None if item is None else item.to_json()["Attributes"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=4566)
    port = parser.parse_args().port

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    back_up_only_the_items_a_transaction_touches()
    serialize_dynamodb_writes()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stop_with_supervisor()
    server.start()
    print(f"moto server listening on http://127.0.0.1:{port}", flush=True)
    stopped.wait()
    server.stop()


if __name__ == "__main__":
    main()

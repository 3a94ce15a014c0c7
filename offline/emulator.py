"""The AWS emulator: moto server on 127.0.0.1, with DynamoDB writes applied one at a time.

moto serves requests on threads and does not apply a conditional write atomically, so two racing
updates could both pass their condition. Real DynamoDB applies each write to an item atomically;
one lock around moto's write methods gives the emulator the same guarantee.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=4566)
    port = parser.parse_args().port

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    serialize_dynamodb_writes()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    server.start()
    print(f"moto server listening on http://127.0.0.1:{port}", flush=True)
    stopped.wait()
    server.stop()


if __name__ == "__main__":
    main()

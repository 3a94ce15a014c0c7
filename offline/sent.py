"""One console line per email or SMS the processors send, read from their structured log.

The processors log each record's outcome with its channel, masked destination and subject
(``orders.usecases.status_processing``); the pump, which runs them, shows those as
``[mail] to l***@example.com "Hemos recibido tu portátil" order 26d283a4``.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from offline.console import say

_PROCESSING_LOGGER = "orders.usecases.status_processing"
_TAGS = {"email": "[mail]", "sms": "[sms]"}


class SentMessageLines(logging.Handler):
    """Prints a line for every message sent, or refused for good, by a status processor."""

    def __init__(self, stream: TextIO = sys.stdout) -> None:
        super().__init__(logging.INFO)
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        line = format_line(vars(record))
        if line is not None:
            say(line, stream=self._stream)


def format_line(fields: dict[str, object]) -> str | None:
    """The console line for one processed record, or ``None`` if nothing was sent or refused."""
    tag = _TAGS.get(str(fields.get("channel")))
    if tag is None or fields.get("result") not in {"sent", "not-delivered"}:
        return None
    order = str(fields.get("orderId", ""))[:8]
    if fields["result"] == "sent":
        return f'{tag} to {fields.get("destination")} "{fields.get("subject")}" order {order}'
    return f"{tag} not sent to {fields.get('destination')}: {fields.get('reason')} order {order}"


def show_sent_messages() -> None:
    """Attach the console lines to the processors' logger (in the process that runs them)."""
    logging.getLogger(_PROCESSING_LOGGER).addHandler(SentMessageLines())

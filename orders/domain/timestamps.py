"""Moments as the service writes them: RFC 3339 in UTC, with milliseconds and a ``Z``."""

from __future__ import annotations

import functools
from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


# A request formats the same few moments again and again (an order's creation is also its first
# update, its first history entry and its message's time), and each isoformat takes about a
# microsecond; a cache hit, a twentieth of that.
@functools.lru_cache(maxsize=1024)
def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with millisecond precision and a ``Z``; sorts as text in time order."""
    # isoformat is several times faster than strftime.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(text: str) -> datetime:
    """The inverse of ``format_timestamp``; a time without an offset is refused (ValueError)."""
    moment = datetime.fromisoformat(text)  # Python 3.11+ reads the "Z" itself
    if moment.tzinfo is None:
        raise ValueError(f"{text} has no UTC offset")
    return moment

"""Moments as the service writes them: RFC 3339 in UTC, with milliseconds and a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with millisecond precision and a ``Z``; sorts as text in time order."""
    # isoformat is several times faster than strftime, and every document formats a few times.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(text: str) -> datetime:
    """The inverse of ``format_timestamp``; a time without an offset is refused (ValueError)."""
    moment = datetime.fromisoformat(text)  # Python 3.11+ reads the "Z" itself
    if moment.tzinfo is None:
        raise ValueError(f"{text} has no UTC offset")
    return moment

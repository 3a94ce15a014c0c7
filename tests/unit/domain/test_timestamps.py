"""Moments as text: RFC 3339 in UTC with milliseconds, whatever zone a moment was made in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from orders.domain.timestamps import format_timestamp, parse_timestamp

MADRID_SUMMER = timezone(timedelta(hours=2))


def test_a_moment_is_written_in_utc_with_milliseconds() -> None:
    moment = datetime(2026, 7, 14, 9, 30, 5, 123456, tzinfo=UTC)

    assert format_timestamp(moment) == "2026-07-14T09:30:05.123Z"


def test_the_same_instant_reads_the_same_from_any_zone_and_in_any_order() -> None:
    in_madrid = datetime(2026, 7, 14, 11, 30, 5, 123000, tzinfo=MADRID_SUMMER)
    in_utc = datetime(2026, 7, 14, 9, 30, 5, 123000, tzinfo=UTC)

    assert format_timestamp(in_madrid) == format_timestamp(in_utc) == "2026-07-14T09:30:05.123Z"
    assert format_timestamp(in_utc) == format_timestamp(in_madrid)


def test_a_whole_second_keeps_its_milliseconds() -> None:
    assert format_timestamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000Z"


def test_text_reads_back_as_the_moment_it_was_written_from() -> None:
    moment = datetime(2026, 7, 14, 9, 30, 5, 123000, tzinfo=UTC)

    assert parse_timestamp(format_timestamp(moment)) == moment

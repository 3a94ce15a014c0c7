"""LOG_LEVEL, set per stage in serverless.yml, decides what the service logs."""

from __future__ import annotations

import logging

import pytest

from orders.adapters.logs import configure_logging


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("WARNING", logging.WARNING),
        ("debug", logging.DEBUG),
        ("", logging.INFO),
        ("chatty", logging.INFO),
    ],
)
def test_log_level_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, level: int
) -> None:
    monkeypatch.setenv("LOG_LEVEL", value)
    service_logger = logging.getLogger("orders")
    monkeypatch.setattr(service_logger, "level", service_logger.level)

    configure_logging()

    assert service_logger.level == level

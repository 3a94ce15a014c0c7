"""Wires the use cases to their AWS adapters, once per process, on first use."""

from __future__ import annotations

import functools

from orders.aws import client, session
from orders.config import Settings
from orders.model import Status
from orders.notifier import SnsNotifier
from orders.repository import DynamoOrderRepository
from orders.router import SqsStatusRouter
from orders.services import DispatchSweeper, OrderService, StatusProcessor


@functools.cache
def settings() -> Settings:
    """The settings of this process."""
    return Settings.from_environment()


@functools.cache
def order_service() -> OrderService:
    """The API's use cases, backed by the Orders table and the status queues."""
    config = settings()
    return OrderService(
        DynamoOrderRepository(client("dynamodb"), config.orders_table),
        SqsStatusRouter(client("sqs"), config.queue_urls),
    )


@functools.cache
def status_processor(status: Status) -> StatusProcessor:
    """The processor of one status queue, backed by the Orders table and the topic."""
    config = settings()
    return StatusProcessor(
        status,
        DynamoOrderRepository(client("dynamodb"), config.orders_table),
        SnsNotifier(client("sns"), config.notifications_topic_arn),
    )


@functools.cache
def dispatch_sweeper() -> DispatchSweeper:
    """The sweeper of unconfirmed status messages, backed by the table and the status queues."""
    config = settings()
    return DispatchSweeper(
        DynamoOrderRepository(client("dynamodb"), config.orders_table),
        SqsStatusRouter(client("sqs"), config.queue_urls),
    )


def reset() -> None:
    """Forget the wiring and clients, so the next use reads the environment again (tests)."""
    for cached in (settings, order_service, status_processor, dispatch_sweeper, client, session):
        cached.cache_clear()

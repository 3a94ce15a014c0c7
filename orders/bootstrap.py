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
    return OrderService(_orders(), _router())


@functools.cache
def status_processor(status: Status) -> StatusProcessor:
    """The processor of one status queue, backed by the Orders table and the topic."""
    return StatusProcessor(
        status, _orders(), SnsNotifier(client("sns"), settings().notifications_topic_arn)
    )


@functools.cache
def dispatch_sweeper() -> DispatchSweeper:
    """The sweeper of unconfirmed status messages, backed by the table and the status queues."""
    return DispatchSweeper(_orders(), _router())


def _orders() -> DynamoOrderRepository:
    return DynamoOrderRepository(client("dynamodb"), settings().orders_table)


def _router() -> SqsStatusRouter:
    return SqsStatusRouter(client("sqs"), settings().queue_urls)


def reset() -> None:
    """Forget the wiring and clients, so the next use reads the environment again (tests)."""
    for cached in (settings, order_service, status_processor, dispatch_sweeper, client, session):
        cached.cache_clear()

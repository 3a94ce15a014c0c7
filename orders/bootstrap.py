"""Wires the use cases to their AWS adapters, once per process, on first use."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from orders.adapters.clients import client, session
from orders.adapters.config import Settings
from orders.adapters.metrics import EmfMetrics
from orders.adapters.orders_table.listing import DynamoOrderListing
from orders.adapters.orders_table.store import DynamoOrderStore
from orders.adapters.orders_table.tickets import DynamoTicketCounter
from orders.adapters.status_queues import SqsStatusQueues
from orders.domain.model import Status
from orders.usecases.order_service import OrderService

if TYPE_CHECKING:
    from orders.usecases.dispatch_sweep import DispatchSweeper
    from orders.usecases.status_processing import StatusProcessor


@functools.cache
def settings() -> Settings:
    """The settings of this process."""
    return Settings.from_environment()


@functools.cache
def order_service() -> OrderService:
    """The API's use cases, backed by the Orders table and the status queues."""
    table = settings().orders_table
    return OrderService(
        DynamoOrderStore(client("dynamodb"), table, settings().dispatch_grace),
        DynamoOrderListing(client("dynamodb"), table, settings().cursor_key),
        _queues(),
        DynamoTicketCounter(client("dynamodb"), table),
        metrics=metrics(),
    )


@functools.cache
def status_processor(status: Status) -> StatusProcessor:
    """The processor of one status queue: the Orders table, the events topic, SES and SNS SMS."""
    # Imported here, as in dispatch_sweeper, so that the API function, which never processes a
    # status, does not load these modules at its cold start (processors.py loads them at init).
    from orders.adapters.email import SesEmailSender
    from orders.adapters.order_events import SnsOrderEvents
    from orders.adapters.sms import SnsSmsSender
    from orders.usecases.status_processing import StatusProcessor

    return StatusProcessor(
        status,
        DynamoOrderStore(client("dynamodb"), settings().orders_table, settings().dispatch_grace),
        SnsOrderEvents(client("sns"), settings().order_events_topic_arn),
        SesEmailSender(client("sesv2"), settings().sender_email),
        SnsSmsSender(client("sns")),
        settings().delivery,
        metrics=metrics(),
    )


@functools.cache
def dispatch_sweeper() -> DispatchSweeper:
    """The sweeper of unconfirmed status messages, backed by the table and the status queues."""
    from orders.adapters.orders_table.dispatch import DynamoDispatchLedger
    from orders.usecases.dispatch_sweep import DispatchSweeper

    return DispatchSweeper(
        DynamoDispatchLedger(client("dynamodb"), settings().orders_table),
        _queues(),
        grace=settings().dispatch_grace,
    )


@functools.cache
def metrics() -> EmfMetrics:
    """Business metrics, as EMF lines on stdout, in the stage's namespace."""
    return EmfMetrics(settings().metrics_namespace)


def _queues() -> SqsStatusQueues:
    return SqsStatusQueues(client("sqs"), settings().queue_urls)


def reset() -> None:
    """Forget the wiring and clients, so the next use reads the environment again (tests)."""
    cached_ones = (settings, order_service, status_processor, dispatch_sweeper, metrics)
    for cached in (*cached_ones, client, session):
        cached.cache_clear()

"""API Lambda entry point: an API Gateway proxy event in, one use case, an HTTP response out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orders import bootstrap
from orders.adapters.clients import seconds_left, time_budget
from orders.adapters.logs import configure_logging, correlation_scope
from orders.api import validation
from orders.api.identity import staff_from_claims
from orders.api.problems import problem_response
from orders.api.requests import (
    CORRELATION_HEADER,
    Request,
    correlation_id_of,
    parse_event,
    parse_if_match,
)
from orders.api.responses import document_response, order_response, page_response
from orders.domain.roles import Permission, Staff, permissions_for

configure_logging()


def handle(event: Any, context: Any) -> dict[str, Any]:
    """Answer one API request; every failure becomes a problem+json response, never an exception."""
    request_id = str(getattr(context, "aws_request_id", "-"))
    correlation_id = correlation_id_of(event)
    with correlation_scope(correlation_id):
        try:
            request = parse_event(event, _ROUTES, correlation_id)
            with time_budget(seconds_left(context)):
                response = _ROUTES[(request.method, request.route)](request)
        except Exception as error:  # noqa: BLE001 - the edge answers every failure
            response = problem_response(error, request_id)
    response["headers"][CORRELATION_HEADER] = correlation_id
    return response


def _staff(request: Request, *needed: Permission) -> Staff:
    """Who signed in (401 if no one did), allowed ``needed`` by their groups (403 if not)."""
    staff = staff_from_claims(request.claims)
    staff.require(needed)
    return staff


def _create_order(request: Request) -> dict[str, Any]:
    staff = _staff(request, Permission.CREATE)
    new = validation.parse_new_order(request.json_body())
    key = validation.parse_idempotency_key(request.headers.get("idempotency-key"))
    service = bootstrap.order_service()
    created = service.create(new, staff.actor, key, request.correlation_id)
    headers = {"Location": request.url_of(f"/orders/{created.order.order_id}")}
    if created.replayed:
        headers["Idempotent-Replayed"] = "true"
    return order_response(201, created.order, headers)


def _get_order(request: Request) -> dict[str, Any]:
    _staff(request, Permission.READ)
    return document_response(200, bootstrap.order_service().get(request.order_id))


def _update_order(request: Request) -> dict[str, Any]:
    staff = _staff(request)
    patch = validation.parse_order_patch(request.json_body())
    if_match = parse_if_match(request.headers.get("if-match"))
    staff.require(permissions_for(patch))
    service = bootstrap.order_service()
    updated = service.update(request.order_id, patch, staff.actor, if_match, request.correlation_id)
    return order_response(200, updated)


def _list_orders(request: Request) -> dict[str, Any]:
    _staff(request, Permission.READ)
    query = validation.parse_list_query(request.query)
    return page_response(bootstrap.order_service().list(query))


_ROUTES: dict[tuple[str, str], Callable[[Request], dict[str, Any]]] = {
    ("POST", "/orders"): _create_order,
    ("GET", "/orders"): _list_orders,
    ("GET", "/orders/{orderId}"): _get_order,
    ("PUT", "/orders/{orderId}"): _update_order,
}

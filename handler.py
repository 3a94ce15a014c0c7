"""API Lambda entry point: an API Gateway proxy event in, one use case, an HTTP response out."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from orders import bootstrap, documents
from orders.errors import (
    ConcurrentUpdate,
    DependencyUnavailable,
    FieldError,
    IdempotencyKeyReused,
    InvalidCursor,
    OrderNotFound,
    TransitionNotAllowed,
    ValidationFailed,
    VersionMismatch,
)
from orders.logs import configure_logging
from orders.model import Order

logger = logging.getLogger("orders.api")
configure_logging()

MAX_BODY_BYTES = 16 * 1024
_JSON = "application/json"
_PROBLEM_JSON = "application/problem+json"


class HttpProblem(Exception):
    """A request refused at the HTTP layer, before any use case runs."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        super().__init__(detail)


class Request(NamedTuple):
    """The parts of an API Gateway proxy event the routes use; header names in lower case."""

    method: str
    route: str
    order_id: str
    headers: Mapping[str, str] = MappingProxyType({})
    query: Mapping[str, str] = MappingProxyType({})
    body: bytes | None = None

    def json_body(self) -> object:
        """The body as JSON, after the content type and size checks."""
        media_type, _, parameters = self.headers.get("content-type", "").partition(";")
        media_type = media_type.strip().lower()
        charset = parameters.strip().lower().removeprefix("charset=").strip('"')
        json_type = media_type == _JSON or (
            media_type.startswith("application/") and media_type.endswith("+json")
        )
        if not json_type or (parameters.strip() and charset not in ("utf-8", "utf8")):
            raise HttpProblem(
                415, "Unsupported Media Type", "Send the body as application/json (UTF-8)."
            )
        if not self.body:
            raise HttpProblem(400, "Bad Request", "The request needs a JSON body.")
        if len(self.body) > MAX_BODY_BYTES:
            raise HttpProblem(
                413, "Content Too Large", f"The body may be at most {MAX_BODY_BYTES} bytes."
            )
        try:
            return json.loads(self.body.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise HttpProblem(400, "Bad Request", "The body is not valid UTF-8 JSON.") from error


def handle(event: Any, context: Any) -> dict[str, Any]:
    """Answer one API request; every failure becomes a problem+json response, never an exception."""
    request_id = str(getattr(context, "aws_request_id", "-"))
    try:
        request = _parse_event(event)
        return _ROUTES[(request.method, request.route)](request)
    except Exception as error:  # noqa: BLE001 - the edge answers every failure
        return _problem_response(error, request_id)


def _create_order(request: Request) -> dict[str, Any]:
    created = bootstrap.order_service().create(
        request.json_body(), request.headers.get("idempotency-key")
    )
    headers = {"Location": f"/orders/{created.order.order_id}"}
    if created.replayed:
        headers["Idempotent-Replayed"] = "true"
    return _order_response(201, created.order, headers)


def _get_order(request: Request) -> dict[str, Any]:
    return _order_response(200, bootstrap.order_service().get(request.order_id))


def _update_order(request: Request) -> dict[str, Any]:
    body = request.json_body()
    if_match = _parse_if_match(request.headers.get("if-match"))
    return _order_response(200, bootstrap.order_service().update(request.order_id, body, if_match))


def _list_orders(request: Request) -> dict[str, Any]:
    page = bootstrap.order_service().list(request.query)
    body = {
        "items": [documents.order_to_document(order) for order in page.items],
        "nextCursor": page.next_cursor,
    }
    return _response(200, body)


_ROUTES: dict[tuple[str, str], Callable[[Request], dict[str, Any]]] = {
    ("POST", "/orders"): _create_order,
    ("GET", "/orders"): _list_orders,
    ("GET", "/orders/{orderId}"): _get_order,
    ("PUT", "/orders/{orderId}"): _update_order,
}


def _parse_event(event: Any) -> Request:
    if not isinstance(event, Mapping):
        raise HttpProblem(400, "Bad Request", "The request is not an API Gateway proxy event.")
    method, route = event.get("httpMethod"), event.get("resource")
    if not isinstance(method, str) or not isinstance(route, str):
        raise HttpProblem(400, "Bad Request", "The request is not an API Gateway proxy event.")
    if route not in {known for _, known in _ROUTES}:
        raise HttpProblem(404, "Not Found", "No such resource.")
    if (method.upper(), route) not in _ROUTES:
        raise HttpProblem(405, "Method Not Allowed", f"{route} does not accept {method}.")
    order_id = ""
    if "{orderId}" in route:
        order_id = _string_map(event.get("pathParameters")).get("orderId", "")
        if not order_id:
            raise HttpProblem(400, "Bad Request", "The path needs an order id.")
    return Request(
        method=method.upper(),
        route=route,
        order_id=order_id,
        headers={name.lower(): value for name, value in _string_map(event.get("headers")).items()},
        query=_query(event),
        body=_body(event),
    )


def _query(event: Mapping[str, Any]) -> dict[str, str]:
    repeated = [
        name
        for name, values in _mapping(event.get("multiValueQueryStringParameters")).items()
        if isinstance(values, list) and len(values) > 1
    ]
    if repeated:
        raise ValidationFailed(FieldError(name, "must be given once") for name in sorted(repeated))
    return _string_map(event.get("queryStringParameters"))


def _body(event: Mapping[str, Any]) -> bytes | None:
    body = event.get("body")
    if body is None:
        return None
    if not isinstance(body, str):
        raise HttpProblem(400, "Bad Request", "The body is not valid UTF-8 JSON.")
    try:
        if event.get("isBase64Encoded"):
            return base64.b64decode(body, validate=True)
        return body.encode("utf-8")
    except (binascii.Error, ValueError) as error:
        raise HttpProblem(400, "Bad Request", "The body is not valid UTF-8 JSON.") from error


def _parse_if_match(value: str | None) -> int | None:
    """The version an ``If-Match`` header names; ``None`` for no header or ``*``."""
    if value is None or value.strip() == "*":
        return None
    tag = value.strip().removeprefix("W/").strip('"')
    if not (tag.isascii() and tag.isdigit() and len(tag) <= 18):
        message = 'must be one entity tag from an ETag header, e.g. "3"'
        raise ValidationFailed([FieldError("If-Match", message)])
    return int(tag)


def _order_response(
    status: int, order: Order, headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    return _response(
        status,
        documents.order_to_document(order),
        {"ETag": f'"{order.version}"', **(headers or {})},
    )


def _response(
    status: int, body: object, headers: Mapping[str, str] | None = None, content_type: str = _JSON
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_type, **(headers or {})},
        "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
    }


class _Problem(NamedTuple):
    status: int
    slug: str
    title: str
    detail: Callable[[Any], str]


# The one table from failure to HTTP status. Looked up along the exception's class hierarchy.
_PROBLEMS: dict[type[Exception], _Problem] = {
    ValidationFailed: _Problem(
        400,
        "validation-error",
        "Invalid request",
        lambda e: f"{len(e.errors)} field(s) are invalid; see errors.",
    ),
    InvalidCursor: _Problem(
        400,
        "invalid-cursor",
        "Invalid cursor",
        lambda e: "The cursor is not one this service issued for this listing.",
    ),
    OrderNotFound: _Problem(
        404, "order-not-found", "Order not found", lambda e: "No order has this id."
    ),
    TransitionNotAllowed: _Problem(
        409,
        "transition-not-allowed",
        "Transition not allowed",
        lambda e: (
            f"An order in status {e.current} cannot move to {e.requested}; "
            f"allowed next statuses: {', '.join(e.allowed) or 'none, it is final'}."
        ),
    ),
    ConcurrentUpdate: _Problem(
        409,
        "concurrent-update",
        "Concurrent update",
        lambda e: "The order kept changing while this update was applied; fetch it and retry.",
    ),
    VersionMismatch: _Problem(
        412,
        "version-mismatch",
        "Precondition failed",
        lambda e: f"The order is at version {e.actual}, not {e.expected}; fetch it and retry.",
    ),
    IdempotencyKeyReused: _Problem(
        422,
        "idempotency-key-reused",
        "Idempotency-Key reused",
        lambda e: "This Idempotency-Key already created an order from a different body.",
    ),
    DependencyUnavailable: _Problem(
        503,
        "service-unavailable",
        "Service unavailable",
        lambda e: f"A storage or queue service is busy; retry in {e.retry_after_seconds} s.",
    ),
}


def _problem_response(error: Exception, request_id: str) -> dict[str, Any]:
    headers: dict[str, str] = {}
    body: dict[str, Any]
    problem = next((_PROBLEMS[kind] for kind in type(error).__mro__ if kind in _PROBLEMS), None)
    if isinstance(error, HttpProblem):
        body = _problem_body(error.status, _slug(error.title), error.title, error.detail)
    elif problem is not None:
        body = _problem_body(problem.status, problem.slug, problem.title, problem.detail(error))
    else:
        logger.exception("unexpected failure", extra={"requestId": request_id})
        body = _problem_body(
            500,
            "internal-error",
            "Internal error",
            f"Something went wrong on our side (request {request_id}).",
        )
    if isinstance(error, ValidationFailed):
        body["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
    if isinstance(error, DependencyUnavailable):
        headers["Retry-After"] = str(error.retry_after_seconds)
        logger.warning("dependency unavailable: %s", error, extra={"requestId": request_id})
    return _response(body["status"], body, headers, _PROBLEM_JSON)


def _problem_body(status: int, slug: str, title: str, detail: str) -> dict[str, Any]:
    return {
        "type": f"urn:orders:problem:{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }


def _slug(title: str) -> str:
    return title.lower().replace(" ", "-")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _string_map(value: object) -> dict[str, str]:
    return {str(k): v for k, v in _mapping(value).items() if isinstance(v, str)}

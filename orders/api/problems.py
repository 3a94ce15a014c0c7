"""The one table from failure to HTTP status, and the problem+json body (RFC 9457) of each."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NamedTuple

from orders.api.requests import HttpProblem
from orders.api.responses import response
from orders.domain.errors import (
    ConcurrentUpdate,
    DependencyUnavailable,
    Forbidden,
    IdempotencyKeyReused,
    InvalidCursor,
    NoteNeedsStatusChange,
    OrderIsFinal,
    OrderNotFound,
    TransitionNotAllowed,
    ValidationFailed,
    VersionMismatch,
)

logger = logging.getLogger("orders.api")

PROBLEM_JSON = "application/problem+json"


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
    Forbidden: _Problem(
        403,
        "forbidden",
        "Forbidden",
        lambda e: (
            f"Your groups ({', '.join(e.groups)}) do not allow {e.permission}."
            if e.groups
            else f"You are in no staff group, so {e.permission} is not allowed: an admin adds "
            "you to frontdesk, technician or admin."
        ),
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
    OrderIsFinal: _Problem(
        409,
        "order-is-final",
        "Order is final",
        lambda e: f"The order is {e.status}, which is final: its fields no longer change.",
    ),
    NoteNeedsStatusChange: _Problem(
        409,
        "note-needs-status-change",
        "Note needs a status change",
        lambda e: (
            f"The order is already {e.status}: a note is kept on the history entry of a status "
            f"change, and the entry of {e.status} has another note."
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
        "Version mismatch",
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


def problem_response(error: Exception, request_id: str) -> dict[str, Any]:
    headers: dict[str, str] = {}
    body: dict[str, Any]
    problem = next((_PROBLEMS[kind] for kind in type(error).__mro__ if kind in _PROBLEMS), None)
    if isinstance(error, HttpProblem):
        body = _problem_body(error.status, _slug(error.title), error.title, error.detail)
        headers |= error.headers
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
    if isinstance(error, Forbidden):
        body["permission"] = error.permission
    if isinstance(error, ValidationFailed):
        body["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
    if isinstance(error, DependencyUnavailable):
        headers["Retry-After"] = str(error.retry_after_seconds)
        logger.warning("dependency unavailable: %s", error, extra={"requestId": request_id})
    return response(body["status"], body, headers, PROBLEM_JSON)


def _problem_body(status: int, slug: str, title: str, detail: str) -> dict[str, Any]:
    return {
        "type": f"urn:orders:problem:{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }


def _slug(title: str) -> str:
    return title.lower().replace(" ", "-")

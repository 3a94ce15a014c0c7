"""API Gateway proxy events in: the request the routes read, or an HTTP problem."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, TypeGuard

from orders.api.validation import HTTP_WHITESPACE, quoted
from orders.domain.errors import FieldError, ValidationFailed

MAX_BODY_BYTES = 16 * 1024
# Python's own limit on the digits of an integer read from text (sys.get_int_max_str_digits).
MAX_NUMBER_DIGITS = 4300
JSON = "application/json"
CORRELATION_HEADER = "X-Correlation-Id"
# Ids that other systems make (UUIDs, ULIDs, trace ids, "till-2/receipt-0042"): safe in a header
# and a log line as they are.
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")
# The headers that hold one value, by lower-case name, each with the name an error gives it.
_SINGLE_VALUED = {
    "if-match": "If-Match",
    "idempotency-key": "Idempotency-Key",
    "x-correlation-id": CORRELATION_HEADER,
}
# An entity tag (RFC 9110 section 8.8.3): optionally weak, then visible ASCII but DQUOTE or
# obs-text (what a header carries above ASCII, read as Latin-1), quoted.
_ENTITY_TAG = re.compile(r'(W/)?"([!#-~\x80-\xff]*)"')


class HttpProblem(Exception):
    """A request refused at the HTTP layer, before any use case runs."""

    def __init__(
        self, status: int, title: str, detail: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})
        super().__init__(detail)


class Request(NamedTuple):
    """The parts of an API Gateway proxy event the routes use; header names in lower case."""

    method: str
    route: str
    order_id: str
    headers: Mapping[str, str] = MappingProxyType({})
    query: Mapping[str, str] = MappingProxyType({})
    body: bytes | None = None
    correlation_id: str | None = None
    # The path before the route as the client reached it: "/<stage>" on API Gateway's own
    # domain, a custom domain's base path, or "" (serverless-offline, a domain at its root).
    base_path: str = ""
    # What API Gateway's Cognito authorizer verified (``requestContext.authorizer.claims``):
    # ``None`` on a route without one. ``identity.staff_from_claims`` reads them.
    claims: object = None

    def url_of(self, path: str) -> str:
        """The URL path of ``path`` (e.g. ``/orders/{id}``) as this request's client reaches it."""
        return f"{self.base_path}{path}"

    def json_body(self) -> object:
        """The body as JSON, after the content type and size checks."""
        media_type, _, parameters = self.headers.get("content-type", "").partition(";")
        media_type = media_type.strip().lower()
        charset = parameters.strip().lower().removeprefix("charset=").strip('"')
        json_type = media_type == JSON or (
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
            document = _DECODER.decode(self.body.decode("utf-8"))
        except _DuplicateKey as error:
            detail = f'The body gives "{quoted(error.key)}" twice in one object; send it once.'
            raise HttpProblem(400, "Bad Request", detail) from error
        except _NumberTooLong as error:
            detail = f"The body holds a number of more than {MAX_NUMBER_DIGITS} digits."
            raise HttpProblem(400, "Bad Request", detail) from error
        except RecursionError as error:
            detail = "The body nests arrays or objects too deeply to be read as an order."
            raise HttpProblem(400, "Bad Request", detail) from error
        except (UnicodeDecodeError, ValueError) as error:
            raise HttpProblem(
                400, "Bad Request", "The body is not valid UTF-8 JSON; send a JSON object."
            ) from error
        return document


def parse_event(
    event: Any, routes: Collection[tuple[str, str]], correlation_id: str | None = None
) -> Request:
    """The request in a proxy event for one of ``routes`` (method, resource path).

    ``correlation_id``: the event's, when the caller has already read it (``correlation_id_of``).
    """
    if not _is_mapping(event):
        raise HttpProblem(400, "Bad Request", "The request is not an API Gateway proxy event.")
    method, route = event.get("httpMethod"), event.get("resource")
    if not isinstance(method, str) or not isinstance(route, str):
        raise HttpProblem(400, "Bad Request", "The request is not an API Gateway proxy event.")
    method = method.upper()
    if (method, route) not in routes:
        if not any(path == route for _, path in routes):
            raise HttpProblem(404, "Not Found", "No such resource.")
        allow = ", ".join(sorted(known for known, path in routes if path == route))
        raise HttpProblem(
            405, "Method Not Allowed", f"{route} accepts {allow} only.", {"Allow": allow}
        )
    order_id = ""
    if "{orderId}" in route:
        order_id = _string_map(event.get("pathParameters")).get("orderId", "")
        if not order_id:
            raise HttpProblem(400, "Bad Request", "The path needs an order id.")
    headers = _headers(event)
    sent = headers.get("x-correlation-id")
    if sent is not None and not _CORRELATION_ID.fullmatch(sent):
        message = "must be 1 to 128 letters, digits or . _ : / + = @ -"
        raise ValidationFailed([FieldError(CORRELATION_HEADER, message)])
    context = _mapping(event.get("requestContext"))
    return Request(
        method=method,
        route=route,
        order_id=order_id,
        headers=headers,
        query=_query(event),
        body=_body(event),
        correlation_id=correlation_id or correlation_id_of(event),
        base_path=_base_path(context, route.replace("{orderId}", order_id)),
        claims=_mapping(context.get("authorizer")).get("claims"),
    )


def correlation_id_of(event: Any) -> str:
    """The request's ``X-Correlation-Id``, or API Gateway's request id when it sent none (or a
    malformed one, which ``parse_event`` refuses)."""
    if not _is_mapping(event):
        return str(uuid.uuid4())
    headers = _mapping(event.get("headers"))
    for name, sent in headers.items():
        if isinstance(sent, str) and str(name).lower() == "x-correlation-id":
            if _CORRELATION_ID.fullmatch(sent):
                return sent
            break
    context = _mapping(event.get("requestContext"))
    request_id = context.get("requestId")
    return request_id if isinstance(request_id, str) and request_id else str(uuid.uuid4())


def parse_if_match(value: str | None) -> int | None:
    """The version an ``If-Match`` header names; ``None`` for no header or ``*``.

    The header is ``*`` or one entity tag, as the order's ``ETag`` gave it; a list of tags or
    a bare value is a 400. ``If-Match`` uses the strong comparison (RFC 9110 section 13.1.1):
    a weak tag never matches, and neither does a tag this service never issues (``"abc"``,
    ``"007"``), so the precondition fails (412) whatever the order's version.
    """
    if value is None or value.strip(HTTP_WHITESPACE) == "*":
        return None
    tag = value.strip(HTTP_WHITESPACE)
    match = _ENTITY_TAG.fullmatch(tag)
    if match is None:
        message = 'must be * or one entity tag from an ETag header, e.g. "3"'
        raise ValidationFailed([FieldError("If-Match", message)])
    weak, opaque = match.groups()
    if weak:
        detail = f"{quoted(tag)} is a weak entity tag, which never matches; send the ETag as is."
        raise HttpProblem(412, "Precondition Failed", detail)
    if not (opaque.isdigit() and len(opaque) <= 18 and str(int(opaque)) == opaque):
        detail = (
            f"{quoted(tag)} is no ETag this service issues, so it never matches; "
            "send the ETag as is."
        )
        raise HttpProblem(412, "Precondition Failed", detail)
    return int(opaque)


def _base_path(context: Mapping[str, Any], resource_path: str) -> str:
    """What precedes the route in the path the client asked for (``requestContext.path``)."""
    full = context.get("path")
    if not isinstance(full, str) or not full.endswith(resource_path):
        return ""
    base = full[: len(full) - len(resource_path)].rstrip("/")
    # Only a plain path prefix: never a scheme, a host or a character a header cannot carry.
    if base and not (base.startswith("/") and base.isascii() and base.isprintable()):
        return ""
    return "" if "//" in base else base


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    """The headers by lower-case name; those that hold one value must come on one line.

    Two ``If-Match`` lines are a list of tags (RFC 9110 section 5.3), which API Gateway would
    otherwise hand over as the last one alone. Header names are case-insensitive, so
    ``X-Correlation-Id`` and ``x-correlation-id`` are two lines of one header, which API
    Gateway keeps apart by their spelling.
    """
    headers: dict[str, str] = {}
    spellings: dict[str, int] = {}  # an event may come without multiValueHeaders
    for name, value in _mapping(event.get("headers")).items():
        if isinstance(value, str):
            lower = str(name).lower()
            headers[lower] = value
            spellings[lower] = spellings.get(lower, 0) + 1
    lines: dict[str, int] = {}
    for name, values in _mapping(event.get("multiValueHeaders")).items():
        if isinstance(values, list):
            lower = str(name).lower()
            lines[lower] = lines.get(lower, 0) + len(values)
    repeated = [
        label
        for name, label in _SINGLE_VALUED.items()
        if max(spellings.get(name, 0), lines.get(name, 0)) > 1
    ]
    if repeated:
        raise ValidationFailed(FieldError(name, "must be given once") for name in sorted(repeated))
    return headers


def _query(event: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters; each must come once (query names are case-sensitive)."""
    repeated = [
        str(name)
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
        # API Gateway always passes the body as text; a proxy or an invoke that decoded it
        # already sent a JSON value, which is not a reason to call the JSON invalid.
        detail = "The body must be a JSON object, sent as JSON text."
        raise HttpProblem(400, "Bad Request", detail)
    try:
        if event.get("isBase64Encoded"):
            return base64.b64decode(body, validate=True)
        return body.encode("utf-8")
    except (binascii.Error, ValueError) as error:
        raise HttpProblem(400, "Bad Request", "The body is not valid UTF-8 JSON.") from error


class _DuplicateKey(ValueError):
    """A JSON object names ``key`` more than once (the decoder would keep the last silently)."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"{key!r} given twice")


class _NumberTooLong(ValueError):
    """A JSON integer with more digits than Python turns into an int."""


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return found


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _NumberTooLong
    return int(digits)


# Built once: json.loads with options builds a new decoder per call.
_DECODER = json.JSONDecoder(
    parse_constant=_reject_constant, object_pairs_hook=_object, parse_int=_integer
)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if _is_mapping(value) else {}


def _is_mapping(value: object) -> TypeGuard[Mapping[str, Any]]:
    # A proxy event and its parts are dicts or None, both told apart at once: the check against
    # Mapping (an ABC) costs about four times more, and would run several times per request.
    return isinstance(value, dict) or (value is not None and isinstance(value, Mapping))


def _string_map(value: object) -> dict[str, str]:
    return {str(k): v for k, v in _mapping(value).items() if isinstance(v, str)}

"""HTTP responses out: order documents with their ETag, pages, and the proxy response shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orders.api.requests import JSON
from orders.domain import documents
from orders.domain.model import Order
from orders.json_text import compact_json
from orders.usecases.ports import Page


def order_response(
    status: int, order: Order, headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The order as the body, its version as the ``ETag``."""
    return document_response(status, documents.order_to_document(order), headers)


def document_response(
    status: int, document: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """An order's document as the body, its version as the ``ETag``."""
    return response(status, document, {"ETag": f'"{document["version"]}"', **(headers or {})})


def page_response(page: Page) -> dict[str, Any]:
    """One page of a listing and the cursor of the next."""
    body = {"items": page.items, "nextCursor": page.next_cursor}
    return response(200, body)


def response(
    status: int, body: object, headers: Mapping[str, str] | None = None, content_type: str = JSON
) -> dict[str, Any]:
    """An API Gateway proxy response with a compact UTF-8 JSON body."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_type, **(headers or {})},
        "body": compact_json(body),
    }

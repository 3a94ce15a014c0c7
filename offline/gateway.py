"""The local API Gateway: the REST API of ``serverless.yml`` in front of a pool of warm Lambdas.

It serves the ``http`` events' routes (no stage prefix), checks the ID token of a route with a
Cognito authorizer as API Gateway does (offline/authorizer.py), answers its own refusals with the
template's gateway responses (or API Gateway's defaults), builds the Lambda proxy event (path
parameters, query strings, headers, the caller's claims, a request id per request) and turns the
function's response into HTTP.
A fixed number of workers run the function; a request waits for a free one, and if none frees
within the wait it gets a 503 problem, so a burst is answered truly instead of timing out.
One console line per request; ``--verbose`` adds the service's JSON logs.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from offline.authorizer import CognitoAuthorizer, Refused, fetch_jwks
from offline.console import say
from offline.definition import COGNITO_USER_POOLS, Route, http_routes
from offline.lambda_runtime import ACCOUNT, InvocationFailed, Saturated, WorkerPool
from offline.processes import stop_with_supervisor
from orders.api.requests import correlation_id_of


def _werkzeug_rule(route: Route, index: int) -> Rule:
    # /orders/{orderId} -> /orders/<orderId>: one path segment, as API Gateway matches it.
    path = route.path.replace("{", "<").replace("}", ">")
    return Rule(path, methods=[route.method], endpoint=index, strict_slashes=False)


def _aws_message(status: int, message: str) -> Response:
    """API Gateway's own answers (502): ``{"message": ...}``, not a problem."""
    return Response(json.dumps({"message": message}), status, content_type="application/json")


@dataclass(frozen=True)
class _Refusal:
    """One of API Gateway's own refusals: its default status, message and error type."""

    status: int
    message: str
    error_type: str


# The refusals the local gateway makes, with API Gateway's defaults for them.
REFUSALS = {
    "UNAUTHORIZED": _Refusal(401, "Unauthorized", "UnauthorizedException"),
    "MISSING_AUTHENTICATION_TOKEN": _Refusal(
        403, "Missing Authentication Token", "MissingAuthenticationTokenException"
    ),
}
# The environ key of a request's header lines as received: (name, value) pairs, in order.
HEADER_LINES = "offline.header_lines"
_CONTEXT_VARIABLE = re.compile(r"\$(?:context\.([\w.]+)|\{context\.([\w.]+)\})")


class GatewayResponses:
    """API Gateway's refusals as the template's ``AWS::ApiGateway::GatewayResponse`` shape them.

    A response type the template customizes answers with its status, headers and JSON body; one
    it does not falls back to its ``DEFAULT_4XX``, then to API Gateway's ``{"message": ...}``.
    """

    def __init__(self, template: dict[str, Any]) -> None:
        self._declared = {
            str(resource["Properties"]["ResponseType"]): resource["Properties"]
            for resource in template["Resources"].values()
            if resource["Type"] == "AWS::ApiGateway::GatewayResponse"
        }
        for declared in self._declared.values():
            for value in declared.get("ResponseParameters", {}).values():
                if not _is_static(value) and not value.startswith("method.request.header."):
                    raise ValueError(f"the local gateway cannot map a gateway response's {value}")

    def answer(self, response_type: str, request: Request, request_id: str) -> Response:
        refusal = REFUSALS[response_type]
        status = refusal.status
        declared = self._declared.get("DEFAULT_4XX", {})
        if response_type in self._declared:
            declared = self._declared[response_type]
            status = int(declared.get("StatusCode", status))
        context = {
            "requestId": request_id,
            "error.message": refusal.message,
            "error.messageString": json.dumps(refusal.message),
            "error.responseType": response_type,
        }
        templates = declared.get("ResponseTemplates") or {}
        body = templates.get("application/json", next(iter(templates.values()), None))
        if body is None:
            body = json.dumps({"message": refusal.message})
        else:
            body = _CONTEXT_VARIABLE.sub(lambda m: context.get(m[1] or m[2], m[0]), body)
        response = Response(body, content_type="application/json")
        response.status = f"{status} {HTTPStatus(status).phrase}"
        for name, value in declared.get("ResponseParameters", {}).items():
            header = name.removeprefix("gatewayresponse.header.")
            if _is_static(value):
                response.headers[header] = value[1:-1]
            elif (
                sent := request.headers.get(value.removeprefix("method.request.header."))
            ) is not None:
                response.headers[header] = sent
        response.headers["x-amzn-RequestId"] = request_id
        response.headers["x-amzn-ErrorType"] = refusal.error_type
        return response


def _is_static(value: str) -> bool:
    return len(value) >= 2 and value[0] == value[-1] == "'"


def _saturated(waited_s: float, workers: int, correlation_id: str, request_id: str) -> Response:
    """The local stack's own 503, with the headers every answer of the API carries."""
    body = {
        "type": "urn:orders:problem:local-stack-saturated",
        "title": "Service unavailable",
        "status": 503,
        "detail": (
            f"All {workers} local API workers stayed busy for {waited_s:.0f} s; retry in 1 s."
        ),
    }
    headers = {
        "Retry-After": "1",
        "X-Correlation-Id": correlation_id,
        "x-amzn-RequestId": request_id,
    }
    return Response(json.dumps(body), 503, content_type="application/problem+json", headers=headers)


def _shown_query(request: Request) -> str:
    """The query string for the console, long values (cursors) cut short."""
    shown = [
        f"{name}={value if len(value) <= 16 else value[:12] + '…'}"
        for name, value in request.args.items(multi=True)
    ]
    return "?" + "&".join(shown) if shown else ""


def _shortened(text: str, limit: int = 120) -> str:
    """A reason for the console, cut short (``say`` escapes what is not printable)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Gateway:
    """The WSGI application: route, check the token, invoke, answer, log one line."""

    def __init__(
        self,
        routes: list[Route],
        pools: dict[str, WorkerPool],
        authorizer: CognitoAuthorizer | None,
        responses: GatewayResponses,
        wait_s: float,
        verbose: bool = False,
    ) -> None:
        if authorizer is None and any(route.authorizer for route in routes):
            raise ValueError("routes have a Cognito authorizer: give the user pool to check with")
        self._routes = routes
        self._rules = Map(
            [_werkzeug_rule(route, index) for index, route in enumerate(routes)],
            merge_slashes=False,
        )
        self._pools = pools
        self._authorizer = authorizer
        self._responses = responses
        self._wait_s = wait_s
        self._verbose = verbose

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.perf_counter()
        request = Request(environ)
        response, note = self._answer(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        target = request.path + _shown_query(request)
        say(f"{request.method} {target} {response.status_code} {elapsed_ms:.0f} ms{note}")
        return response(environ, start_response)

    def _answer(self, request: Request) -> tuple[Response, str]:
        request_id = str(uuid.uuid4())
        try:
            index, matched = self._rules.bind_to_environ(request.environ).match()
        except (NotFound, MethodNotAllowed):
            # API Gateway (REST) answers an unknown path or method this way.
            refusal = self._responses.answer("MISSING_AUTHENTICATION_TOKEN", request, request_id)
            return refusal, ""
        route = self._routes[index]
        parameters = {str(name): str(value) for name, value in matched.items()}
        claims = None
        if route.authorizer == COGNITO_USER_POOLS and self._authorizer is not None:
            try:
                claims = self._authorizer.claims(request.headers.get("Authorization"))
            except Refused as refused:
                refusal = self._responses.answer("UNAUTHORIZED", request, request_id)
                return refusal, f" unauthorized ({_shortened(str(refused))})"
        invocation_id = str(uuid.uuid4())
        event = self._event(request, route, parameters, request_id, claims)
        pool = self._pools[route.function.name]
        try:
            result = pool.invoke(event, invocation_id, self._wait_s)
        except Saturated as saturated:
            answer = _saturated(saturated.waited_s, pool.size, correlation_id_of(event), request_id)
            return answer, " (all workers busy)"
        except InvocationFailed as failure:
            # A function error or timeout: API Gateway answers 502 and logs the reason.
            response = _aws_message(502, "Internal server error")
            return response, f" request={invocation_id} ({failure.reason})"
        answered = self._response(result, request_id)
        if answered is None:
            return _aws_message(502, "Internal server error"), (
                f" request={invocation_id} (malformed Lambda proxy response)"
            )
        note = self._note(answered, parameters, invocation_id)
        if self._verbose and "request=" not in note:
            note += f" request={invocation_id}"  # to find the request's JSON lines above
        return answered, note

    @staticmethod
    def _event(
        request: Request,
        route: Route,
        parameters: dict[str, str],
        request_id: str,
        claims: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The REST API's Lambda proxy (payload 1.0) event; ``claims`` those of the ID token."""
        headers: dict[str, list[str]] = {}
        # Each line as received; an environ not made by this server (a test client's) has
        # only one value per name.
        for name, value in request.environ.get(HEADER_LINES) or request.headers.items():
            headers.setdefault(name, []).append(value)
        query: dict[str, list[str]] = {name: request.args.getlist(name) for name in request.args}
        raw = request.get_data(cache=False)
        body: str | None = None
        encoded = False
        if raw:
            try:
                body = raw.decode("utf-8")
            except UnicodeDecodeError:
                body, encoded = base64.b64encode(raw).decode("ascii"), True
        now = datetime.now(UTC)
        context: dict[str, Any] = {} if claims is None else {"authorizer": {"claims": claims}}
        return {
            "resource": route.path,
            "path": request.path,
            "httpMethod": request.method,
            "headers": {name: values[-1] for name, values in headers.items()} or None,
            "multiValueHeaders": headers or None,
            "queryStringParameters": {name: v[-1] for name, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": parameters or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": ACCOUNT,
                "apiId": "local",
                "resourceId": route.path,
                "resourcePath": route.path,
                "httpMethod": request.method,
                "path": request.path,
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "stage": "local",
                "domainName": request.host,
                "requestId": request_id,
                "extendedRequestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "identity": {
                    "sourceIp": request.remote_addr,
                    "userAgent": request.user_agent.string or None,
                },
                **context,
            },
            "body": body,
            "isBase64Encoded": encoded,
        }

    @staticmethod
    def _response(result: Any, request_id: str) -> Response | None:
        """The function's proxy response as HTTP; ``None`` when it is not a valid one."""
        if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
            return None
        body = result.get("body") or ""
        if not isinstance(body, str):
            return None
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
        code = result["statusCode"]
        response = Response(data, code)
        with contextlib.suppress(ValueError):
            response.status = f"{code} {HTTPStatus(code).phrase}"  # "201 Created", as AWS says
        response.headers.remove("Content-Type")
        for name, value in (result.get("headers") or {}).items():
            response.headers[name] = str(value)
        for name, values in (result.get("multiValueHeaders") or {}).items():
            response.headers.remove(name)
            for value in values:
                response.headers.add(name, str(value))
        if "Content-Type" not in response.headers:
            response.headers["Content-Type"] = "application/json"  # API Gateway's default
        response.headers["x-amzn-RequestId"] = request_id
        return response

    @staticmethod
    def _note(response: Response, parameters: dict[str, str], invocation_id: str) -> str:
        """What the console line adds: the order, the problem, the request id of a 5xx."""
        order_id = parameters.get("orderId", "")
        problem = ""
        try:
            body = json.loads(response.get_data())
        except ValueError:
            body = None
        if isinstance(body, dict):
            order_id = str(body.get("orderId", order_id))
            if isinstance(body.get("type"), str):
                problem = " " + body["type"].rpartition(":")[2]
            if isinstance(body.get("items"), list):
                problem = f" {len(body['items'])} item(s)"
        note = f" order={order_id[:8]}" if order_id else ""
        if response.status_code >= 500:
            note += f" request={invocation_id}"
        return note + problem


class _RequestHandler(WSGIRequestHandler):
    """Keeps each header line of a request apart, and leaves the request's line to the gateway.

    The WSGI environ has one value per header name: werkzeug joins repeated lines with commas
    (``Idempotency-Key: a`` twice becomes ``a,a``), where API Gateway keeps each line in
    ``multiValueHeaders``. The lines as received are put in the environ under ``HEADER_LINES``.
    """

    def make_environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().make_environ()
        environ[HEADER_LINES] = [
            (name, value.replace("\r\n", "")) for name, value in self.headers.items()
        ]
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return  # the gateway writes its own line per request; werkzeug's would repeat it

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The HTTP server's own refusals, before the gateway sees a request (a request line over
        64 KiB: 414; a malformed one: 400; too many header lines: 431), as problem+json with a
        correlation id like every other answer, not the standard library's HTML page."""
        status = HTTPStatus(code)
        request_id = str(uuid.uuid4())
        body = json.dumps(
            {
                "type": f"urn:orders:problem:{status.phrase.lower().replace(' ', '-')}",
                "title": status.phrase,
                "status": code,
                "detail": f"{explain or message or status.description}.".replace("..", "."),
            }
        ).encode()
        self.close_connection = True
        self.send_response(code, status.phrase)
        for name, value in (
            ("Content-Type", "application/problem+json"),
            ("Content-Length", str(len(body))),
            ("X-Correlation-Id", request_id),
            ("x-amzn-RequestId", request_id),
            ("Connection", "close"),
        ):
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        say(f"{self.command or '-'} {code} (refused by the HTTP server: {status.phrase})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m offline.gateway", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user-pool-id", help="the pool whose ID tokens the authorizer accepts")
    parser.add_argument(
        "--user-pool-client-id",
        action="append",
        default=[],
        help="an app client of that pool whose ID tokens it accepts (repeatable)",
    )
    parser.add_argument(
        "--template",
        type=Path,
        required=True,
        help="the packaged template, whose gateway responses shape the gateway's own refusals",
    )
    parser.add_argument("--workers", type=int, default=4, help="warm API workers (default 4)")
    parser.add_argument(
        "--wait", type=float, default=20, help="seconds a request waits for a worker (default 20)"
    )
    parser.add_argument("--verbose", action="store_true", help="also the service's JSON logs")
    args = parser.parse_args(argv)

    routes = http_routes()
    authorizer = None
    if args.user_pool_id:
        # The pool's keys, fetched once from the emulator (AWS_ENDPOINT_URL), as API Gateway
        # knows its pool's keys.
        jwks = fetch_jwks(os.environ["AWS_ENDPOINT_URL"], args.user_pool_id)
        authorizer = CognitoAuthorizer(args.user_pool_id, args.user_pool_client_id, jwks)
    responses = GatewayResponses(json.loads(args.template.read_text()))
    functions = {route.function.name: route.function for route in routes}
    pools = {name: WorkerPool(f, args.workers, args.verbose) for name, f in functions.items()}
    for pool in pools.values():
        pool.start()
    names = ", ".join(f"{r.method} {r.path}" for r in routes)
    workers = ", ".join(f"{name}: {pool.size} warm workers" for name, pool in pools.items())
    say(f"{len(routes)} routes from serverless.yml ({names}); {workers}")
    app = Gateway(routes, pools, authorizer, responses, args.wait, args.verbose)
    server = make_server(
        "127.0.0.1", args.port, app, threaded=True, request_handler=_RequestHandler
    )
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    stop_with_supervisor()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stopping.wait()
    server.shutdown()
    for pool in pools.values():
        pool.stop()


if __name__ == "__main__":
    main()

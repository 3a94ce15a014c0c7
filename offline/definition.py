"""What the local stack reads from ``serverless.yml``: HTTP routes, queue subscriptions, schedules.

The same file deploys, so the local API serves exactly the routes API Gateway would, and the pump
feeds exactly the queues Lambda would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFINITION = ROOT / "serverless.yml"


@dataclass(frozen=True)
class Function:
    """A function's handler and the limits Lambda would give it."""

    name: str
    handler: str
    timeout_s: int
    memory_mb: int


COGNITO_USER_POOLS = "COGNITO_USER_POOLS"


@dataclass(frozen=True)
class Route:
    """One ``http`` event: method, path template (``/orders/{orderId}``), function, authorizer.

    ``authorizer`` is the type of the authorizer that checks the route's callers
    (``COGNITO_USER_POOLS``), or ``None`` for a route open to anyone.
    """

    method: str
    path: str
    function: Function
    authorizer: str | None = None


@dataclass(frozen=True)
class Subscription:
    """One SQS event source: a function, its handler, its queue and its batch size."""

    function: str
    handler: str
    queue_logical_id: str
    batch_size: int
    timeout_s: int = 6
    memory_mb: int = 1024


@dataclass(frozen=True)
class Schedule:
    """One ``schedule`` event: a function invoked every ``every_s`` seconds."""

    function: Function
    every_s: int


class _TolerantLoader(yaml.SafeLoader):  # type: ignore[misc]
    """Reads serverless.yml, keeping CloudFormation tags (``!GetAtt X.Arn``) as plain values."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node)}
    return {suffix: loader.construct_mapping(node)}


_TolerantLoader.add_multi_constructor("!", _tag)


@cache
def service(definition: Path = DEFINITION) -> dict[str, Any]:
    """``serverless.yml`` as data, CloudFormation tags kept as ``{tag: value}``."""
    loaded: dict[str, Any] = yaml.load(definition.read_text(), Loader=_TolerantLoader)
    return loaded


def _function(name: str, definition: Path) -> Function:
    provider = service(definition).get("provider", {})
    declared = service(definition)["functions"][name]
    return Function(
        name=name,
        handler=declared["handler"],
        # Lambda's defaults when neither the function nor the provider sets them.
        timeout_s=int(declared.get("timeout", provider.get("timeout", 6))),
        memory_mb=int(declared.get("memorySize", provider.get("memorySize", 1024))),
    )


def _events(kind: str, definition: Path) -> list[tuple[str, Any]]:
    return [
        (name, event[kind])
        for name, function in service(definition)["functions"].items()
        for event in function.get("events", [])
        if kind in event
    ]


_SELF_REFERENCE = re.compile(r"\$\{self:([\w.-]+)\}")


def _resolved(value: Any, definition: Path) -> Any:
    """``${self:custom.staffAuthorizer}`` -> what ``custom.staffAuthorizer`` holds."""
    match = _SELF_REFERENCE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return value
    found: Any = service(definition)
    for key in match[1].split("."):
        found = found[key]
    return _resolved(found, definition)


def _authorizer_type(function: str, declared: Any, definition: Path) -> str | None:
    """The type of an ``http`` event's ``authorizer``; only Cognito user pools run locally."""
    if declared is None:
        return None
    authorizer = _resolved(declared, definition)
    if isinstance(authorizer, dict) and str(authorizer.get("type", "")).upper() == (
        COGNITO_USER_POOLS
    ):
        return COGNITO_USER_POOLS
    if isinstance(authorizer, str) and ":cognito-idp:" in authorizer:  # a user pool's ARN
        return COGNITO_USER_POOLS
    raise ValueError(f"{function}: only Cognito user pool authorizers run locally, not {declared}")


def http_routes(definition: Path = DEFINITION) -> list[Route]:
    """The ``http`` events of every function."""
    routes = []
    for name, event in _events("http", definition):
        path = "/" + str(event["path"]).strip("/")
        routes.append(
            Route(
                method=str(event["method"]).upper(),
                path=path,
                function=_function(name, definition),
                authorizer=_authorizer_type(name, event.get("authorizer"), definition),
            )
        )
    return routes


def subscriptions(definition: Path = DEFINITION) -> list[Subscription]:
    """The SQS event sources declared in ``serverless.yml``."""
    found = []
    for name, source in _events("sqs", definition):
        arn = source["arn"] if isinstance(source, dict) else source
        if not (isinstance(arn, dict) and "GetAtt" in arn):
            raise ValueError(f"{name}: the pump needs the queue as !GetAtt <Queue>.Arn")
        function = _function(name, definition)
        found.append(
            Subscription(
                function=name,
                handler=function.handler,
                queue_logical_id=arn["GetAtt"].split(".")[0],
                batch_size=int(source.get("batchSize", 10)),
                timeout_s=function.timeout_s,
                memory_mb=function.memory_mb,
            )
        )
    return found


_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


def schedules(definition: Path = DEFINITION) -> list[Schedule]:
    """The ``schedule: rate(...)`` events (cron expressions are not run locally)."""
    found = []
    for name, event in _events("schedule", definition):
        expression = event["rate"] if isinstance(event, dict) else event
        expressions = expression if isinstance(expression, list) else [expression]
        for text in expressions:
            match = _RATE.fullmatch(str(text).strip())
            if match is None:
                raise ValueError(f"{name}: only rate(...) schedules run locally, not {text}")
            every = int(match[1]) * _UNIT_S[match[2].removesuffix("s")]
            found.append(Schedule(_function(name, definition), every))
    return found

"""A model of the order service, checked against the real handlers on moto by random programs.

Hypothesis writes programs of creates (with and without an ``Idempotency-Key``, retried and
reused), updates (legal and illegal transitions, field changes, no-ops, stale ``If-Match``),
reads, complete listings, processor deliveries (drained from the status queues, then
duplicated, shuffled, split across batches and delivered late), messages lost on the way,
sends that fail, and dispatch sweeps on a clock the program moves forward; it runs them
against the real handlers, and checks every answer against an in-memory model of what must
be true: every status entered is recorded once with its own version, no status is sent more
than 1 + the sweeper's limit times, and nothing stays pending unless given up with an error
log.

The moto stack is built once for the test; each example works on orders of its own, and
deletes them when it ends, so listings stay small enough to page through completely. A few
orders of "other clients" stay in the table throughout, so every listing has to page past
orders the model does not know (it checks only its own).
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, settings, statistics
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, rule, run_state_machine_as_test

import processors
from orders import bootstrap
from orders.adapters import clients
from tests.integration.conftest import PROCESSORS, Api, EventInbox, Queues, Response
from tests.support.events import LambdaContext, sqs_event
from tests.support.figures import report_figure
from tests.support.stack import Stack

# The status graph as DESIGN.md §5 draws it, written out here rather than imported, so the
# service is never checked against its own copy.
GRAPH: dict[str, frozenset[str]] = {
    "received": frozenset({"inprocess", "canceled"}),
    "inprocess": frozenset({"completed", "canceled"}),
    "completed": frozenset(),
    "canceled": frozenset(),
}
STATUSES = tuple(GRAPH)
PRIORITIES = ("normal", "urgent")
FIELDS = ("customer", "device", "issue", "priority")
BATCH_SIZE = 10  # the event sources' batch size (DESIGN.md §6)
DEFAULT_PAGE_SIZE = 20
MAX_PAGES = 200  # a listing that pages longer than this is going round in circles
MAX_RESENDS = 5  # the sweeper's limit (DESIGN.md §7)
GRACE = timedelta(minutes=5)  # the status queues' visibility timeout x maxReceiveCount

SETTINGS = settings(
    max_examples=200,
    stateful_step_count=15,
    deadline=None,
    derandomize=True,  # the same programs on every run, so CI is reproducible
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

CUSTOMERS = (
    {"name": "Lucía Fernández", "email": "lucia.fernandez@example.com"},
    {"name": "Kwame Mensah", "phone": "+233 24 123 4567"},
    {"name": "Mei Chen", "email": "mei.chen@example.org", "phone": "(415) 555-0132"},
)
DEVICES = (
    {"type": "laptop", "brand": "Lenovo", "model": "ThinkPad T14"},
    {"type": "phone", "brand": "Apple", "model": "iPhone 13", "serialNumber": "F2LXK9Q1VX"},
    {"type": "espresso machine"},
)
ISSUES = (
    "Does not boot after a coffee spill on the keyboard.",
    "Cracked screen; touch still works in the lower half.",
    "Grinds loudly and leaks water.\nOnly on the double-shot setting.",
)
NOTES = (
    "Keyboard removed, drying the board.",
    "Customer approved the quote by phone.",
    "Part on back order; customer withdrew.",
)


def padded(text: str) -> st.SearchStrategy[str]:
    """``text`` as a client may send it, with spaces the service trims away."""
    return st.sampled_from((text, f"  {text}", f"{text} "))


def as_sent(document: dict[str, str]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({name: padded(value) for name, value in document.items()})


def bodies_for(order: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The create bodies that mean ``order`` (a body as the service stores it)."""
    required = {
        "customer": as_sent(order["customer"]),
        "device": as_sent(order["device"]),
        "issue": padded(order["issue"]),
    }
    optional: dict[str, st.SearchStrategy[str]] = {"status": st.just("received")}
    if order["priority"] == "normal":
        optional["priority"] = st.just("normal")  # the default, sent or not
    else:
        required["priority"] = st.just(order["priority"])
    return st.fixed_dictionaries(required, optional=optional)


stored_bodies = st.fixed_dictionaries(
    {
        "customer": st.sampled_from(CUSTOMERS),
        "device": st.sampled_from(DEVICES),
        "issue": st.sampled_from(ISSUES),
        "priority": st.sampled_from(PRIORITIES),
    }
)
create_bodies = stored_bodies.flatmap(bodies_for)
# Any subset of the update fields: {} and a note without a status are the invalid ones.
patches = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(STATUSES),
        "note": st.sampled_from(NOTES),
        "customer": st.sampled_from(CUSTOMERS).flatmap(as_sent),
        "device": st.sampled_from(DEVICES).flatmap(as_sent),
        "issue": st.sampled_from(ISSUES).flatmap(padded),
        "priority": st.sampled_from(PRIORITIES),
    },
)
IF_MATCH = ("absent", "current", "weak current", "any", "stale", "ahead")


def stored(body: dict[str, Any]) -> dict[str, Any]:
    """What the service must keep of a create body or patch: strings trimmed, defaults filled."""
    kept: dict[str, Any] = {}
    for name in FIELDS:
        value = body.get(name, "normal" if name == "priority" else None)
        if isinstance(value, dict):
            kept[name] = {key: text.strip() for key, text in value.items()}
        elif isinstance(value, str):
            kept[name] = value.strip()
    return kept


@dataclass
class ModelOrder:
    """What must be true of one order the example created."""

    order_id: str
    fields: dict[str, Any]
    created_at: str
    updated_at: str
    status: str = "received"
    version: int = 1
    history: list[tuple[str, str | None]] = field(default_factory=lambda: [("received", None)])
    entered_at: dict[str, int] = field(default_factory=lambda: {"received": 1})  # -> version
    idempotency: tuple[str, dict[str, Any]] | None = None  # the key and the stored body
    delivered: set[str] = field(default_factory=set)  # statuses whose message was processed
    records: dict[str, Any] = field(default_factory=dict)  # processing.<status> as first seen
    routed: Counter[str] = field(default_factory=Counter)  # messages seen per status queue
    notified: Counter[str] = field(default_factory=Counter)  # notifications per status
    lost: Counter[str] = field(default_factory=Counter)  # messages lost on the way, per status


@dataclass(frozen=True)
class Delivery:
    """A message taken from a status queue, to be handed to its processor (maybe again)."""

    message_id: str
    status: str
    order_id: str
    body: str


@dataclass
class Tally:
    """What the run did: rules run and records delivered, over every example."""

    steps: int = 0
    deliveries: int = 0
    sweeps: int = 0
    resent: int = 0
    lost: int = 0
    failed_sends: int = 0
    abandoned: int = 0


class Clock:
    """The service's clock, moved forward by the program; each reading is 1 ms later."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


class GiveUps(logging.Handler):
    """The sweeper's error logs of a status given up: (order id, status) of each."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: set[tuple[str, str]] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "gave up sending a status message":
            self.seen.add((getattr(record, "orderId", ""), getattr(record, "status", "")))


class FailingSends:
    """Makes the next ``pending`` SendMessage calls of the service fail, as an SQS outage would."""

    def __init__(self) -> None:
        self.pending = 0
        clients.client("sqs").meta.events.register("before-call.sqs.SendMessage", self._fail)

    def _fail(self, **_: Any) -> None:
        if self.pending > 0:
            self.pending -= 1
            raise ClientError({"Error": {"Code": "ServiceUnavailable"}}, "SendMessage")


@dataclass
class World:
    """What every example shares: the stack's API, queues, order-events inbox and table.

    Reads the queues and the events as ``Queues`` and ``EventInbox`` do, with one client for the
    whole run and batched deletes: thousands of drains would otherwise dominate the run time.
    """

    api: Api
    queue_urls: dict[str, str]
    inbox_url: str
    table: str
    clock: Clock = field(default_factory=Clock)
    give_ups: GiveUps = field(default_factory=GiveUps)
    sends: FailingSends = field(default_factory=FailingSends)
    sqs: Any = field(default_factory=lambda: boto3.client("sqs"))
    dynamodb: Any = field(default_factory=lambda: boto3.client("dynamodb"))
    tally: Tally = field(default_factory=Tally)

    def drain(self, url: str) -> list[dict[str, Any]]:
        """Every message waiting on the queue at ``url`` (and off it, once read)."""
        messages: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            messages.extend(batch)
            self.sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(batch)
                ],
            )
        return messages

    def notifications(self) -> list[dict[str, Any]]:
        """The order events since the last look, as ``EventInbox.events`` shows them."""
        told = []
        for message in self.drain(self.inbox_url):
            envelope = json.loads(message["Body"])
            attributes = {k: v["Value"] for k, v in envelope["MessageAttributes"].items()}
            told.append({"message": envelope["Message"], **attributes})
        return told


def step[R](rule_function: Callable[..., R]) -> Callable[..., R]:
    """Count the rule's runs for the figures the test reports."""

    @functools.wraps(rule_function)
    def counted(machine: OrderServiceMachine, **arguments: Any) -> R:
        machine.world.tally.steps += 1
        return rule_function(machine, **arguments)

    return counted


class OrderServiceMachine(RuleBasedStateMachine):
    """Random programs of API calls and deliveries, each answer checked against the model."""

    orders = Bundle("orders")
    keyed_orders = Bundle("keyed_orders")

    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        self.api = world.api
        self.model: dict[str, ModelOrder] = {}
        # Keys name orders (the id is derived from the key): unique to this example.
        self.key_prefix = f"desk-{uuid.uuid4()}"
        self.keys_used = 0
        self.mailbag: list[Delivery] = []
        self.undelivered: set[str] = set()
        # The whole service reads one clock, which only the program moves on.
        world.clock.now = max(world.clock.now, datetime.now(UTC))
        world.sends.pending = 0
        self.black_holes: set[str] = set()  # queues whose every message is lost from now on

    # --- create ---------------------------------------------------------------------------

    @rule(target=orders, body=create_bodies)
    @step
    def create(self, body: dict[str, Any]) -> str:
        return self._expect_created(self.api.create(body), body).order_id

    @rule(targets=(orders, keyed_orders), body=create_bodies)
    @step
    def create_with_idempotency_key(self, body: dict[str, Any]) -> str:
        self.keys_used += 1
        key = f"{self.key_prefix}-{self.keys_used}"
        order = self._expect_created(self.api.create(body, headers={"Idempotency-Key": key}), body)
        order.idempotency = (key, stored(body))
        return order.order_id

    @rule(order_id=keyed_orders, data=st.data())
    @step
    def retry_create_with_the_same_key_and_body(self, order_id: str, data: st.DataObject) -> None:
        key, kept = self._idempotency(order_id)
        again = data.draw(bodies_for(kept), label="the same body, sent again")
        self._expect_replayed(order_id, self.api.create(again, headers={"Idempotency-Key": key}))

    @rule(order_id=keyed_orders, body=create_bodies)
    @step
    def reuse_a_key_with_another_body(self, order_id: str, body: dict[str, Any]) -> None:
        key, kept = self._idempotency(order_id)
        response = self.api.create(body, headers={"Idempotency-Key": key})
        if stored(body) == kept:
            self._expect_replayed(order_id, response)
        else:
            self._expect_problem(response, 422)

    # --- read -----------------------------------------------------------------------------

    @rule(order_id=orders)
    @step
    def get(self, order_id: str) -> None:
        response = self.api.get(order_id)
        self._expect_status(response, 200)
        assert response.headers["ETag"] == f'"{self.model[order_id].version}"'
        self._observe(response.body)

    @rule(order_id=st.uuids())
    @step
    def get_an_order_nobody_made(self, order_id: uuid.UUID) -> None:
        self._expect_problem(self.api.get(str(order_id)), 404)

    @rule(
        status=st.none() | st.sampled_from(STATUSES),
        limit=st.none() | st.integers(1, 5) | st.integers(6, 100),
    )
    @step
    def list_every_page(self, status: str | None, limit: int | None) -> None:
        query = {"status": status, "limit": None if limit is None else str(limit)}
        pages: list[list[dict[str, Any]]] = []
        cursor: str | None = None
        while len(pages) < MAX_PAGES:
            page = {name: value for name, value in query.items() if value is not None}
            response = self.api.list(**page, **({"cursor": cursor} if cursor else {}))
            self._expect_status(response, 200)
            pages.append(response.body["items"])
            cursor = response.body["nextCursor"]
            if cursor is None:
                break
        assert cursor is None, f"the listing did not end after {MAX_PAGES} pages"

        size = limit or DEFAULT_PAGE_SIZE
        assert all(len(page) == size for page in pages[:-1]), "a page before the last is short"
        assert len(pages[-1]) <= size
        assert pages[-1] or len(pages) == 1, "a cursor led to an empty page"
        listed = [item for page in pages for item in page]
        ids = [item["orderId"] for item in listed]
        assert len(ids) == len(set(ids)), "an order was listed twice"
        if status is not None:
            assert {item["status"] for item in listed} <= {status}
            created = [item["createdAt"] for item in listed]
            assert created == sorted(created, reverse=True), "not newest first"
        ours = [item for item in listed if item["orderId"] in self.model]
        expected = {o.order_id for o in self.model.values() if status in (None, o.status)}
        assert {item["orderId"] for item in ours} == expected
        for item in ours:
            self._observe(item)

    # --- update ---------------------------------------------------------------------------

    @rule(order_id=orders, patch=patches, if_match=st.sampled_from(IF_MATCH))
    @step
    def update(self, order_id: str, patch: dict[str, Any], if_match: str) -> None:
        order = self.model[order_id]
        version = order.version
        tags = {
            "current": f'"{version}"',
            "weak current": f'W/"{version}"',
            "any": "*",
            "stale": f'"{version - 1}"',
            "ahead": f'"{version + 1}"',
        }
        headers = {"If-Match": tags[if_match]} if if_match in tags else {}
        response = self.api.update(order_id, patch, headers=headers)

        target: str | None = patch.get("status")
        if not patch or ("note" in patch and target is None):
            self._expect_problem(response, 400)
            return
        if if_match in ("stale", "ahead", "weak current"):  # a weak tag never matches
            self._expect_problem(response, 412)
            return
        # No change to keep the note on, unless it is the change that made the last entry again.
        if "note" in patch and target == order.status and patch["note"] != order.history[-1][1]:
            self._expect_problem(response, 409)
            return
        if target is not None and target != order.status and target not in GRAPH[order.status]:
            problem = self._expect_problem(response, 409)
            for allowed in GRAPH[order.status]:
                assert allowed in problem["detail"], f"409 does not name {allowed}"
            return

        changed = {name: value for name, value in stored(patch).items() if name in patch}
        changed = {name: value for name, value in changed.items() if order.fields[name] != value}
        if changed and not GRAPH[order.status]:  # a final order's fields no longer change
            problem = self._expect_problem(response, 409)
            assert order.status in problem["detail"], "409 does not name the final status"
            return

        self._expect_status(response, 200)
        moves = target is not None and target != order.status
        if changed or moves:
            order.version += 1
            order.fields.update(changed)
            assert response.body["updatedAt"] >= order.updated_at
            order.updated_at = response.body["updatedAt"]
        if moves and target is not None:
            order.status = target
            order.history.append((target, patch.get("note")))
            order.entered_at[target] = order.version
        assert response.headers["ETag"] == f'"{order.version}"'
        self._observe(response.body)

    # --- processors -----------------------------------------------------------------------

    @rule(queue=st.sampled_from((*STATUSES, "every queue")), data=st.data())
    @step
    def deliver(self, queue: str, data: st.DataObject) -> None:
        statuses = STATUSES if queue == "every queue" else (queue,)
        for status in statuses:
            self._drain(status)
        waiting = [delivery for delivery in self.mailbag if delivery.status in statuses]
        if not waiting:
            return
        picked = data.draw(st.lists(st.sampled_from(waiting), min_size=1, max_size=12))
        if data.draw(st.booleans(), label="and every message not delivered yet"):
            picked += [d for d in waiting if d.message_id in self.undelivered]
        shuffled = data.draw(st.permutations(picked), label="in this order")
        batches: list[tuple[str, list[Delivery]]] = []
        for status in statuses:
            records = [delivery for delivery in shuffled if delivery.status == status]
            previous: list[Delivery] = []
            while records:
                again = bool(previous) and data.draw(st.booleans(), label="one again in the next")
                size = data.draw(st.integers(1, BATCH_SIZE - again), label="batch size")
                batch, records = previous[-1:] * again + records[:size], records[size:]
                batches.append((status, batch))
                previous = batch
        for status, batch in data.draw(st.permutations(batches), label="batches in this order"):
            self._deliver(status, batch)
        self._check_processed({delivery.order_id for delivery in picked})

    # --- the recovery path ----------------------------------------------------------------

    @rule(queue=st.sampled_from(STATUSES), data=st.data())
    @step
    def lose_messages(self, queue: str, data: st.DataObject) -> None:
        """Messages that never reach their processor (taken off the queue and dropped)."""
        self._drain(queue)
        waiting = [d for d in self.mailbag if d.message_id in self.undelivered]
        waiting = [d for d in waiting if d.status == queue]
        if not waiting:
            return
        for delivery in data.draw(st.lists(st.sampled_from(waiting), min_size=1, unique=True)):
            self.undelivered.discard(delivery.message_id)
            self.mailbag.remove(delivery)
            self.model[delivery.order_id].lost[queue] += 1
            self.world.tally.lost += 1

    @rule(queue=st.sampled_from(STATUSES))
    @step
    def lose_everything_sent_to(self, queue: str) -> None:
        """From now on every message of this queue is lost: the sweeper must give up, saying so."""
        self.black_holes.add(queue)

    @rule(times=st.integers(1, 3))
    @step
    def fail_the_next_sends(self, times: int) -> None:
        """SQS refuses the next few sends, whether the API's or the sweeper's."""
        self.world.sends.pending = times
        self.world.tally.failed_sends += times

    @rule(minutes=st.sampled_from((0.5, 2, 4.5, 5.5, 11)))
    @step
    def sweep(self, minutes: float) -> None:
        """Time passes, then the scheduled sweeper runs."""
        self.world.clock.now += timedelta(minutes=minutes)
        failing_before = self.world.sends.pending
        report = processors.sweep_dispatches({"source": "aws.events"}, None)
        self.world.tally.sweeps += 1
        self.world.tally.resent += report["resent"]
        self.world.tally.abandoned += report["abandoned"]
        assert report["stopped_early"] == 0
        assert report["failed"] <= failing_before, f"a sweep failed without a cause: {report}"

    # --- what must hold -------------------------------------------------------------------

    def teardown(self) -> None:
        """Settle the example's messages, check the end state, then delete its orders."""
        if not self.model:
            return  # nothing was created, so nothing can have been routed or told
        settled = False
        try:
            # After a failed step, report that failure rather than what it left behind.
            if sys.exc_info()[0] is None:
                self._settle()
                settled = True
        finally:
            self._forget_everything(settled)

    def _settle(self) -> None:
        """Deliver everything waiting and let the sweeper recover what was lost, then check.

        Every status entered is then processed, or was given up with an error log after
        1 + MAX_RESENDS sends; none was sent more often; no order is left on the index.
        """
        self.world.sends.pending = 0
        for _ in range(MAX_RESENDS + 2):
            self._deliver_everything_waiting()
            if all(self._recovered(order) for order in self.model.values()):
                break
            self.sweep(minutes=GRACE.total_seconds() / 60 + 1)
        self._deliver_everything_waiting()
        self.sweep(minutes=GRACE.total_seconds() / 60 + 1)  # settles what the records left
        self._check_processed(set(self.model))
        for order in self.model.values():
            assert self._recovered(order), f"{order.order_id} left pending for ever"
            for status in order.entered_at:  # lost messages were drained, so counted
                sent = order.routed[status]
                assert sent <= 1 + MAX_RESENDS, f"{status} sent {sent} times"
            stored = self.world.dynamodb.get_item(
                TableName=self.world.table, Key={"orderId": {"S": order.order_id}}
            )["Item"]
            assert "dispatchShard" not in stored, f"{order.order_id} stays on the dispatch index"

    def _deliver_everything_waiting(self) -> None:
        for status in STATUSES:
            self._drain(status)
            waiting = [d for d in self.mailbag if d.message_id in self.undelivered]
            mine = [d for d in waiting if d.status == status]
            for start in range(0, len(mine), BATCH_SIZE):
                self._deliver(status, mine[start : start + BATCH_SIZE])

    def _recovered(self, order: ModelOrder) -> bool:
        """Every status the order entered was processed, or given up with an error log."""
        gave_up = {
            status for order_id, status in self.world.give_ups.seen if order_id == order.order_id
        }
        return set(order.entered_at) <= order.delivered | gave_up

    def _forget_everything(self, settled: bool) -> None:
        """Delete this example's orders, and its messages if it did not settle."""
        if not settled:
            for url in (*self.world.queue_urls.values(), self.world.inbox_url):
                self.world.drain(url)
        order_ids = sorted(self.model)
        for start in range(0, len(order_ids), 25):
            deletes = [
                {"DeleteRequest": {"Key": {"orderId": {"S": order_id}}}}
                for order_id in order_ids[start : start + 25]
            ]
            self.world.dynamodb.batch_write_item(RequestItems={self.world.table: deletes})

    def _expect_status(self, response: Response, status: int) -> None:
        assert response.status < 500, f"server error: {response.body}"
        assert response.status == status, f"expected {status}, got {response.status}: {response}"

    def _expect_problem(self, response: Response, status: int) -> dict[str, Any]:
        self._expect_status(response, status)
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.body["status"] == status
        problem: dict[str, Any] = response.body
        return problem

    def _expect_created(self, response: Response, body: dict[str, Any]) -> ModelOrder:
        self._expect_status(response, 201)
        document = response.body
        order_id = document["orderId"]
        assert order_id not in self.model, "a new order got the id of an existing one"
        assert "Idempotent-Replayed" not in response.headers
        assert response.headers["Location"] == f"/test/orders/{order_id}"
        assert response.headers["ETag"] == '"1"'
        assert document["createdAt"] == document["updatedAt"]
        assert document["history"][0]["at"] == document["createdAt"]
        order = ModelOrder(order_id, stored(body), document["createdAt"], document["updatedAt"])
        self.model[order_id] = order
        self._observe(document)
        return order

    def _expect_replayed(self, order_id: str, response: Response) -> None:
        self._expect_status(response, 201)
        assert response.headers.get("Idempotent-Replayed") == "true"
        assert response.headers["Location"] == f"/test/orders/{order_id}"
        assert response.headers["ETag"] == f'"{self.model[order_id].version}"'
        assert response.body["orderId"] == order_id
        self._observe(response.body)

    def _idempotency(self, order_id: str) -> tuple[str, dict[str, Any]]:
        idempotency = self.model[order_id].idempotency
        assert idempotency is not None
        return idempotency

    def _observe(self, document: dict[str, Any]) -> None:
        """Check an order the service served against the model, whichever call served it."""
        order = self.model[document["orderId"]]
        assert document["version"] >= order.version, "the version went back"
        assert document["version"] == order.version
        assert document["status"] == order.status
        assert {name: document[name] for name in FIELDS} == order.fields
        assert document["createdAt"] == order.created_at
        assert document["updatedAt"] == order.updated_at
        history = [(entry["status"], entry.get("note")) for entry in document["history"]]
        assert history == order.history, "the history does not match the transitions"
        moments = [entry["at"] for entry in document["history"]]
        assert moments == sorted(moments)
        assert moments[-1] <= order.updated_at

        processing = document["processing"]
        assert set(processing) == order.delivered, "processing differs from what was delivered"
        for status, record in processing.items():
            first = order.records.setdefault(status, record)
            assert record == first, f"processing.{status} changed after it was recorded"
            assert record["version"] == order.entered_at[status]
            assert order.notified[status] >= 1, f"processed {status} without telling anyone"

    def _drain(self, status: str) -> None:
        """Take every message off the status's queue; each is checked, then kept for delivery."""
        for message in self.world.drain(self.world.queue_urls[status]):
            body = json.loads(message["Body"])
            assert message["MessageAttributes"]["status"]["StringValue"] == status
            assert body["status"] == status
            order = self.model.get(body["orderId"])
            assert order is not None, f"a message for an order nobody made: {body}"
            order.routed[status] += 1
            sent = order.routed[status]
            assert sent <= 1 + MAX_RESENDS, f"{status} sent {sent} times: {body}"
            assert body["version"] == order.entered_at.get(status), f"unexpected message {body}"
            if status in self.black_holes:
                order.lost[status] += 1
                self.world.tally.lost += 1
                continue
            delivery = Delivery(message["MessageId"], status, order.order_id, message["Body"])
            self.mailbag.append(delivery)
            self.undelivered.add(delivery.message_id)

    def _deliver(self, status: str, batch: list[Delivery]) -> None:
        """Hand one batch to the status's processor, as Lambda's SQS event source would."""
        # The same message twice in one batch stands for a producer that sent it twice.
        ids = [
            delivery.message_id + "-again" * index for index, delivery in _numbered_repeats(batch)
        ]
        event = sqs_event(*(delivery.body for delivery in batch), message_ids=ids)
        result = PROCESSORS[status](event, LambdaContext())
        assert result == {"batchItemFailures": []}, f"good records failed: {result}"
        self.world.tally.deliveries += len(batch)
        for delivery in batch:
            self.undelivered.discard(delivery.message_id)
            self.model[delivery.order_id].delivered.add(status)

    def _check_processed(self, order_ids: set[str]) -> None:
        for notification in self.world.notifications():
            order = self.model.get(notification["orderId"])
            assert order is not None, f"a notification about an unknown order: {notification}"
            assert notification["status"] in order.entered_at, f"told too much: {notification}"
            assert order.order_id in notification["message"]
            order.notified[notification["status"]] += 1
        for order_id in sorted(order_ids):
            response = self.api.get(order_id)
            self._expect_status(response, 200)
            self._observe(response.body)


def _numbered_repeats(batch: list[Delivery]) -> list[tuple[int, Delivery]]:
    """Each delivery with how many times its message came before it in the batch."""
    seen: Counter[str] = Counter()
    numbered = []
    for delivery in batch:
        numbered.append((seen[delivery.message_id], delivery))
        seen[delivery.message_id] += 1
    return numbered


@contextmanager
def counting_examples() -> Iterator[list[dict[str, Any]]]:
    """The examples Hypothesis ran to completion (not those it gave up on), as they finish.

    Read from the run statistics that ``--hypothesis-show-statistics`` prints, passed on to
    that option's own collector when it is listening.
    """
    valid: list[dict[str, Any]] = []
    listening = statistics.collector.value

    def note(run: dict[str, Any]) -> None:
        for phase in run.values():
            if isinstance(phase, dict):
                valid.extend(c for c in phase.get("test-cases", []) if c["status"] == "valid")
        if listening is not None:
            listening(run)

    with statistics.collector.with_value(note):
        yield valid


def orders_of_other_clients(api: Api, queues: Queues) -> None:
    """Three orders in each status that no example knows about, for listings to page past."""
    for path in ([], ["inprocess"], ["inprocess", "completed"], ["canceled"]):
        for issue in ISSUES:
            body = {"customer": CUSTOMERS[1], "device": DEVICES[0], "issue": issue}
            order_id = api.create(body).body["orderId"]
            for status in path:
                assert api.update(order_id, {"status": status}).status == 200
    for status in STATUSES:  # processed, so the sweeper has nothing of theirs to send
        queues.deliver(status)


def test_every_program_of_calls_and_deliveries_keeps_the_services_promises(
    api: Api,
    queues: Queues,
    events: EventInbox,
    stack: Stack,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orders_of_other_clients(api, queues)
    world = World(
        api,
        {status: queues.url(status) for status in STATUSES},
        events.url,
        stack.environment["ORDERS_TABLE"],
    )

    world.notifications()  # what the other clients' customers were told: not the model's
    # One clock for the whole service, so a sweep's "later" is later for every part of it.
    monkeypatch.setattr(bootstrap.order_service(), "_clock", world.clock)
    monkeypatch.setattr(bootstrap.dispatch_sweeper(), "_clock", world.clock)
    sweeper_log = logging.getLogger("orders.usecases.dispatch_sweep")
    sweeper_log.addHandler(world.give_ups)
    try:
        with counting_examples() as examples:
            run_state_machine_as_test(lambda: OrderServiceMachine(world), settings=SETTINGS)
    finally:
        sweeper_log.removeHandler(world.give_ups)

    tally = world.tally
    report_figure(
        request.config,
        f"state machine: {len(examples)} examples, {tally.steps} steps, "
        f"{tally.deliveries} deliveries, {tally.sweeps} sweeps ({tally.resent} resent, "
        f"{tally.abandoned} given up), {tally.lost} messages lost, "
        f"{tally.failed_sends} sends failed",
    )

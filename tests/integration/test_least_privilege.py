"""Least privilege, proven: each role grants exactly the actions its function's code performs.

The actions come from every integration test that ran before this one (a botocore hook
attributes each call to the entry point on the stack), plus a workload here that walks every
path that reaches AWS, so the check holds when this file runs alone too.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Api, Queues, Sweep
from tests.support.data import laptop_order
from tests.support.iam import (
    EVENT_SOURCE_ACTIONS,
    PLATFORM_ACTIONS,
    CallLog,
    functions,
    granted_actions,
    statements,
)

pytestmark = pytest.mark.after_all


def _every_path(api: Api, queues: Queues) -> None:
    order_id = api.create(laptop_order(), headers={"Idempotency-Key": "iam-walk"}).body["orderId"]
    api.create(laptop_order(), headers={"Idempotency-Key": "iam-walk"})
    api.get(order_id)
    api.update(order_id, {"priority": "urgent"})
    api.update(order_id, {"status": "received"})
    api.list(status="received")
    api.list()
    # A phone-only customer takes every processor down the SMS path (opt-out check, Publish).
    texted = api.create(laptop_order(customer={"name": "Kwame Mensah", "phone": "600111333"}))
    for status in ("inprocess", "completed"):
        api.update(order_id, {"status": status})
        api.update(texted.body["orderId"], {"status": status})
    for customer in (
        {"name": "Jin Park", "email": "jin@example.com"},
        {"name": "Ana", "phone": "611222444"},
    ):
        canceled = api.create(laptop_order(customer=customer)).body["orderId"]
        api.update(canceled, {"status": "canceled"})
    for status in ("received", "inprocess", "completed", "canceled"):
        assert queues.deliver(status) == {"batchItemFailures": []}
    api.create(laptop_order())
    queues.drain("received")  # a lost message, for the sweeper to send again


def test_each_role_grants_exactly_what_its_code_calls(
    api: Api,
    queues: Queues,
    call_log: CallLog,
    template: dict[str, Any],
    sweep: Sweep,
) -> None:
    _every_path(api, queues)
    assert sweep(minutes_later=5)["resent"] == 1

    assert call_log.unattributed == set(), "AWS calls made outside any function's entry point"
    for function in functions(template):
        granted = granted_actions(template, function.role) - PLATFORM_ACTIONS
        if function.has_event_source:
            assert granted >= EVENT_SOURCE_ACTIONS, f"{function.name} cannot read its queue"
            granted -= EVENT_SOURCE_ACTIONS
        performed = call_log.actions[function.name]
        assert performed - granted == set(), f"{function.name}'s role lacks actions its code calls"
        assert granted - performed == set(), f"{function.name}'s role grants actions no code uses"


def test_the_one_grant_on_every_resource_is_sms_to_phone_numbers(
    template: dict[str, Any],
) -> None:
    # Phone numbers have no ARN, so SMS needs sns:Publish on "*". That exception lives in one
    # statement per processor role, named, and grants nothing else; the API's role sends nothing.
    for function in functions(template):
        on_everything = [
            statement
            for statement in statements(template, function.role)
            if statement["Resource"] == "*"
        ]
        if function.name.startswith("process"):
            assert on_everything == [
                {
                    "Sid": "SmsToPhoneNumbers",
                    "Effect": "Allow",
                    "Action": ["sns:Publish", "sns:CheckIfPhoneNumberIsOptedOut"],
                    "Resource": "*",
                }
            ], function.name
        else:
            assert on_everything == [], function.name
    api_actions = granted_actions(template, "ApiRole")
    assert {a for a in api_actions if a.startswith(("ses:", "sns:"))} == set()


def test_processors_send_email_only_from_the_stages_sender(template: dict[str, Any]) -> None:
    for function in functions(template):
        for statement in statements(template, function.role):
            if "ses:SendEmail" in statement["Action"]:
                assert statement["Action"] == "ses:SendEmail"
                resource = statement["Resource"]["Fn::Sub"]
                assert resource.endswith(":identity/${SenderEmailIdentity}"), resource

"""Which AWS actions each function's code performs, against what its IAM role grants."""

from __future__ import annotations

import importlib
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

# Actions a role needs for the platform rather than for the function's code: the runtime writes
# logs, and the SQS event source mapping receives and deletes on the function's behalf.
PLATFORM_ACTIONS = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
}
EVENT_SOURCE_ACTIONS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
# API operations authorised by another action's name.
_ACTION_OF_OPERATION = {
    # A transaction is authorised per item, by the action of each write it holds (all ours
    # are updates).
    "dynamodb:TransactWriteItems": "dynamodb:UpdateItem",
    "sns:PublishBatch": "sns:Publish",
    "sqs:SendMessageBatch": "sqs:SendMessage",
}


@dataclass(frozen=True)
class Function:
    """A Lambda function of the template: its name, role and handler's code object."""

    name: str
    role: str
    code: CodeType
    has_event_source: bool


def functions(template: dict[str, Any]) -> list[Function]:
    """Every function in the template, with its handler imported."""
    resources = template["Resources"]
    mapped = {
        r["Properties"]["FunctionName"]["Fn::GetAtt"][0]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
    }
    found = []
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        module, _, attribute = resource["Properties"]["Handler"].rpartition(".")
        entry = getattr(importlib.import_module(module), attribute)
        name = logical_id.removesuffix("LambdaFunction")
        found.append(
            Function(
                name=name[0].lower() + name[1:],
                role=resource["Properties"]["Role"]["Fn::GetAtt"][0],
                code=entry.__code__,
                has_event_source=logical_id in mapped,
            )
        )
    return found


def statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """Every statement of a role's inline policies, as the stack deploys them."""
    policies = as_deployed(template, template["Resources"][role]["Properties"]["Policies"])
    return [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


_NO_VALUE = {"Ref": "AWS::NoValue"}


def as_deployed(template: dict[str, Any], value: Any) -> Any:
    """``value`` as CloudFormation deploys the template with its parameters' defaults: each
    ``Fn::If`` replaced by the branch its condition picks, and ``AWS::NoValue`` left out."""
    if isinstance(value, list):
        kept = [as_deployed(template, item) for item in value]
        return [item for item in kept if item != _NO_VALUE]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::If"}:
        condition, if_true, if_false = value["Fn::If"]
        return as_deployed(template, if_true if holds(template, condition) else if_false)
    kept_items = {key: as_deployed(template, item) for key, item in value.items()}
    return {key: item for key, item in kept_items.items() if item != _NO_VALUE}


def holds(template: dict[str, Any], condition: str) -> bool:
    """Whether a condition of the template holds with its parameters' defaults."""
    return bool(_evaluate(template, template["Conditions"][condition]))


def _evaluate(template: dict[str, Any], expression: Any) -> Any:
    if not isinstance(expression, dict):
        return expression
    ((function, argument),) = expression.items()
    if function == "Ref":
        return str(template["Parameters"][argument]["Default"])
    if function == "Condition":
        return holds(template, argument)
    values = [_evaluate(template, item) for item in argument]
    operations = {
        "Fn::Equals": lambda: values[0] == values[1],
        "Fn::Not": lambda: not values[0],
        "Fn::And": lambda: all(values),
        "Fn::Or": lambda: any(values),
    }
    return operations[function]()


def granted_actions(template: dict[str, Any], role: str) -> set[str]:
    """The actions a role's inline policies allow."""
    actions: set[str] = set()
    for statement in statements(template, role):
        if statement["Effect"] == "Allow":
            action = statement["Action"]
            actions.update([action] if isinstance(action, str) else action)
    return actions


@dataclass
class CallLog:
    """AWS actions performed, by the function whose entry point is on the calling stack."""

    entry_points: dict[CodeType, str]
    actions: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    unattributed: set[str] = field(default_factory=set)

    def record(self, model: Any, **_: Any) -> None:
        action = f"{model.service_model.signing_name}:{model.name}"
        action = _ACTION_OF_OPERATION.get(action, action)
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code in self.entry_points:
                self.actions[self.entry_points[frame.f_code]].add(action)
                return
            frame = frame.f_back  # type: ignore[assignment]
        self.unattributed.add(action)

"""`AWS::Lambda::Alias` (and a version's `Version` attribute) for moto's CloudFormation (5.2.5).

osls points API Gateway at a `snapstart` alias when SnapStart is on; without the alias, moto's
CloudFormation cannot create the permission that names it, and the deploy rehearsal of that
template would fail on an emulator gap rather than on the template. moto's Lambda API has
aliases; this only lets its CloudFormation create them, through that API.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LambdaVersion, lambda_backends
from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel


class LambdaAliasResource(CloudFormationModel):  # type: ignore[misc]
    """An alias created from a template, through moto's own Lambda backend."""

    def __init__(self, arn: str) -> None:
        self.arn = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> LambdaAliasResource:
        properties = cloudformation_json["Properties"]
        backend = lambda_backends[account_id][region_name]
        version = str(properties["FunctionVersion"])
        alias = backend.create_alias(
            properties["Name"], properties["FunctionName"], version, "", None
        )
        return cls(alias.arn)


def _version_attribute(version: LambdaVersion, name: str) -> str:
    if name != "Version":
        raise NotImplementedError(f"AWS::Lambda::Version has no attribute {name} in this shim")
    return str(version.version)


def install() -> None:
    """Make moto's CloudFormation know the alias type (its model map is cached)."""
    LambdaVersion.get_cfn_attribute = _version_attribute
    LambdaVersion.has_cfn_attr = classmethod(lambda cls, name: name == "Version")
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()

"""The mocks behind run_program, usable on their own with Pulumi's plain unit-test setup.

``AwsMocks`` answers what a program built on graviton-llm reads from the cloud: every provider
function in ``answers.py`` (VPC with its CIDR associations, subnets, zones, SSM parameters, caller
identity, ...), the attributes a provider computes on create (the load balancer's ``dnsName``,
ARNs, ``latestVersion``, ...), and the outputs of other stacks a StackReference reads. Pulumi's
testing guide's minimal mocks return a resource's inputs and an empty answer to every lookup; the
cluster then lacks the load balancer's DNS name and the VPC's CIDR associations::

    pulumi.runtime.set_mocks(AwsMocks(region="us-east-1"), preview=False)

On a first preview (``first_preview=True``, with ``preview=True``) a resource still to be created
has no id and no computed attribute yet: the answer carries only its inputs and the name the
provider chooses at check time, and an empty id. The engine answers so, and the SDK turns what is
missing into unknown Outputs (pulumi/sdk/python/lib/pulumi/runtime/rpc.py, resolve_outputs and
resolve_properties: a missing property is unknown during a preview).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks

from ..facts import aws_rules
from ..facts.resource_types import VPC
from .answers import CallHandler, computed_outputs, default_calls, mock_id, vpc_answer

STACK_REFERENCE = "pulumi:pulumi:StackReference"
# What a provider decides at check time, before anything exists (pulumi-aws auto-naming): known on
# a first preview, unlike every attribute AWS assigns on create.
_KNOWN_BEFORE_CREATE = ("name",)


class AwsRuleViolation(Exception):
    """A resource AWS or its provider would refuse, named with every reason."""

    type: str
    name: str
    problems: list[str]

    def __init__(self, type_: str, name: str, problems: list[str]) -> None:
        self.type, self.name, self.problems = type_, name, problems
        super().__init__(f"{type_} {name!r}: " + "; ".join(problems))


class AwsMocks(pulumi_mocks.Mocks):
    """Pulumi mocks that answer as AWS would for a graviton-llm program (see the module)."""

    def __init__(
        self,
        region: str = "us-east-1",
        calls: Mapping[str, CallHandler] | None = None,
        *,
        first_preview: bool = False,
        stack_references: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.region: str = region
        self.calls: dict[str, CallHandler] = {**default_calls(region), **(calls or {})}
        self.first_preview: bool = first_preview
        self.stack_references: dict[str, Mapping[str, Any]] = dict(stack_references or {})
        self.vpcs: dict[str, str] = {}

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        if args.typ == STACK_REFERENCE:
            return self._stack_reference(args.name, inputs)
        outputs = computed_outputs(args.typ, args.name, inputs, self.region)
        if args.typ == VPC and isinstance(inputs.get("cidrBlock"), str):
            # A lookup of a VPC the program created answers with that VPC's own CIDR.
            self.vpcs[mock_id(args.name, args.typ)] = inputs["cidrBlock"]
        if self.first_preview:
            known = {key: outputs[key] for key in _KNOWN_BEFORE_CREATE if key in outputs}
            return "", {**inputs, **known}
        return mock_id(args.name, args.typ), outputs

    def _stack_reference(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The other stack's outputs when the test gave them; otherwise none, so each output the
        program reads is unknown on a preview (a stack this process cannot read)."""
        stack = str(inputs.get("name") or name)
        answer = self.stack_references.get(stack)
        if answer is None:
            return stack, {"name": stack}
        return stack, {"name": stack, "outputs": dict(answer), "secretOutputNames": []}

    def call(
        self, args: pulumi_mocks.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """The answer to a provider function, and no check failures."""
        return self._answer(args), []

    def _answer(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:
        call_args = dict(args.args)
        if args.token == "aws:ec2/getVpc:getVpc" and call_args.get("id") in self.vpcs:
            return vpc_answer(call_args["id"], self.vpcs[call_args["id"]], self.region)
        handler = self.calls.get(args.token)
        if handler is None:
            raise NotImplementedError(f"graviton_llm.testing: no mock for {args.token}")
        return handler(call_args)


class StrictAwsMocks(AwsMocks):
    """AwsMocks that refuse, as AWS or its provider would, what facts/aws_rules.py describes
    (run_program's default). Takes AwsMocks' arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.violations: list[AwsRuleViolation] = []
        # Every registration so far (type, inputs), in order: the stack rules (a role's inline
        # policies added up) judge each new one against those before it, as AWS does.
        self.registered: list[tuple[str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        problems = aws_rules.violations(args.typ, args.name, inputs)
        problems += aws_rules.stack_violations(self.registered, args.typ, inputs)
        if problems:
            violation = AwsRuleViolation(args.typ, args.name, problems)
            self.violations.append(violation)
            raise violation
        self.registered.append((args.typ, inputs))  # what AWS refused does not exist
        return super().new_resource(args)

"""WeightsBucketAccess: least-privilege read of one model's weights prefix."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..args import WeightsBucketAccessArgs, WeightsBucketAccessArgsDict
from ..documents.iam import policy_json, weights_read_policy
from .parts.inputs import validated


class WeightsBucketAccess(pulumi.ComponentResource):
    """An inline role policy: GetObject under the prefix, ListBucket limited to the prefix, and
    kms:Decrypt via S3 when the weights are encrypted with a customer key. No wildcards."""

    policy: aws.iam.RolePolicy

    def __init__(
        self,
        name: str,
        args: WeightsBucketAccessArgs | WeightsBucketAccessArgsDict,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare the inline policy that lets a role read one model's weights prefix.

        :param name: The component's name; its children are named ``<name>-...``.
        :param args: A ``WeightsBucketAccessArgs``, or its dict form
            (``WeightsBucketAccessArgsDict``).
        :param opts: Pulumi resource options (parent, providers, ...).
        :raises ArgsError: every bad field with its fix, before any resource is registered.
        """
        args = validated(WeightsBucketAccessArgs, name, args, "WeightsBucketAccess")
        super().__init__("graviton-llm:weights:WeightsBucketAccess", name, None, opts)
        document = pulumi.Output.from_input(args.kms_key_arn).apply(
            lambda key: policy_json(
                weights_read_policy(args.weights_uri, kms_key_arn=key, region=args.region)
            )
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-read",
            role=args.role,
            policy=document,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"policy_name": self.policy.name})

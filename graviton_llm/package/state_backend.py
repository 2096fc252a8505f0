"""StateBackend as the component package serves it (graviton-llm:index:StateBackend): the
generated args, typed outputs, our StateBackend built unchanged as its child. (No postponed
annotations: the host reads the evaluated ones.)"""

from typing import cast

import pulumi
import pulumi_aws as aws

from ..args import StateBackendArgs as StateBackendModel
from ..args import StateBackendArgsDict
from ..components.parts.inputs import validated
from ..components.state_backend import StateBackend as Backend
from .inputs import model_input
from .types import StateBackendArgs


class StateBackend(pulumi.ComponentResource):
    """An account's Pulumi state backend: a versioned, encrypted, private S3 bucket for stack
    state and a KMS key for stack secrets, each protected from deletion."""

    bucket: aws.s3.Bucket
    """The state bucket."""
    bucket_name: pulumi.Output[str]
    """The state bucket's name."""
    login_url: pulumi.Output[str]
    """What `pulumi login` takes: s3://<bucket>?region=<region>&awssdk=v2."""
    secrets_provider: pulumi.Output[str]
    """What `pulumi stack init --secrets-provider` takes: awskms://alias/...?region=<region>."""

    def __init__(
        self, name: str, args: StateBackendArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        given = cast(StateBackendArgsDict, model_input(StateBackendModel, args))
        validated(StateBackendModel, name, given, "StateBackend")  # refused before registering
        super().__init__("graviton-llm:index:StateBackend", name, {}, opts)
        backend = Backend(name, given, pulumi.ResourceOptions(parent=self))
        self.bucket = backend.bucket
        self.bucket_name = backend.bucket_name
        self.login_url = backend.login_url
        self.secrets_provider = backend.secrets_provider
        self.register_outputs({"loginUrl": self.login_url})

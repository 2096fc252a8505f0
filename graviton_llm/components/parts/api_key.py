"""The cluster's API key parameter, as NeuronServingCluster wires it (helpers, no component).

A plain name reaches the node as a quoted assignment in the boot script, as before. A name given
as an Output (typically secret stack config, `pulumi config set --secret`) must stay secret end to
end: it is written into a SecureString "pointer" parameter of the cluster's own, whose name is
derived from the deployment (node/paths.py), the boot script carries only the pointer's name, and
the node reads the key's parameter name from it at start. The node's policy, which must name
the parameter, is then a secret Output too (Pulumi encrypts it in the state; `plan` shows it as
"[secret]" and still judges it).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ...args import ResolvedClusterArgs
from ...args.identifiers import ssm_parameter_problems
from ...args.refusals import ArgsError, FieldProblem, Shown
from ...documents.iam import ssm_parameter_arn
from ...node.paths import api_key_pointer
from .inputs import checked
from .tagging import Tags


def pointer_name(cluster: str, args: ResolvedClusterArgs) -> str | None:
    """The pointer parameter's name when the API key parameter's name is an Output, else None."""
    parameter = args.api_key_ssm_parameter
    if parameter is None or isinstance(parameter, str):
        return None
    name = api_key_pointer(pulumi.get_project(), pulumi.get_stack(), cluster)
    problems = ssm_parameter_problems("api_key_ssm_parameter", name)
    if problems:
        fix = (
            f"the parameter holding the API key parameter's name would be {name!r}, which SSM "
            f"refuses ({problems[0].message}); use a shorter cluster name"
        )
        raise ArgsError([FieldProblem(cluster, "name", cluster, fix)])
    return name


def secret_name_problems(cluster: str, name: str) -> list[FieldProblem]:
    """A secret parameter name's problems once it resolves; the refusal does not quote it."""
    if not ssm_parameter_problems("api_key_ssm_parameter", name):
        return []
    fix = (
        "is not an SSM parameter name: it starts with '/', holds letters, digits, _ . - and "
        "at most 15 levels, and does not start with 'aws' or 'ssm', e.g. /llm/prod/api-key"
    )
    return [FieldProblem(cluster, "api_key_ssm_parameter", Shown("[secret, not shown]"), fix)]


def declare_pointer(
    cluster: str,
    pointer: str,
    args: ResolvedClusterArgs,
    tags: Tags,
    opts: pulumi.ResourceOptions,
) -> aws.ssm.Parameter:
    """The SecureString holding the API key parameter's name (AWS managed aws/ssm key: the
    node decrypts it through SSM without a KMS grant)."""
    return aws.ssm.Parameter(
        f"{cluster}-api-key-name",
        name=pointer,
        type="SecureString",
        value=checked(
            pulumi.Output.secret(_given(args)), lambda n: secret_name_problems(cluster, n)
        ),
        description=f"graviton-llm {cluster}: the name of the API key's SSM parameter",
        tags=tags,
        opts=opts,
    )


def _given(args: ResolvedClusterArgs) -> pulumi.Input[str]:
    """The API key parameter's name (a pointer exists only when one is given)."""
    if args.api_key_ssm_parameter is None:
        raise ValueError("no api_key_ssm_parameter: the cluster declares no pointer")
    return args.api_key_ssm_parameter


def parameter_arns(
    args: ResolvedClusterArgs, pointer: str | None, region: str, parent: pulumi.Resource
) -> pulumi.Output[str | list[str]] | None:
    """What the node may read: the API key parameter's ARN, and the pointer's with one."""
    parameter = args.api_key_ssm_parameter
    if parameter is None:
        return None
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))

    def arns(values: list[str]) -> str | list[str]:
        acct, name = values
        key = ssm_parameter_arn(name, region=region, account=acct)
        if pointer is None:
            return key
        return [ssm_parameter_arn(pointer, region=region, account=acct), key]

    return pulumi.Output.all(account.account_id, parameter).apply(arns)

"""Whose credentials the rollout signs with, through the engine's machinery (testing.engine) and
botocore's Stubber (testing.aws_stubs): the stack config, an explicit provider on top of it,
assumed roles that are assumed again before they expire."""

from __future__ import annotations

import pytest

from graviton_llm.components import refresh_provider
from graviton_llm.components.refresh_provider import RefreshProvider
from graviton_llm.testing.aws_stubs import aws_stubs
from graviton_llm.testing.engine import DynamicProviderHost, secret
from rollout_support import LIST_LATEST, FakeTime, before, inputs, refresh

ROLE = "arn:aws:iam::210987654321:role/deployer"
ROLES = f'[{{"roleArn": "{ROLE}", "duration": "1h"}}]'
ASSUME = {"RoleArn": ROLE, "RoleSessionName": "graviton-llm-rollout", "DurationSeconds": 3600}
ROLE_KEY, FIRST_KEY, SECOND_KEY = "ASIAROLEROLEROLE00", "ASIAFIRSTFIRST0000", "ASIASECONDSECOND00"


def role_credentials(key: str, expires: str) -> dict:
    return {"Credentials": {"AccessKeyId": key, "SecretAccessKey": "s", "SessionToken": "t",
                            "Expiration": expires}}  # fmt: skip


def explicit(**settings) -> dict:
    """The `aws` input an explicit provider gives (instance_refresh.explicit_provider_settings)."""
    return {"profile": None, "access_key": None, "secret_key": None, "token": None, **settings}


def test_the_refresh_is_signed_as_the_stack_config_says():
    # aws:profile is not on this machine: the provider must not fall back to other credentials.
    config = {"aws:region": "us-east-1", "aws:profile": "deployer-nowhere"}
    host = DynamicProviderHost(RefreshProvider(), config=config)
    created = host.create(inputs("1"))
    with aws_stubs(strict=False), pytest.raises(Exception, match="deployer-nowhere"):
        host.update(created.id, created, inputs("2"))


@pytest.mark.slow
def test_assumed_roles_from_the_stack_config_sign_the_refresh():
    config = {"aws:region": "us-east-1", "aws:assumeRoles": ROLES,
              "aws:accessKey": "AKIABASE", "aws:secretKey": "base-secret"}  # fmt: skip
    host = DynamicProviderHost(RefreshProvider(), config=config)
    created = host.create(inputs("1"))
    with aws_stubs() as aws:
        aws.add("sts", "assume_role", role_credentials(ROLE_KEY, "2030-01-01T00:00:00Z"), ASSUME)
        before(aws)
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2"})
        host.update(created.id, created, inputs("2"))
    (assume,) = aws.made("sts", "AssumeRole")
    (start,) = aws.made("autoscaling", "StartInstanceRefresh")
    assert assume.access_key == "AKIABASE" and start.access_key == ROLE_KEY


@pytest.mark.slow
@pytest.mark.parametrize(
    ("given", "base_key"),
    [
        # docs/teams.md: a cluster given an explicit provider names its role in aws:assumeRoles.
        # Before, any explicit provider replaced the stack's settings, roles included: the
        # refresh ran with the machine's default credentials, in another account.
        (explicit(), "AKIASTACK"),
        # Its own keys replace the stack's; the stack's roles still chain from them.
        (explicit(access_key="AKIAEXPLICIT", secret_key="explicit-secret"), "AKIAEXPLICIT"),
        # A stack deployed before this fix stored `assume_roles: []`: empty means the stack's.
        (explicit(assume_roles=[]), "AKIASTACK"),
    ],
)
def test_an_explicit_provider_keeps_the_stacks_assumed_roles(given, base_key):
    config = {"aws:region": "us-east-1", "aws:assumeRoles": ROLES,
              "aws:accessKey": "AKIASTACK", "aws:secretKey": "stack-secret"}  # fmt: skip
    host = DynamicProviderHost(RefreshProvider(), config=config)
    created = host.create(inputs("1", aws=secret(given)))
    with aws_stubs() as aws:
        aws.add("sts", "assume_role", role_credentials(ROLE_KEY, "2030-01-01T00:00:00Z"), ASSUME)
        before(aws)
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2"})
        host.update(created.id, created, inputs("2", aws=secret(given)))
    (assume,) = aws.made("sts", "AssumeRole")
    (start,) = aws.made("autoscaling", "StartInstanceRefresh")
    assert assume.access_key == base_key and start.access_key == ROLE_KEY


@pytest.mark.slow
def test_an_explicit_providers_keys_sign_read_too_and_stay_encrypted():
    given = explicit(access_key="AKIAEXPLICIT", secret_key="explicit-secret")
    config = {"aws:accessKey": "AKIASTACK", "aws:secretKey": "stack-secret"}
    host = DynamicProviderHost(RefreshProvider(), config=config)
    created = host.create(inputs("1", aws=secret(given)))
    # Stored under their own name, which the engine encrypts (the harness refuses a copy
    # under any other name); before, read found no keys and signed as the stack.
    assert "aws" in created.secret_paths
    with aws_stubs() as aws:
        aws.add("autoscaling", "describe_instance_refreshes",
                {"InstanceRefreshes": [refresh("Successful", "1")]}, LIST_LATEST)  # fmt: skip
        read = host.read(created.id, created)
    assert read is not None and "aws" in read.secret_paths
    (describe,) = aws.made("autoscaling", "DescribeInstanceRefreshes")
    assert describe.access_key == "AKIAEXPLICIT"


@pytest.mark.slow
def test_an_assumed_role_is_assumed_again_before_it_expires(monkeypatch):
    # rollout.wait polls for hours; an assumed (or chained) role lasts an hour. Before, the
    # credentials were assumed once and every poll after the hour failed as expired.
    monkeypatch.setattr(refresh_provider, "POLL_SECONDS", 1800)
    fake = FakeTime()
    config = {"aws:region": "us-east-1", "aws:assumeRoles": ROLES,
              "aws:accessKey": "AKIABASE", "aws:secretKey": "base-secret"}  # fmt: skip
    provider = RefreshProvider(sleep=fake.sleep, clock=fake.clock, now=fake.wall)
    host = DynamicProviderHost(provider, config=config)
    created = host.create(inputs("1"))
    by_id = {**LIST_LATEST, "InstanceRefreshIds": ["r-2"]}
    with aws_stubs() as aws:
        aws.add("sts", "assume_role", role_credentials(FIRST_KEY, "2030-01-01T01:00:00Z"))
        before(aws)
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2"})
        for status in ("InProgress", "InProgress"):  # at 0:00 and 0:30
            aws.add("autoscaling", "describe_instance_refreshes",
                    {"InstanceRefreshes": [refresh(status, "2")]}, by_id)  # fmt: skip
        # 1:00: the first credentials expire; botocore assumes the role again first.
        aws.add("sts", "assume_role", role_credentials(SECOND_KEY, "2030-01-01T02:00:00Z"))
        aws.add("autoscaling", "describe_instance_refreshes",
                {"InstanceRefreshes": [refresh("Successful", "2")]}, by_id)  # fmt: skip
        news = inputs("2", wait=True, wait_timeout_seconds=3 * 3600)
        updated = host.update(created.id, created, news)
    assert updated.props["status"] == "Successful"
    assert [c.access_key for c in aws.made("sts", "AssumeRole")] == ["AKIABASE", "AKIABASE"]
    signers = [c.access_key for c in aws.made("autoscaling", "DescribeInstanceRefreshes")]
    assert signers == [FIRST_KEY, FIRST_KEY, FIRST_KEY, SECOND_KEY]

"""The compiled-artifact cache, run for real: rendered boot scripts (and the pre-warm script)
against moto's S3, the stand-in vLLM recording what it found in NEURON_COMPILED_ARTIFACTS.

First node compiles and publishes, the next downloads and skips the compile; a corrupt
manifest, a missing file, a checksum mismatch and a concurrent publisher each end in a compile
without loading what was bad; and every S3 call the nodes made is one their role allows.
Outcomes are gated on events (files, recorded calls), never on time."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest
from sandbox import VLLM_UNIT, Run, Sandbox, scenario, seeded_weights_digest

from graviton_llm.documents.iam import (
    artifact_cache_policy,
    node_agent_read_policy,
    weights_read_policy,
)
from graviton_llm.node.artifact_key import artifact_cache_location, static_artifact_key
from graviton_llm.node.node_config import container_argv
from graviton_llm.node_agent.model_store import FORMAT

# Boots nodes in the sandbox (moto, the AWS CLI, the agent on python3, fake units).
pytestmark = pytest.mark.slow

ARTIFACTS = "opt/graviton-llm/compiled"


def _digest(box: Sandbox) -> str:
    """The weights' identity a node of this sandbox computes: from the listing of llama/ when
    the weights are in S3, else the one a seeded node recorded."""
    listed = box.moto.client("s3").list_objects_v2(Bucket=box.bucket, Prefix="llama/")
    return box.weights_digest("llama/") if listed.get("Contents") else seeded_weights_digest()


def _entry(box: Sandbox, args) -> str:
    """The key prefix of this cluster's entry for these weights (as a node finds it)."""
    _bucket, prefix = artifact_cache_location(args)
    return f"{prefix}{_digest(box)}/"


def _key(box: Sandbox, args) -> str:
    return f"{static_artifact_key(args)}-{_digest(box)}"


def _manifest(box: Sandbox, args) -> dict | None:
    s3 = box.moto.client("s3")
    try:
        body = s3.get_object(Bucket=box.bucket, Key=_entry(box, args) + "manifest.json")["Body"]
    except s3.exceptions.NoSuchKey:
        return None
    return json.loads(body.read())


def _put(box: Sandbox, key: str, body: bytes) -> None:
    box.moto.client("s3").put_object(Bucket=box.bucket, Key=key, Body=body)


def _publish_by_hand(box: Sandbox, args, files: dict[str, bytes], blobs: dict[str, bytes]):
    """A cache entry as a publisher would leave it: ``blobs`` by their name, a manifest of
    ``files`` (path -> content)."""
    entry = _entry(box, args)
    for name, data in blobs.items():
        _put(box, f"{entry}blobs/{name}", data)
    listed = [
        {"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
        for p, d in sorted(files.items())
    ]
    manifest = {"format": FORMAT, "key": _key(box, args), "files": listed}
    _put(box, entry + "manifest.json", json.dumps(manifest).encode())


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


CACHED = {"neuron_config.json": b'{"cached": true}', "model.pt": b"\x00cached-neffs" * 100}


def _booted_node(box: Sandbox) -> Any:
    box.neuron_devices(1)
    return box.args()


def _seeded_node(box: Sandbox) -> Any:
    """A node whose weights are on disk already (fewer CLI runs: the cache is what is tested)."""
    box.seed_weights()
    return _booted_node(box)


# ---- first node compiles and publishes; the second downloads and skips the compile ---------


@scenario
def cache_first_node_compiles_second_hits(box: Sandbox) -> SimpleNamespace:
    box.upload_weights("llama/")
    args = _booted_node(box)
    first = box.run(args)
    first_events = box.artifact_events()
    manifest = _manifest(box, args)
    second_node = box.another_node()
    second_node.neuron_devices(1)
    second = second_node.run(second_node.own_ports(args))
    second_events = second_node.artifact_events()
    # A warm-pool start whose artifacts are gone from the volume: the vLLM unit's ExecStartPre
    # fetches the set from the cache again before vLLM starts, never compiles.
    restart = None
    if second.returncode == 0:
        key = _key(box, args)
        (second_node.root / ARTIFACTS / f"{key}.json").unlink()
        second_node.command(["systemctl", "stop", VLLM_UNIT], 30, None)
        restart = second_node.command(["systemctl", "start", VLLM_UNIT], 30, None)
        _wait_for(lambda: len(second_node.artifact_events()) == 2)
    return SimpleNamespace(
        box=box,
        args=args,
        first=first,
        first_events=first_events,
        manifest=manifest,
        second_node=second_node,
        second=second,
        second_events=second_events,
        restart=restart,
        restart_events=second_node.artifact_events(),
    )


def _wait_for(condition, limit: float = 20) -> None:
    """Until an event happened (bounded: a missing event fails the assertions that follow)."""
    deadline = time.monotonic() + limit
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def _answered_health(node: Sandbox) -> bool:
    return any(
        e["event"] == "request" and e["path"] == "/health" and e["status"] == 200
        for e in node.server_events()
    )


def test_the_first_node_compiles_serves_and_publishes_its_set(scenarios):
    _box, result = scenarios["cache_first_node_compiles_second_hits"]
    run = result.first
    assert run.returncode == 0, run.output
    (start,) = result.first_events
    assert start["found"] is False  # nothing to load: vLLM compiled
    assert "no set for key" in run.output and "vLLM compiles instead" in run.output
    assert "published key" in run.output
    # The manifest lists exactly what vLLM wrote, with sizes and SHA-256.
    manifest = result.manifest
    assert manifest is not None and manifest["format"] == FORMAT
    assert manifest["key"] == _key(result.box, result.args)
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == start["files"]
    assert manifest["inputs"]["model_id"] == result.args.model.id


def test_the_second_node_downloads_verifies_and_skips_the_compile(scenarios):
    _box, result = scenarios["cache_first_node_compiles_second_hits"]
    run = result.second
    assert run.returncode == 0, run.output
    # Its readiness probe was answered by its own vLLM, not by the first node's.
    assert _answered_health(result.second_node)
    (start,) = result.second_events
    assert start["found"] is True  # vLLM loaded artifacts: it did not compile
    assert start["files"] == result.first_events[0]["files"]  # the published set, byte for byte
    assert "artifact cache hit" in run.output and "compiles instead" not in run.output
    # It published nothing: no manifest write, no blob upload.
    uploads = [
        a
        for a in run.argv("aws")
        if a[:2] == ["s3api", "put-object"] or (a[:2] == ["s3", "cp"] and a[-1].startswith("s3://"))
    ]
    assert uploads == []


def test_the_cli_is_tuned_for_instance_speed(scenarios):
    """CLI v2 takes the CRT keys (inf2.8xlarge: 25 Gb/s), v1 the classic ones; the CLI (v1
    here) ran every S3 call of the boot with that file and accepted it."""
    box, _result = scenarios["cache_first_node_compiles_second_hits"]
    config = box.root / "opt/graviton-llm/etc/aws-cli.conf"
    lines = [line.strip() for line in config.read_text().splitlines()]
    assert "preferred_transfer_client = crt" in lines and "target_bandwidth = 25Gb/s" in lines
    assert "max_concurrent_requests = 64" in lines and "multipart_chunksize = 16MB" in lines
    env = (box.root / "opt/graviton-llm/etc/aws.env").read_text()
    assert f"AWS_CONFIG_FILE={config}" in env.splitlines()  # the units' CLI calls use it too


def test_a_restart_whose_artifacts_are_gone_fetches_them_from_the_cache(scenarios):
    _box, result = scenarios["cache_first_node_compiles_second_hits"]
    assert result.restart is not None and result.restart.returncode == 0, result.restart
    assert "artifact cache hit" in result.restart.output
    restarted = result.restart_events[-1]
    assert restarted["found"] is True
    assert restarted["files"] == result.first_events[0]["files"]


# ---- what is not exactly a published set is never loaded: the node compiles ----------------


@scenario
def cache_bad_sets(box: Sandbox) -> SimpleNamespace:
    """One node, three bad entries for its key: a corrupt manifest at boot, then (the entry
    replaced, the node's own set gone) a missing file and a checksum mismatch at restarts,
    where the vLLM unit's ExecStartPre looks again."""
    args = _seeded_node(box)
    _put(box, _entry(box, args) + "manifest.json", b'{"format": "graviton-llm-artifacts/1", "ke')
    outcomes = {"corrupt": (box.run(args), box.artifact_events())}
    config, model = CACHED["neuron_config.json"], CACHED["model.pt"]
    tampered = bytes(reversed(model))  # the same size, other bytes
    bad = {
        "missing": {_sha(config): config},  # model.pt never uploaded
        "mismatch": {_sha(config): config, _sha(model): tampered},
    }
    for case, blobs in bad.items():
        if outcomes["corrupt"][0].returncode != 0:
            break
        _publish_by_hand(box, args, CACHED, blobs)
        (box.root / ARTIFACTS / f"{_key(box, args)}.json").unlink(missing_ok=True)
        box.command(["systemctl", "stop", VLLM_UNIT], 30, None)
        started = len(box.artifact_events())
        restart = box.command(["systemctl", "start", VLLM_UNIT], 30, None)
        _wait_for(lambda n=started: len(box.artifact_events()) > n)
        outcomes[case] = (restart, box.artifact_events()[started:])
    runs = {case: run for case, (run, _) in outcomes.items()}
    return SimpleNamespace(args=args, outcomes=outcomes, **runs)


def _compiled_fresh(result: SimpleNamespace, case: str) -> Run:
    run, starts = result.outcomes[case]
    assert run.returncode == 0, run.output  # the node serves all the same
    (start,) = starts
    assert start["found"] is False, start  # nothing was loaded: vLLM compiled
    assert not set(start["files"].values()) & {_sha(d) for d in CACHED.values()}
    return run


def test_a_corrupt_manifest_is_reported_and_the_node_compiles(scenarios):
    _box, result = scenarios["cache_bad_sets"]
    run = _compiled_fresh(result, "corrupt")
    assert (
        "artifact cache: corrupt manifest" in run.output and "vLLM compiles instead" in run.output
    )
    # The bad entry is not overwritten by this node (If-None-Match); it is reported.
    assert "is already in the cache" in run.output


def test_a_missing_file_is_reported_and_nothing_of_the_set_is_loaded(scenarios):
    _box, result = scenarios["cache_bad_sets"]
    run = _compiled_fresh(result, "missing")  # not even the neuron_config.json that came
    assert "model.pt is missing from the cache" in run.output


def test_a_checksum_mismatch_is_reported_and_nothing_of_the_set_is_loaded(scenarios):
    _box, result = scenarios["cache_bad_sets"]
    run = _compiled_fresh(result, "mismatch")
    assert "model.pt: SHA-256 mismatch" in run.output


# ---- two publishers: a partial upload is never complete, and only one manifest wins ---------


@scenario
def cache_concurrent_publishers(box: Sandbox) -> SimpleNamespace:
    args = _seeded_node(box)
    # Node A compiles and uploads its blobs, and dies before its manifest (a partial upload).
    a = box.run(args, timeout=90, FAKE_VLLM_COMPILE_SALT="a", GLT_AWS_FAIL_MANIFEST="1")
    # Node B boots meanwhile: blobs without a manifest are no set, so it compiles too. Then A
    # retries (its publish unit at the next boot) while B publishes, interleaved by events so
    # that both pass "is there a manifest?" before either writes one: B's manifest write is
    # held in the aws shim until A's is held too; B's goes first, then A's.
    b_node = box.another_node()
    b_node.seed_weights()
    b_node.neuron_devices(1)
    b_held, b_go = b_node.tmp / "manifest-held", b_node.tmp / "manifest-go"
    a_held, a_go = box.tmp / "manifest-held", box.tmp / "manifest-go"
    runs: dict[str, Run] = {}

    def boot_b() -> None:
        runs["b"] = b_node.run(
            b_node.own_ports(args),
            timeout=90,
            FAKE_VLLM_COMPILE_SALT="b",
            GLT_AWS_HOLD_MANIFEST=str(b_go),
            GLT_AWS_HOLDING=str(b_held),
        )

    def retry_a() -> None:
        runs["a_retry"] = box.model_store(
            "publish", GLT_AWS_HOLD_MANIFEST=str(a_go), GLT_AWS_HOLDING=str(a_held)
        )

    b_thread = threading.Thread(target=boot_b)
    b_thread.start()
    _wait_for(lambda: b_held.exists() or not b_thread.is_alive(), 90)
    a_thread = threading.Thread(target=retry_a)
    a_thread.start()
    _wait_for(lambda: a_held.exists() or not a_thread.is_alive(), 60)
    b_go.touch()  # B's conditional write first ...
    b_thread.join(90)
    a_go.touch()  # ... then A's reaches S3, which already holds B's manifest
    a_thread.join(60)
    return SimpleNamespace(
        args=args, a=a, b=runs.get("b"), a_retry=runs.get("a_retry"), b_node=b_node
    )


def test_a_partial_upload_is_not_taken_for_a_set_and_one_publisher_wins(scenarios):
    box, result = scenarios["cache_concurrent_publishers"]
    assert result.a.returncode == 0, result.a.output  # A serves; its publish only warned
    assert "WARNING: compiled artifacts not published" in result.a.output
    a_files = box.artifact_events()[0]["files"]
    b = result.b
    assert b is not None and b.returncode == 0, b and b.output
    assert _answered_health(result.b_node)
    (b_start,) = result.b_node.artifact_events()
    # B found A's blobs but no manifest: no set. It compiled its own, never loaded A's.
    assert b_start["found"] is False and b_start["files"] != a_files
    assert "no set for key" in b.output and "published key" in b.output
    # A checked before B's manifest existed, uploaded, and lost the conditional write: 412.
    retry = result.a_retry
    assert retry is not None and retry.returncode == 0, retry and retry.output
    assert "another node published key" in retry.output
    manifest = _manifest(box, result.args)
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == b_start["files"]


# ---- pre-warm: the compile job publishes, and the first node of the cluster already hits -----


@scenario
def cache_prewarmed_by_the_compile_job(box: Sandbox) -> SimpleNamespace:
    box.upload_weights("llama/")
    args = _booted_node(box)
    job = box.run_compile(args)
    return SimpleNamespace(
        args=args, job=job, job_events=box.artifact_events(), manifest=_manifest(box, args)
    )


def test_the_compile_job_publishes_the_set_the_clusters_nodes_look_up(scenarios):
    """The job compiles with the nodes' own command and publishes under the key every node of
    the cluster computes (their hit is the first scenario's)."""
    box, result = scenarios["cache_prewarmed_by_the_compile_job"]
    job = result.job
    assert job.returncode == 0, job.output
    assert "compiled meta-llama/Llama-3.1-8B-Instruct and published it" in job.output
    assert job.argv("shutdown") == [["-h", "now"]]  # the one-off instance ends itself
    (start,) = result.job_events
    assert start["found"] is False
    assert result.manifest is not None and result.manifest["key"] == _key(box, result.args)
    assert {f["path"]: f["sha256"] for f in result.manifest["files"]} == start["files"]
    # The container ran with the cluster's exact command line.
    assert [a for a in job.argv("docker") if a[0] == "run"] == [container_argv(result.args)[1:]]


# ---- least privilege: every S3 call the nodes made, against the role's policies ------------


def _allowed(policies: list[dict], action: str, resource: str, context: dict | None = None) -> bool:
    """IAM's answer for one request (Allow statements only). A condition key the request lacks
    fails its condition, as in IAM; an operator this evaluator does not model fails the test."""
    context = context or {}
    for policy in policies:
        for statement in policy["Statement"]:
            actions = statement["Action"]
            resources = statement["Resource"]
            actions = [actions] if isinstance(actions, str) else actions
            resources = [resources] if isinstance(resources, str) else resources
            if action not in actions or not any(
                fnmatch.fnmatchcase(resource, r) for r in resources
            ):
                continue
            if all(
                _condition_holds(operator, key, values, context)
                for operator, block in statement.get("Condition", {}).items()
                for key, values in block.items()
            ):
                return True
    return False


def _condition_holds(operator: str, key: str, values: str | list[str], context: dict) -> bool:
    values = [values] if isinstance(values, str) else values
    if key not in context:
        return False
    if operator == "StringLike":
        return any(fnmatch.fnmatchcase(context[key], v) for v in values)
    if operator == "StringEquals":
        return context[key] in values
    raise AssertionError(f"condition operator {operator} is not modelled here")


def _requests(argv: list[str]) -> list[tuple[str, str, dict]]:
    """(action, ARN, condition keys) the call needs. An unknown S3 call fails the test: each new
    kind of call must be classified here, and so checked against the policy."""

    def flag(name: str) -> str:
        return argv[argv.index(name) + 1]

    command = argv[:2]
    if command == ["s3api", "list-objects-v2"]:
        return [
            ("s3:ListBucket", f"arn:aws:s3:::{flag('--bucket')}", {"s3:prefix": flag("--prefix")})
        ]
    if command in (["s3api", "get-object"], ["s3api", "head-object"]):
        return [("s3:GetObject", f"arn:aws:s3:::{flag('--bucket')}/{flag('--key')}", {})]
    if command == ["s3api", "put-object"]:
        headers = {"s3:if-none-match": flag("--if-none-match")} if "--if-none-match" in argv else {}
        return [("s3:PutObject", f"arn:aws:s3:::{flag('--bucket')}/{flag('--key')}", headers)]
    if command in (["s3", "sync"], ["s3", "cp"]):
        words = [a for a in argv[2:] if not a.startswith("-") and a != "*"]
        source, target = [a for a in words if "/" in a][:2]
        uri = source if source.startswith("s3://") else target
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        if source.startswith("s3://"):  # a download lists, then reads
            return [
                ("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": key}),
                ("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}x", {}),
            ]
        return [("s3:PutObject", f"arn:aws:s3:::{bucket}/{key}{'0' * 64}", {})]
    raise AssertionError(f"unclassified S3 call: {argv}")


def _node_policies(box: Sandbox, args) -> list[dict]:
    bucket, prefix = artifact_cache_location(args)
    return [
        weights_read_policy(args.model.weights_uri),
        artifact_cache_policy(f"s3://{bucket}/{prefix}"),
        node_agent_read_policy(box.agent.bucket, box.agent.key),
    ]


def test_every_s3_call_a_node_made_is_one_its_role_allows(scenarios):
    runs: list[tuple[Sandbox, Any, Run]] = []
    for name in (
        "cache_first_node_compiles_second_hits",
        "cache_concurrent_publishers",
        "cache_prewarmed_by_the_compile_job",
        "cache_bad_sets",
    ):
        box, result = scenarios[name]
        runs += [(box, result.args, r) for r in vars(result).values() if isinstance(r, Run)]
    writes = agent_reads = 0
    for box, args, run in runs:
        policies = _node_policies(box, args)
        for argv in run.argv("aws"):
            if argv[0] not in ("s3", "s3api"):
                continue
            for action, resource, context in _requests(argv):
                assert _allowed(policies, action, resource, context), (action, resource, argv)
                writes += action == "s3:PutObject"
                agent_reads += resource.endswith(".pyz")
    assert writes >= 4  # blobs and manifests of several publishers were checked
    assert agent_reads >= 3  # and the bootstraps' fetches of the node agent


def test_the_policy_check_itself_refuses_writes_outside_the_prefix(scenarios):
    """The check above can fail: the same evaluator refuses a write under the weights, under
    another cluster's key, or at the cache's root, and a manifest write that could overwrite."""
    box, result = scenarios["cache_first_node_compiles_second_hits"]
    policies = _node_policies(box, result.args)
    bucket = box.bucket
    entry = _entry(box, result.args)
    manifest = f"arn:aws:s3:::{bucket}/{entry}manifest.json"
    create = {"s3:if-none-match": "*"}
    assert _allowed(policies, "s3:PutObject", manifest, create)
    assert not _allowed(policies, "s3:PutObject", manifest)
    assert not _allowed(policies, "s3:PutObject", manifest, {"s3:if-match": '"etag"'})
    assert _allowed(policies, "s3:PutObject", f"arn:aws:s3:::{bucket}/{entry}blobs/{'0' * 64}")
    for key in (
        "llama/config.json",
        "llama/.graviton-llm-cache/x/manifest.json",
        ".graviton-llm-cache/0000000000000000/x/manifest.json",
        ".graviton-llm-cache/manifest.json",
        f"{entry}notes.txt",
    ):
        assert not _allowed(policies, "s3:PutObject", f"arn:aws:s3:::{bucket}/{key}", create), key
    assert not _allowed(policies, "s3:DeleteObject", f"arn:aws:s3:::{bucket}/{entry}manifest.json")
    # The node agent: read, exactly that object; never written, never another key beside it.
    agent = f"arn:aws:s3:::{bucket}/{box.agent.key}"
    assert _allowed(policies, "s3:GetObject", agent)
    assert not _allowed(policies, "s3:PutObject", agent, create)
    assert not _allowed(policies, "s3:GetObject", agent.replace(".pyz", ".zip"))

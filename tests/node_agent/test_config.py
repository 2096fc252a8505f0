"""One schema, both sides: the renderer refuses a node config the agent would refuse, and the
agent (as the node runs it) refuses what the schema refuses. ``check`` implements a subset of
JSON Schema; a full validator (jsonschema) agrees with it on every document here."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from agent_support import config_for, install, run_agent
from graviton_llm.node_agent import config as node_config

GOOD = {
    "inf2": config_for(),
    "trn2-api-key": config_for(instance_type="trn2.48xlarge", api_key_ssm_parameter="/llm/k"),
    "graviton-no-monitoring": config_for(
        instance_type="r8g.16xlarge",
        max_num_seqs=32,
        monitoring={"enabled": False},
        rollout={"auto_rollback": False},
    ),
}


def _broken(change) -> dict:
    document = copy.deepcopy(GOOD["inf2"])
    change(document)
    return document


BAD = {
    "unknown setting": _broken(lambda d: d.update(debug=True)),
    "missing setting": _broken(lambda d: d.pop("image")),
    "port as text": _broken(lambda d: d.update(port="8000")),
    "port out of range": _broken(lambda d: d.update(port=70000)),
    "port as a boolean": _broken(lambda d: d.update(port=True)),
    "another format": _broken(lambda d: d.update(format="graviton-llm-node/2")),
    "a job no agent runs": _broken(lambda d: d.update(job="shell")),
    "a region that is not one": _broken(lambda d: d.update(region="us-east-1; reboot")),
    "an empty model id": _broken(lambda d: d["model"].update(id="")),
    "a bucket name S3 refuses": _broken(lambda d: d["model"].update(weights_bucket="A_B")),
    "vLLM arguments not a list": _broken(lambda d: d["container"].update(vllm_args="--x")),
    "env with a number": _broken(lambda d: d["container"]["env"].update(X=1)),
    "a static key that is not one": _broken(lambda d: d["artifacts"].update(static_key="k")),
    "an API key parameter with a space": _broken(
        lambda d: d.update(api_key={"parameter": "/a b", "pointer": False})
    ),
    "a list, not a config": ["graviton-llm-node/1"],
}


def _jsonschema_valid(document: object) -> bool:
    return jsonschema.Draft202012Validator(node_config.schema()).is_valid(document)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(GOOD))
def test_what_the_renderer_writes_the_agent_accepts(name, tmp_path):
    document = GOOD[name]
    assert node_config.problems(document) == [] and _jsonschema_valid(document)
    root = tmp_path / "root"
    install(root, document)
    checked = run_agent(root, "check-config", env={"PATH": "/usr/bin:/bin"})
    assert checked.returncode == 0, checked.stderr
    assert f"a valid graviton-llm-node/1 document for the {document['job']} job" in checked.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BAD))
def test_both_sides_refuse_the_same_documents(name, tmp_path):
    document = BAD[name]
    problems = node_config.problems(document)
    assert problems and not _jsonschema_valid(document)
    root = tmp_path / "root"
    install(root, None)
    path = root / "opt/graviton-llm/etc/node.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(document))
    checked = run_agent(root, "check-config", env={"PATH": "/usr/bin:/bin"})
    assert checked.returncode == 1
    assert problems[0] in checked.stderr  # the agent says what the renderer would


def test_the_renderer_refuses_a_config_the_agent_would_refuse(monkeypatch):
    """A renderer bug (here: a heartbeat of 0 s) is caught at preview, never on a node."""
    from agent_support import args_for
    from graviton_llm.node import node_config as renderer

    monkeypatch.setattr(renderer.timing, "LIFECYCLE_HEARTBEAT_EVERY_SECONDS", 0)
    refused = r"the node agent would refuse its config: config.heartbeat_seconds: 0 is outside"
    with pytest.raises(ValueError, match=refused):
        renderer.node_config(args_for())


def test_an_integer_written_with_a_fraction_is_refused_deliberately():
    """JSON Schema takes 8000.0 for an integer; the agent would print "8000.0" in a unit."""
    document = _broken(lambda d: d.update(port=8000.0))
    assert _jsonschema_valid(document)
    assert node_config.problems(document) == ["config.port: 8000.0 is not integer"]


def test_a_schema_keyword_the_validator_does_not_implement_is_an_error():
    with pytest.raises(node_config.ConfigError, match="not implemented"):
        node_config.check("x", {"type": "string", "format": "email"})

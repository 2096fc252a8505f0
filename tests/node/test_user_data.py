from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graviton_llm import NeuronServingClusterArgs, render_user_data
from graviton_llm.node.agent_archive import agent_archive
from graviton_llm.node.agent_location import agent_location
from graviton_llm.node.artifact_key import artifact_key_inputs, static_artifact_key
from graviton_llm.node.node_config import container_argv, node_config
from graviton_llm.node.serve_command import num_gpu_blocks_override, serve_command
from graviton_llm.node.user_data import render_compile_script
from graviton_llm.node_agent import node_files as agent_files
from support import assert_golden, cluster_args

VARIANTS = {
    "inf2": cluster_args(),
    "inf2_70b": cluster_args(
        instance_type="inf2.48xlarge",
        model={
            "id": "meta-llama/Llama-3.3-70B-Instruct",
            "weights_uri": "s3://team-weights/llama-70b/",
        },
        max_model_len=8192,
        max_num_seqs=16,
        max_num_batched_tokens=8192,
    ),
    "trn1": cluster_args(instance_type="trn1.32xlarge", enable_prefix_caching=False),
    "trn2": cluster_args(instance_type="trn2.48xlarge", region="us-east-2"),
    "graviton": cluster_args(instance_type="r8g.16xlarge", max_num_seqs=32),
    "inf2_api_key": cluster_args(api_key_ssm_parameter="/llm/prod/api-key"),
    "trn2_api_key": cluster_args(
        instance_type="trn2.48xlarge", region="us-east-2", api_key_ssm_parameter="/llm/key"
    ),
    "graviton_api_key": cluster_args(
        instance_type="r8g.16xlarge", max_num_seqs=32, api_key_ssm_parameter="/llm/prod/api-key"
    ),
}


def _args(variant: str) -> NeuronServingClusterArgs:
    return NeuronServingClusterArgs.model_validate(VARIANTS[variant])


def _shellcheck() -> str:
    found = shutil.which("shellcheck") or str(Path(sys.executable).with_name("shellcheck"))
    assert Path(found).exists(), "shellcheck missing: run ./scripts/setup.sh"
    return found


@pytest.mark.parametrize("variant", ["inf2", "trn1", "graviton", "trn2"])
def test_the_node_config_matches_its_golden_file(variant):
    """Reviewed as data: what a node is told, setting by setting (the agent's code is pinned by
    digest, so a golden of the user data would change with every agent edit)."""
    config = node_config(_args(variant))
    assert_golden(f"node_config_{variant}.json", json.dumps(config, indent=1, sort_keys=True))


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_user_data_and_the_runner_are_shellcheck_clean(variant, tmp_path):
    args = _args(variant)
    scripts = [tmp_path / "user-data.sh", tmp_path / "run-vllm"]
    scripts[0].write_text(render_user_data(args))
    scripts[1].write_text(agent_files.runner_script(container_argv(args)))
    if args.spec.accelerator == "neuron":  # and the pre-warm job's user data
        scripts.append(tmp_path / "compile.sh")
        scripts[-1].write_text(render_compile_script(args))
    checked = subprocess.run(
        [_shellcheck(), "--severity=style", *map(str, scripts)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_user_data_is_plain_text_within_4_kib(variant):
    """No gzip: EC2's 16 KB limit applies to the raw bytes, which now hold only the bootstrap
    and the config (every shipped stack and example is checked too: test_examples.py,
    tests/project)."""
    for script in (render_user_data(_args(variant)), _compile_script(variant)):
        data = script.encode()
        assert data.startswith(b"#!/bin/bash\n") and data.isascii()
        assert len(data) <= 4096, len(data)


def _compile_script(variant: str) -> str:
    args = _args(variant)
    return render_compile_script(args) if args.artifact_cache_root else render_user_data(args)


def test_the_user_data_pins_the_agent_and_holds_the_config_as_data():
    args = _args("inf2_api_key")
    script = render_user_data(args)
    location = agent_location(args)
    assert f"readonly AGENT_SHA256={agent_archive().sha256}" in script
    assert f"readonly AGENT_KEY={location.key}" in script
    assert location.key == f".graviton-llm-cache/node-agent/{agent_archive().sha256}.pyz"
    config_line = next(line for line in script.splitlines() if line.startswith("{"))
    assert json.loads(config_line) == node_config(args, api_key_pointer=None)
    assert "set -euo pipefail" in script and "FAILED in step" in script
    assert "tee -a" in script  # log file and console


def test_a_value_too_long_for_ec2_is_refused_naming_the_field():
    """Forced past the args (model_copy does not validate): a 20,000-character model id cannot
    fit EC2's 16 KB; the renderer says which field to shorten, before anything is created."""
    args = _args("inf2")
    forced = args.model_copy(
        update={"model": args.model.model_copy(update={"id": "x" * 20_000, "params_billion": 8.03})}
    )
    with pytest.raises(ValueError, match=r"over EC2's 16,384: shorten model.id \(20,002"):
        render_user_data(forced)


def test_only_neuron_clusters_have_something_to_pre_warm():
    with pytest.raises(ValueError, match="nothing to pre-warm"):
        render_compile_script(_args("graviton"))
    off = NeuronServingClusterArgs.model_validate(cluster_args(artifact_cache={"enabled": False}))
    with pytest.raises(ValueError, match="nothing to pre-warm"):
        render_compile_script(off)


def test_nxdi_flags_size_the_kv_blocks_by_the_prefix_caching_rule():
    args = _args("inf2")  # 4096 tokens / 32 per block x 8 seqs
    assert num_gpu_blocks_override(args) == 1024
    vllm = serve_command(args).vllm_args
    assert vllm[vllm.index("--num-gpu-blocks-override") + 1] == "1024"
    assert vllm[vllm.index("--block-size") + 1] == "32"
    assert "--enable-prefix-caching" in vllm
    assert '"pa_num_blocks":1024' in vllm[vllm.index("--additional-config") + 1]


def test_without_prefix_caching_nxdi_gets_exactly_max_num_seqs_blocks():
    args = _args("trn1")
    assert num_gpu_blocks_override(args) == args.max_num_seqs
    vllm = serve_command(args).vllm_args
    assert "--no-enable-prefix-caching" in vllm and "--additional-config" not in vllm


def test_compiled_artifacts_live_on_a_persistent_path_the_node_points_at_its_key():
    """The container sees /compiled/active, a link model-store sets to the key's directory
    before each start: the rendered command is the same whatever the weights' digest."""
    for variant in ("inf2", "trn2"):
        command = serve_command(_args(variant))
        assert command.env["NEURON_COMPILED_ARTIFACTS"] == "/compiled/active"
        assert "/opt/graviton-llm/compiled:/compiled" in container_argv(_args(variant))
    # The newer plugin's own compile cache lives in the key's directory too (it would be lost
    # with the --rm container otherwise).
    assert serve_command(_args("trn2")).env["VLLM_CACHE_ROOT"] == "/compiled/active/vllm-cache"
    assert "NEURON_COMPILED_ARTIFACTS" not in serve_command(_args("graviton")).env


def _key(**overrides):
    return static_artifact_key(NeuronServingClusterArgs.model_validate(cluster_args(**overrides)))


@pytest.mark.parametrize(
    "change",
    [
        {"image": "public.ecr.aws/neuron/pytorch-inference-vllm-neuronx:0.13.0-other"},
        {"model": {"id": "meta-llama/Llama-3.1-8B", "params_billion": 8.03}},
        {"model": {"dtype": "float16"}},
        {"instance_type": "inf2.24xlarge", "tensor_parallel_size": 4},  # size alone: same key
        {"max_model_len": 2048},
        {"max_num_seqs": 4},
        {"max_num_batched_tokens": 8192},
        {"enable_prefix_caching": False},
        {"instance_type": "trn1.2xlarge"},
    ],
    ids=lambda change: "-".join(change),
)
def test_the_artifact_key_changes_with_everything_the_compile_depends_on(change):
    assert _key(**change) != _key()


def test_the_artifact_key_ignores_what_the_compile_does_not_see():
    # The port, the API key, the instance size within a family at the same TP degree.
    assert _key(port=8080) == _key()
    assert _key(api_key_ssm_parameter="/llm/key") == _key()
    assert _key(instance_type="inf2.24xlarge", tensor_parallel_size=2) == _key(
        tensor_parallel_size=2
    )


def test_the_key_inputs_say_what_the_key_covers():
    inputs = artifact_key_inputs(_args("trn2"))
    assert inputs["instance_family"] == "trn2" and inputs["logical_nc_config"] == 2
    assert inputs["block_size"] is None  # the newer plugin takes no --block-size
    assert "--additional-config" in inputs["vllm_args"] and "--port" not in inputs["vllm_args"]
    assert inputs["env"] == {"NEURON_SKIP_EFA_AFFINITY": "1"}  # paths are left out
    nxdi = artifact_key_inputs(_args("inf2"))
    assert nxdi["block_size"] == 32 and nxdi["logical_nc_config"] == 1
    assert nxdi["env"] == {"VLLM_NEURON_FRAMEWORK": "neuronx-distributed-inference"}


def test_trn2_uses_the_newer_plugin_flags():
    command = serve_command(_args("trn2"))
    assert "--num-gpu-blocks-override" not in command.vllm_args
    assert "--block-size" not in command.vllm_args
    config = command.vllm_args[command.vllm_args.index("--additional-config") + 1]
    assert (
        config == '{"neuron_config":{"num_batched_tokens_buckets":[4096],"num_seqs_buckets":[8]}}'
    )
    assert "VLLM_NEURON_FRAMEWORK" not in command.env
    devices = [o for o in container_argv(_args("trn2")) if o.startswith("--device=")]
    assert len(devices) == 16


def test_graviton_uses_the_cpu_image_and_no_neuron_anything():
    config = node_config(_args("graviton"))
    assert "vllm/vllm-openai-cpu:" in config["image"] and "-arm64" in config["image"]
    assert config["neuron_chips"] == 0 and config["artifacts"] is None
    assert "neuron" not in json.dumps(config).lower().replace('"neuron_chips"', "")
    assert not [w for w in container_argv(_args("graviton")) if "neuron" in w]
    env = serve_command(_args("graviton")).env
    # 32 seqs x 4096 tokens x 128 KiB per token (Llama 3.1 8B, bf16) = 16 GiB
    assert env["VLLM_CPU_KVCACHE_SPACE"] == "16"


def test_no_blog_mistakes_in_any_variant():
    for variant in VARIANTS:
        script = " ".join(container_argv(_args(variant)))
        assert "--device neuron" not in script
        assert "pip install vllm" not in script
        assert ":latest" not in script


def test_the_readiness_timeout_is_the_predicted_cold_start_with_margin():
    assert node_config(_args("inf2"))["ready_timeout_seconds"] == 1200


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_agent_rebuilds_the_artifact_keys_inputs_the_renderer_digested(variant):
    """The node writes its own copy of the key's inputs into the cache manifest
    (node_agent/node_files.key_inputs, from the config); the renderer digests
    node/artifact_key.artifact_key_inputs. The two are written on either side of the agent
    boundary: they must stay equal, or a cache set would be filed under inputs it was not built
    from."""
    args = _args(variant).resolved()
    rebuilt = agent_files.key_inputs(node_config(args))
    if args.artifact_cache_root is None:  # a CPU cluster compiles nothing, keeps no cache
        assert rebuilt is None
    else:
        assert rebuilt == artifact_key_inputs(args)


def test_the_bootstrap_installs_the_agent_where_the_agents_units_look_for_it():
    """bootstrap.sh writes the config, the agent and the boot log at the agent's own paths
    (node_agent/paths.py), which the units it writes then name."""
    from graviton_llm.node.shell import template
    from graviton_llm.node_agent import paths

    text = template("bootstrap.sh")
    for path in (paths.AGENT, paths.NODE_CONFIG, paths.BOOT_LOG):
        assert f'"$R{path}"' in text, path

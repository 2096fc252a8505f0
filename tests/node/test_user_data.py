from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graviton_llm import NeuronServingClusterArgs, render_user_data
from graviton_llm.node.node_files import node_files
from graviton_llm.node.serve_command import (
    artifact_key_inputs,
    num_gpu_blocks_override,
    serve_command,
    static_artifact_key,
)
from graviton_llm.node.user_data import (
    USER_DATA_LIMIT_BYTES,
    compress_user_data,
    render_compile_script,
)
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
def test_rendered_script_matches_its_golden_file(variant):
    assert_golden(f"user_data_{variant}.sh", render_user_data(_args(variant)))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rendered_script_is_shellcheck_clean(variant, tmp_path):
    args = _args(variant)
    script = tmp_path / f"{variant}.sh"
    script.write_text(render_user_data(args))
    if args.spec.accelerator == "neuron":  # and the pre-warm script of the same cluster
        (tmp_path / f"{variant}-compile.sh").write_text(render_compile_script(args))
    # The scripts the boot script installs (runner, release, API-key reader) are checked too.
    embedded = []
    for node_file in node_files(args):
        if node_file.text.startswith("#!/bin/bash"):
            embedded.append(tmp_path / node_file.path.rsplit("/", 1)[1])
            embedded[-1].write_text(node_file.text)
    compile_script = [str(p) for p in tmp_path.glob("*-compile.sh")]
    checked = subprocess.run(
        [_shellcheck(), "--severity=style", str(script), *compile_script, *map(str, embedded)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout
    assert len(embedded) == (3 if args.api_key_ssm_parameter else 2)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rendered_script_fits_ec2s_16_kib_user_data_limit(variant):
    compressed = compress_user_data(render_user_data(_args(variant)))
    assert len(compressed) <= USER_DATA_LIMIT_BYTES == 16384
    if _args(variant).spec.accelerator == "neuron":  # the pre-warm job's user data too
        assert len(compress_user_data(render_compile_script(_args(variant)))) <= 16384


def test_the_node_runs_its_python_tools_without_docstrings_but_as_python_3_9_code():
    """AL2023's python3 is 3.9: the installed text must parse with 3.9's grammar."""
    tools = {f.path: f.text for f in node_files(_args("inf2"))}
    for path in ("/opt/graviton-llm/bin/model-store", "/opt/graviton-llm/bin/latency-exporter"):
        text = tools[path]
        assert text.startswith("#!/usr/bin/python3\n")
        ast.parse(text, feature_version=(3, 9))
        assert '"""' not in text


def test_only_neuron_clusters_have_something_to_pre_warm():
    with pytest.raises(ValueError, match="nothing to pre-warm"):
        render_compile_script(_args("graviton"))
    off = NeuronServingClusterArgs.model_validate(cluster_args(artifact_cache={"enabled": False}))
    with pytest.raises(ValueError, match="nothing to pre-warm"):
        render_compile_script(off)


def test_script_fails_loudly():
    script = render_user_data(_args("inf2"))
    assert "set -euo pipefail" in script
    assert "FAILED in step" in script
    assert "tee -a" in script  # log file and console


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


def test_one_device_per_neuron_chip_and_the_capabilities_neuron_needs():
    docker = serve_command(_args("inf2_70b")).docker_options
    devices = [o for o in docker if o.startswith("--device=")]
    assert devices == [f"--device=/dev/neuron{i}" for i in range(12)]
    assert docker[12:14] == ["--cap-add", "SYS_ADMIN"] and "IPC_LOCK" in docker


def test_compiled_artifacts_live_on_a_persistent_path_the_node_points_at_its_key():
    """The container sees /compiled/active, a link model-store sets to the key's directory
    before each start: the rendered command is the same whatever the weights' digest."""
    for variant in ("inf2", "trn2"):
        command = serve_command(_args(variant))
        assert command.env["NEURON_COMPILED_ARTIFACTS"] == "/compiled/active"
        assert "-v" in command.docker_options
        assert "/opt/graviton-llm/compiled:/compiled" in command.docker_options
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
    assert len([o for o in command.docker_options if o.startswith("--device=")]) == 16


def test_graviton_uses_the_cpu_image_and_no_neuron_anything():
    script = render_user_data(_args("graviton"))
    assert "vllm/vllm-openai-cpu:" in script and "-arm64" in script
    assert "neuron" not in script.lower().replace("graviton-llm", "")
    env = serve_command(_args("graviton")).env
    # 32 seqs x 4096 tokens x 128 KiB per token (Llama 3.1 8B, bf16) = 16 GiB
    assert env["VLLM_CPU_KVCACHE_SPACE"] == "16"


def test_no_blog_mistakes_in_any_variant():
    for variant in VARIANTS:
        script = render_user_data(_args(variant))
        assert "--device neuron" not in script
        assert "pip install vllm" not in script
        assert ":latest" not in script


def test_readiness_waits_for_health_and_a_real_completion():
    script = render_user_data(_args("inf2"))
    assert "/health" in script and "/v1/completions" in script
    assert "readonly READY_TIMEOUT_SECONDS=1200" in script

"""Both stack configs build through the real program, as `pulumi up -s <env>` would."""

from __future__ import annotations

import pytest

from graviton_llm import project
from graviton_llm.args import ArgsError
from graviton_llm.plan import build_plan


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stack", "resources", "instance_type", "nodes"),
    [
        ("dev", 29, "inf2.8xlarge", 1),
        ("prod", 35, "inf2.48xlarge", 3),
    ],
)
def test_stack_config_builds_the_cluster(stack, resources, instance_type, nodes):
    plan = build_plan(stack)
    assert len(plan.result.resources) == resources
    args = plan.cluster.args
    assert (args.instance_type, args.desired_capacity) == (instance_type, nodes)
    assert set(plan.result.stack_outputs) == {
        "endpoint",
        "auto_scaling_group",
        "role_arn",
        "launch_template_id",
    }


@pytest.mark.slow
def test_prod_serves_a_real_70b_at_tp24_with_reservations():
    plan = build_plan("prod")
    args = plan.cluster.args
    assert args.model.id == "meta-llama/Llama-3.3-70B-Instruct"
    assert args.tensor_parallel_size == 24
    assert len(plan.result.of_type("aws:ec2/capacityReservation:CapacityReservation")) == 3


def test_stack_names_map_to_files_and_paths_pass_through(tmp_path):
    assert project.stack_config_path("dev").name == "Pulumi.dev.yaml"
    custom = tmp_path / "Pulumi.custom.yaml"
    assert project.stack_config_path(str(custom)) == custom


def test_a_bad_stack_file_is_refused_with_the_field_named(tmp_path):
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text(
        (project.STACKS_DIR / "Pulumi.dev.yaml").read_text().replace("inf2.8xlarge", "r8g.48xlarge")
        + "\n"
    )
    text = bad.read_text().replace("    model:", "    accelerator: neuron\n    model:")
    bad.write_text(text)
    with pytest.raises(ArgsError, match="accelerator"):
        build_plan(str(bad))

"""Hand-written values AWS, Hugging Face, vLLM or common sense refuse, per field of the cluster
args: (dotted field path, value). Each must be refused naming that field (test_hostile_args.py);
benchmarks and the closing notes count how many an older build accepted."""

from __future__ import annotations

import math

HUGE = 2**63
LONG = "x" * 5000
CONTROL = ["", " ", "\x00", "a\nb", "a\r\nb", "a\tb"]
INJECTION = ["$(id)", "`id`", "a;b", "a&b", "a|b", "a'b", 'a"b', "a\\b", "a/../b"]
NUMBERS = [True, False, "8000", math.nan, math.inf, -math.inf, -1, HUGE, 1.5]

BAD_VALUES: list[tuple[str, object]] = [
    # -- the model ---------------------------------------------------------------------------
    *[("model.id", v) for v in [*CONTROL, *INJECTION, LONG, "a--b/c", "org/name.git", "-x/y",
                                "a/b/c", "café/model", 7]],
    *[("model.weights_uri", v) for v in [
        "s3://team-weights\n/x/", "s3://192.168.1.1/x/", "s3://xn--bucket/x/", "s3://ab/x/",
        "s3://Team-Weights/x/", "s3://bucket-s3alias/x/", "s3://b..b/x/", "s3://team-weights/llama?/",
        "s3://team-weights/llama*/", "s3://team-weights/${aws:username}/", "s3://team-weights//x/",
        "s3://team-weights/../x/", "s3://team-weights/a\\b/", "s3://team-weights/" + LONG,
        "https://team-weights/x/", "s3://team-weights/", "s3://team-weights/a b/", "s3:///x/",
    ]],
    # The compiled-artifact cache: the same location rules, and never over the weights.
    *[("artifact_cache.uri", v) for v in [
        "s3://team-weights\n/x/", "s3://Team-Weights/x/", "s3://team-weights/llama*/",
        "s3://team-weights/${aws:username}/", "s3://team-weights/../x/", "s3://team-weights/",
        "https://team-weights/x/", "s3://team-weights/" + LONG, "s3://team-weights/a;b/", 7,
        "s3://team-weights/llama-3.1-8b-instruct/", "s3://team-weights/llama-3.1-8b-instruct/c/",
    ]],
    *[("artifact_cache.kms_key_arn", v) for v in [*CONTROL, "arn:aws:kms:*:*:key/*", "alias/c"]],
    *[("model.params_billion", v) for v in [0, -8, math.nan, math.inf, 1e6, "8", True]],
    *[("model.dtype", v) for v in ["int4", "bf16", "", None]],
    # -- network and ids ---------------------------------------------------------------------
    *[("vpc_id", v) for v in [*CONTROL, LONG, "vpc-0abc", "vpc-XYZ0123456789abc", "subnet-0123456789abcdef0", 5]],
    *[("subnet_ids", v) for v in [[], "subnet-0123456789abcdef0", [7],
                                  ["subnet-0123456789abcdef0", "subnet-0123456789abcdef0"],
                                  ["subnet-0a"], [""], ["subnet-0123456789abcdef0"] * 20]],
    *[("port", v) for v in [*NUMBERS, 0, 70000, 22, 9100, 9101]],
    *[("metrics_port", v) for v in [*NUMBERS, 0, 65536, 9101]],
    *[("allowed_cidrs", v) for v in [[], ["0.0.0.0/0"], ["8.8.8.0/24"], ["10.0.0.1/8"], ["::/0"],
                                     ["not-a-cidr"], "10.0.0.0/8", [f"10.{i}.0.0/16" for i in range(40)]]],
    *[("ssh_cidrs", v) for v in [["0.0.0.0/0"], ["x"], [f"10.{i}.0.0/16" for i in range(9)]]],
    *[("region", v) for v in [*CONTROL, LONG, "mars-north-1", "us_east_1", "US-EAST-1", "eu-west-99x"]],
    # -- sizes -------------------------------------------------------------------------------
    *[(f, v) for f in ("max_model_len", "max_num_seqs", "max_num_batched_tokens") for v in [*NUMBERS, 0]],
    *[("tensor_parallel_size", v) for v in [True, 0, -2, 3, 12, HUGE, "2"]],
    *[(f, v) for f in ("min_size", "max_size", "desired_capacity") for v in [-1, HUGE, True, "3", 1.0]],
    *[("root_volume_gib", v) for v in [0, 7, 70000, HUGE, True]],
    *[("health_check_grace_seconds", v) for v in [-1, HUGE, math.nan, "60"]],
    # -- images, AMIs, devices, keys ---------------------------------------------------------
    *[("image", v) for v in [*CONTROL, *INJECTION, LONG, "--privileged", "Image:Upper", "a b:c"]],
    *[("ami_id", v) for v in [*CONTROL, LONG, "ami-xyz", "resolve:ssm:/aws/x", "ami-0123"]],
    *[("root_device_name", v) for v in [*CONTROL, LONG, "/dev/sda1;id", "/dev/../etc/passwd",
                                        "xvda", "/dev/nvme0n1"]],
    *[(f, v) for f in ("weights_kms_key_arn", "api_key_kms_key_arn") for v in [
        *CONTROL, LONG, "arn:aws:kms:*:*:key/*", "arn:aws:kms:us-east-1:123456789012:key/*",
        "arn:aws:kms:us-east-1:123456789012:alias/weights", "1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:us-east-1:1:key/k", "arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ]],
    *[("api_key_ssm_parameter", v) for v in [*CONTROL, LONG, "api-key", "/aws/x", "/SSM/x", "/a//b",
                                              "/a b", "/" + "/".join("l" * 16), "/a/$(id)", "/a/"]],
    # -- tags --------------------------------------------------------------------------------
    *[("tags", v) for v in [{"aws:owner": "x"}, {"AWS:x": "y"}, {"k" * 128: "v"}, {"team": "v" * 257},
                           {"team/owner": "x"}, {"a b": "x"}, {"": "x"}, {"_index": "x"},
                           {"k": "a\nb"}, {"k": "aws:x"}, {f"k{i}": "v" for i in range(45)}, {"k": 5}]],
    *[(f, v) for f in ("environment", "owner") for v in ["a\nb", "v" * 257, "aws:prod", 3, "$(id)"]],
    # -- operations --------------------------------------------------------------------------
    *[("rollout.instance_warmup_seconds", v) for v in [-1, math.inf, HUGE, "60", True]],
    *[("rollout.error_rate_percent", v) for v in [0, 100, -1, math.nan, math.inf, "1"]],
    *[("rollout.alarm_evaluation_minutes", v) for v in [0, 1441, True, 2.5]],
    *[("monitoring.latency_seconds", v) for v in [0, -1, math.nan, math.inf, 1e9, "30"]],
    *[("monitoring.device_memory_percent", v) for v in [0, 101, math.nan, -5]],
    *[("monitoring.alarm_emails", v) for v in [["not-an-email"], ["a@b.c;d@e.f"], ["a b@c.de"],
                                              [f"a{i}@b.cd" for i in range(11)], "a@b.cd"]],
    *[("scaling.target_value", v) for v in [0, -4, math.nan, math.inf, 1e9]],
    *[("scaling.metric", v) for v in ["gpu_util", "vllm:num_requests_waiting"]],
    *[("warm_pool.min_size", v) for v in [-1, HUGE, True]],
    *[("spot.on_demand_base_capacity", v) for v in [-1, HUGE]],
    *[("spot.instance_types", v) for v in [["nosuch.large"], ["inf2.xlarge"] * 40]],
    *[("capacity.availability_zones", v) for v in [["us-east-1"], ["us-east-1a\n"], ["a"], ["us-east-1a", "us-east-1a"]]],
    *[("capacity.end_date", v) for v in ["2027-01-01", "tomorrow", "2020-01-01T00:00:00Z", LONG, "\x00"]],
    *[("capacity.instances_per_zone", v) for v in [0, -1, HUGE, True]],
    *[("capacity.capacity_block_id", v) for v in ["cr-xyz", "cr-0123", "\n", LONG]],
    *[("capacity_mode", v) for v in ["spot", "", None]],
]  # fmt: skip

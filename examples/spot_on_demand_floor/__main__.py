"""Spot above an on-demand floor: one node is always on-demand, the rest ride Spot.

inf2.xlarge and inf2.8xlarge both carry one Inferentia2 chip (2 NeuronCores), so one launch
template serves on either; offering both gives Spot more pools to draw from.
"""

import pulumi

from graviton_llm import NeuronServingCluster

cluster = NeuronServingCluster(
    "spot-llm",
    {
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
        "instance_type": "inf2.8xlarge",
        "model": {
            "id": "meta-llama/Llama-3.2-3B-Instruct",
            "weights_uri": "s3://my-model-weights/llama-3.2-3b-instruct/",
        },
        "max_num_seqs": 16,
        "min_size": 3,
        "max_size": 6,
        "desired_capacity": 3,
        "capacity_mode": "spot_with_on_demand_base",
        "spot": {"on_demand_base_capacity": 1, "instance_types": ["inf2.xlarge"]},
    },
)

pulumi.export("endpoint", cluster.endpoint)

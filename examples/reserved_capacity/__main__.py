"""A 70B cluster on inf2.48xlarge with its capacity held by On-Demand Capacity Reservations.

ODCRs bill the on-demand rate whether or not instances run, and stop billing when deleted: a
safe way to be sure a scarce instance type is there on the day you scale out.
"""

import pulumi

from graviton_llm import NeuronServingCluster

cluster = NeuronServingCluster(
    "big-llm",
    {
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
        "instance_type": "inf2.48xlarge",
        "region": "us-east-1",
        "model": {
            "id": "meta-llama/Llama-3.1-70B-Instruct",
            "weights_uri": "s3://my-model-weights/llama-3.1-70b-instruct/",
        },
        "max_model_len": 8192,
        "max_num_seqs": 16,
        "min_size": 2,
        "max_size": 2,
        "desired_capacity": 2,
        "capacity": {"availability_zones": ["us-east-1a", "us-east-1b"], "instances_per_zone": 1},
    },
)

pulumi.export("endpoint", cluster.endpoint)
pulumi.export("reserved_usd_per_hour", cluster.capacity.cost.usd_per_hour)

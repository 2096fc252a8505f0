"""The smallest useful cluster: one inf2.xlarge serving Llama 3.2 3B in subnets you already have."""

import pulumi

from graviton_llm import NeuronServingCluster

cluster = NeuronServingCluster(
    "chat",
    {
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
        "instance_type": "inf2.xlarge",
        "model": {
            "id": "meta-llama/Llama-3.2-3B-Instruct",
            "weights_uri": "s3://my-model-weights/llama-3.2-3b-instruct/",
        },
        "max_num_seqs": 8,
        "max_num_batched_tokens": 4096,
        "min_size": 1,
        "max_size": 1,
        "desired_capacity": 1,
    },
)

pulumi.export("endpoint", cluster.endpoint)

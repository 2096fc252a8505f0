"""Fast scale-out: two stopped, fully prepared nodes wait in a warm pool.

A warm node already has the weights and the compiled Neuron artifacts on its disk, so joining
the group costs a start and a model load instead of a download and a compile. Stopped instances
bill only their EBS volumes.
"""

import pulumi

from graviton_llm import NeuronServingCluster

cluster = NeuronServingCluster(
    "warm-llm",
    {
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
        "instance_type": "inf2.24xlarge",
        "model": {
            "id": "meta-llama/Llama-3.1-8B-Instruct",
            "weights_uri": "s3://my-model-weights/llama-3.1-8b-instruct/",
        },
        "max_num_seqs": 32,
        "min_size": 2,
        "max_size": 4,
        "desired_capacity": 2,
        "warm_pool": {"min_size": 2, "pool_state": "Stopped", "reuse_on_scale_in": True},
        "environment": "prod",
        "owner": "search-team",
    },
)

pulumi.export("endpoint", cluster.endpoint)

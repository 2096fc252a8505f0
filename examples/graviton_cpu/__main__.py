"""The honest "LLM on Graviton": vLLM's CPU backend on Graviton4, no Neuron anything.

Decode on a CPU is memory-bound (tokens/s per sequence <= memory bandwidth / weight bytes), so
this suits small models and modest traffic; compare costs with `graviton-llm plan`.
"""

import pulumi

from graviton_llm import NeuronServingCluster

cluster = NeuronServingCluster(
    "cpu-chat",
    {
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
        "instance_type": "r8g.8xlarge",
        "model": {
            "id": "meta-llama/Llama-3.2-1B-Instruct",
            "weights_uri": "s3://my-model-weights/llama-3.2-1b-instruct/",
        },
        "max_num_seqs": 32,
        "min_size": 2,
        "max_size": 2,
        "desired_capacity": 2,
    },
)

pulumi.export("endpoint", cluster.endpoint)

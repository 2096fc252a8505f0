"""Scale on queue depth and page a human: target tracking on vLLM's waiting requests per node,
and every alarm (errors, unhealthy targets, device memory, latency) sent to an SNS topic."""

import pulumi

from graviton_llm import NeuronServingCluster

cluster = NeuronServingCluster(
    "elastic-llm",
    {
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
        "instance_type": "inf2.48xlarge",
        "model": {
            "id": "meta-llama/Llama-3.3-70B-Instruct",
            "weights_uri": "s3://my-model-weights/llama-3.3-70b-instruct/",
        },
        "max_model_len": 8192,
        "max_num_seqs": 16,
        "min_size": 2,
        "max_size": 6,
        "desired_capacity": 2,
        "scaling": {"mode": "target_tracking", "metric": "num_requests_waiting", "target_value": 4},
        "monitoring": {"alarm_topic": True, "alarm_emails": ["oncall@example.com"]},
        "rollout": {"error_rate_percent": 1.0, "alarm_evaluation_minutes": 3},
        "api_key_ssm_parameter": "/llm/prod/api-key",
    },
)

pulumi.export("endpoint", cluster.endpoint)
pulumi.export("alarm_topic", cluster.monitoring.topic.arn)

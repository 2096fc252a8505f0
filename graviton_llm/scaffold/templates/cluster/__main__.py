"""This project's stack: one vLLM serving cluster from the stack's typed config.

What differs between environments lives only in Pulumi.<stack>.yaml: the `cluster` mapping
(every field of graviton_llm.NeuronServingClusterArgs) and, if clients must send an API key, the
secret `apiKeyParameter`. This program is the same for every stack.
"""

import re

import pulumi

from graviton_llm import NeuronServingCluster, NeuronServingClusterArgsDict

config = pulumi.Config()

cluster: NeuronServingClusterArgsDict = config.require_object("cluster")
# The SSM parameter holding the API key, set with `pulumi config set --secret apiKeyParameter
# /<team>/<stack>/api-key`: a secret Output, kept out of the boot script, logs and plan output.
api_key_parameter = config.get_secret("apiKeyParameter")
if api_key_parameter is not None:
    cluster = {**cluster, "api_key_ssm_parameter": api_key_parameter}

# A cluster name is letters, digits and '-' (its load balancer's name must fit AWS's limit).
default_name = "llm-" + re.sub(r"[^A-Za-z0-9]+", "-", pulumi.get_stack())
name = config.get("name") or default_name[:20].rstrip("-")
# Every field is checked here, all problems at once, each named with the cluster, before any
# resource exists (a field given as an Output: when it resolves, before any node launches).
llm = NeuronServingCluster(name, cluster)

pulumi.export("endpoint", llm.endpoint)
pulumi.export("auto_scaling_group", llm.auto_scaling_group.name)
pulumi.export("role_arn", llm.role.arn)
# What `graviton-llm compile` launches its one-off pre-warm instance from.
pulumi.export("launch_template_id", llm.launch_template.id)

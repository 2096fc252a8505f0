"""The node agent: what runs on an instance, as one program (graviton-llm-agent).

Standard library only and Python 3.9 syntax: it runs on the AMI's own python3 (3.9 on Amazon
Linux 2023 and on the Neuron base DLAMI for AL2023). It imports nothing from the rest of
graviton_llm (an import contract says so): the renderer (graviton_llm.node) builds it into one
deterministic archive (node/agent_archive.py), the cluster publishes that to S3, and the user
data pins its SHA-256."""

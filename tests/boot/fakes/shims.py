"""The OS tools the boot sandbox replaces with tool.py: the sandbox puts a wrapper for each on
PATH, and tool.py runs a systemd Exec= line naming one of them from PATH, not the root."""

SHIMS = (
    "docker",
    "systemctl",
    "neuron-ls",
    "dnf",
    "aws",
    "amazon-cloudwatch-agent-ctl",
    "shutdown",
)

"""What runs on an instance: the user data renderer, its templates, the node's files and units,
and the latency exporter."""

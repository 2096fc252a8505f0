"""The only modules that register resources: one component per module, named after it, with
the cluster's composition beside it (cluster_parts, rollout); parts/ holds what they use that is
not a component (an import-linter contract keeps out cycles)."""

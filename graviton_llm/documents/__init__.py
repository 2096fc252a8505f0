"""Pure JSON/YAML documents AWS reads: IAM policies, the CloudWatch agent's config, alarm and
dashboard specifications. Built from args and facts; no resources are registered here."""

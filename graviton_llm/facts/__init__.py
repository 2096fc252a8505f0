"""Sourced figures and pure arithmetic over them. No pydantic, no Pulumi."""

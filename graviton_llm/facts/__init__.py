"""Sourced figures and pure arithmetic over them: instance types, prices, models, images,
timing, memory fit, disk and cold start. No pydantic, no Pulumi: every layer may use these."""

"""The only modules that register resources: one component per module, named after it."""

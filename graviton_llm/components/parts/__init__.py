"""What the components use that is not a component itself and imports none: the launch
template and Auto Scaling settings, the load balancer, the API key, input validation (inputs),
tags (tagging), lookups and the built-resource hook (observe)."""

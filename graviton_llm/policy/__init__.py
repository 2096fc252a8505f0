"""The policy pack: our security checks and the AWS rules, enforced on any stack.

``pulumi preview --policy-pack <dir>`` (or a Pulumi Cloud policy group) runs them on every
resource a stack declares, whether it uses our components or not. The rules are the ones `plan`
and the strict mock harness run (plan/checks.CHECKS, facts/aws_rules.RULES and STACK_RULES),
adapted here to pulumi-policy's resource and stack policies. docs/policy-pack.md shows the pack's
folder and how a platform team enforces it.
"""

from .pack import PACK_NAME, engine_inputs, policies, rules, serve

__all__ = ["PACK_NAME", "engine_inputs", "policies", "rules", "serve"]

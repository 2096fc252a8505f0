"""The pack's venv needs only what the pack imports: `import graviton_llm.policy` loads the rules
and pulumi-policy, not the components, the args models or AWS's SDK (the import contract
"policy-on-rules" in pyproject.toml says what it may import; this shows what it does)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Imports the pack in fresh interpreters.
pytestmark = pytest.mark.slow

HEAVY = ("pulumi_aws", "numpy", "pydantic", "matplotlib", "aiohttp", "botocore")
OURS_NOT_NEEDED = tuple(
    f"graviton_llm.{layer}"
    for layer in ("components", "args", "plan.build", "sizing", "pricing", "bench", "node",
                  "documents", "testing")
)  # fmt: skip


def _loaded_by(statement: str) -> list[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout)
    return loaded


def test_the_pack_loads_the_rules_and_pulumi_policy_only() -> None:
    loaded = _loaded_by("import graviton_llm.policy")
    assert "pulumi_policy" in loaded and "graviton_llm.plan.checks" in loaded
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
    assert [m for m in loaded if m.startswith(OURS_NOT_NEEDED)] == []


def test_the_public_names_still_load_on_first_use() -> None:
    loaded = _loaded_by("from graviton_llm import NeuronServingCluster")
    assert "pulumi_aws" in loaded and "graviton_llm.components.neuron_serving_cluster" in loaded

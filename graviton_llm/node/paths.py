"""Names the renderer derives for a deployment (the node's own paths are node_agent/paths.py)."""

from __future__ import annotations

import re

# A secret API key parameter name (an Output) never reaches the user data: the component writes
# it into a SecureString "pointer" parameter whose own name is derived from the deployment, and
# the node reads the key's parameter name from it (node_config.api_key_source).
API_KEY_POINTER_PREFIX = "/graviton-llm"


def api_key_pointer(project: str, stack: str, cluster: str) -> str:
    """/graviton-llm/<project>/<stack>/<cluster>/api-key-parameter, each part reduced to the
    characters SSM parameter names allow (letters, digits, _ . -)."""
    parts = [re.sub(r"[^A-Za-z0-9_.-]", "-", part) or "-" for part in (project, stack, cluster)]
    return "/".join([API_KEY_POINTER_PREFIX, *parts, "api-key-parameter"])

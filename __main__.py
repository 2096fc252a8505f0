"""The Pulumi program of this repository: one cluster from the stack's config.

`pulumi up -s dev` (with credentials) or `graviton-llm plan --stack dev` (offline, mocked).
"""

from graviton_llm.project import main

main()

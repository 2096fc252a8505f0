"""Once per account: the state bucket and the secrets key every team project uses (see README)."""

from graviton_llm.project.state_backend import main

main()

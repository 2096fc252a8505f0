"""`python -m graviton_llm.cli` runs the CLI, as it did when the CLI was one module."""

from . import main

if __name__ == "__main__":
    main()

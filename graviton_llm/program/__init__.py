"""Deprecated: graviton_llm.program is graviton_llm.project (issue 25, CHANGELOG.md). Projects
scaffolded before the rename import ``graviton_llm.program.state_backend`` and
``graviton_llm.program.project``; these names keep working, with a DeprecationWarning, until the
next incompatible release."""

import warnings

from ..project import *  # noqa: F403  (the same public names)
from ..project import __all__  # noqa: F401

warnings.warn(
    "graviton_llm.program is now graviton_llm.project (graviton_llm.program.project is "
    "graviton_llm.project.files); update the import",
    DeprecationWarning,
    stacklevel=2,
)

"""Deprecated: graviton_llm.project.files (see graviton_llm/program/__init__.py)."""

from ..project.files import *  # noqa: F403
from ..project.files import Project, StackConfig, load_project, load_stack  # noqa: F401

"""Deprecated: graviton_llm.project.state_backend (see graviton_llm/program/__init__.py)."""

from ..project.state_backend import *  # noqa: F403
from ..project.state_backend import main  # noqa: F401

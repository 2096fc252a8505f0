"""Projects scaffolded before graviton_llm.program became graviton_llm.project import the old
names (their state backend's __main__.py, their tests): those keep working, with a warning that
says what to import instead (CHANGELOG.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

OLD_IMPORTS = [
    "from graviton_llm.program.state_backend import main",
    "from graviton_llm.program.project import load_project, load_stack",
    "from graviton_llm.program import main",
]


@pytest.mark.slow
@pytest.mark.parametrize("statement", OLD_IMPORTS)
def test_an_import_a_scaffolded_project_made_still_works_and_says_the_new_name(statement):
    # A fresh interpreter: the warning is raised once, when the old package is first imported.
    result = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning:__main__", "-c", statement],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "graviton_llm.program is now graviton_llm.project" in result.stderr
    relaxed = subprocess.run(
        [sys.executable, "-c", statement], capture_output=True, text=True, timeout=120
    )
    assert relaxed.returncode == 0, relaxed.stderr


def test_the_old_names_are_the_new_objects():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from graviton_llm.program import project as old_files
        from graviton_llm.program import state_backend as old_backend
    from graviton_llm.project import files, state_backend

    assert old_files.load_project is files.load_project
    assert old_backend.main is state_backend.main

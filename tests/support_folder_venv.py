"""A plugin folder's own virtualenv, made as `pulumi install` (and `pulumi package add`) makes it:
`python -m venv <folder>/venv`, then `venv/bin/python -m pip install -r requirements.txt` in the
folder (pulumi/sdk/python/toolchain/pip.go, InstallDependencies; its `pip install --upgrade pip
setuptools wheel` step needs an index and changes nothing of ours, so it is left out).

The package source is what the test provides, the way a team provides its own: pip settings in
the environment (PIP_NO_INDEX and PIP_FIND_LINKS here, PIP_INDEX_URL for a private index), which
pip reads whoever starts it. So the test needs no network, graviton-llm's own dependencies are
visible to the new environment from this one's site-packages, minus graviton-llm itself (its
editable install would satisfy the pin and nothing would be installed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

# The new venv's own installer, not this environment's.
_TOOLS = ("pip", "setuptools", "pkg_resources", "_distutils_hack")


def dependencies_without_us(where: Path) -> Path:
    """A folder of links to this environment's third-party packages, graviton-llm left out."""
    where.mkdir(parents=True, exist_ok=True)
    for entry in Path(sysconfig.get_path("purelib")).iterdir():
        ours = "graviton_llm" in entry.name
        tools = entry.name.split("-")[0] in _TOOLS
        if not (ours or tools or entry.suffix == ".pth"):
            (where / entry.name).symlink_to(entry)
    return where


def install_folder(folder: Path, wheels: Path, dependencies: Path) -> Path:
    """``folder``'s venv/ with its requirements.txt installed from ``wheels``; its Python."""
    made = subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert made.returncode == 0, made.stderr
    python = folder / "venv" / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    Path(site, "dependencies.pth").write_text(f"{dependencies}\n")
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}  # fmt: skip
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-r", "requirements.txt"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return python


def documented_source(folder: Path, docs: Path, section: str) -> str:
    """The docs' section on where ``folder`` installs graviton-llm from, which its
    requirements.txt names; fails when either is missing."""
    comment = (folder / "requirements.txt").read_text().replace("\n# ", " ")
    text = docs.read_text()
    assert section in comment and f"### {section}" in text, section
    return text.split(f"### {section}", 1)[1].split("\n## ", 1)[0]

"""An installed wheel works on its own: the stacks and node templates ship inside the package,
so `graviton-llm plan --stack dev` runs from any folder, with no source tree on the path."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_a_wheel_in_a_fresh_virtualenv_plans_the_shipped_dev_stack(tmp_path):
    # Build from a copy, so the build leaves nothing in the source tree.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "graviton_llm", source / "graviton_llm", ignore=shutil.ignore_patterns("__pycache__")
    )
    wheels = tmp_path / "wheels"
    built = run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--wheel-dir", str(wheels), str(source), cwd=tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("graviton_llm-*.whl")

    # A fresh environment whose only extra path is this one's third-party packages (so the test
    # needs no network); its .pth files, the editable install's among them, are not run there.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    fresh_python = env_dir / "bin" / "python"
    fresh_site = run(
        str(fresh_python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
        cwd=tmp_path,
    ).stdout.strip()  # fmt: skip
    Path(fresh_site, "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = run(
        sys.executable, "-m", "pip", "--python", str(fresh_python), "install", "--quiet",
        "--no-deps", str(wheel), cwd=tmp_path,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = run(
        str(fresh_python), "-c", "import graviton_llm; print(graviton_llm.__file__)", cwd=elsewhere
    )
    assert where.stdout.startswith(fresh_site), where.stdout + where.stderr
    plan = run(
        str(env_dir / "bin" / "graviton-llm"), "plan", "--stack", "dev", "--json", cwd=elsewhere
    )
    assert plan.returncode == 0, plan.stdout + plan.stderr
    document = json.loads(plan.stdout)
    assert document["stack"] == "dev"
    assert document["resource_count"] == 27
    assert document["security"]["passed"] is True

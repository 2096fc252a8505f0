"""An installed wheel works on its own: the stacks, node templates and project templates ship
inside the package, so `graviton-llm` runs from any folder with no source tree on the path.

One wheel is built and installed into a fresh virtualenv per session (no editable install): the
shipped dev stack plans from another folder, and a team's path works end to end there: `new`,
`init-env staging`, `plan --stack staging --json` and the scaffold's own tests."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from support_folder_venv import dependencies_without_us

# Builds the wheel and installs it into fresh virtualenvs.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300)


def run_together(*commands: list[str], cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    started = [
        subprocess.Popen(c, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for c in commands
    ]
    done = []
    for command, process in zip(commands, started, strict=True):
        out, err = process.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return done


@dataclass(frozen=True)
class Installed:
    python: Path
    cli: Path
    site: str
    elsewhere: Path  # a folder with no source tree in it
    wheels: Path  # the folder holding the wheel: a package source, as a team's index is
    wheel: Path
    dependencies: Path  # this environment's third-party packages, graviton-llm left out


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Installed:
    tmp_path = tmp_path_factory.mktemp("wheel")
    # Build from a copy, so the build leaves nothing in the source tree.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("graviton_llm", "stacks"):  # stacks/ ships as graviton_llm.stacks
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    wheels = tmp_path / "wheels"
    built = run(
        sys.executable, "-m", "pip", "wheel", "--verbose", "--no-deps", "--no-build-isolation",
        "--wheel-dir", str(wheels), str(source), cwd=tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    # The build backend's own warnings (pip shows them with --verbose), e.g. setuptools'
    # "Package 'graviton_llm.facts.data' is absent from the `packages` configuration".
    warned = re.findall(r"\w+Warning: .*", built.stdout + built.stderr)
    assert not warned, warned
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
    return Installed(fresh_python, env_dir / "bin" / "graviton-llm", fresh_site, elsewhere, wheels,
                     wheel, dependencies_without_us(tmp_path / "dependencies"))  # fmt: skip


def test_a_wheel_in_a_fresh_virtualenv_plans_the_shipped_dev_stack(installed):
    where = run(
        str(installed.python), "-c", "import graviton_llm; print(graviton_llm.__file__)",
        cwd=installed.elsewhere,
    )  # fmt: skip
    assert where.stdout.startswith(installed.site), where.stdout + where.stderr
    plan = run(str(installed.cli), "plan", "--stack", "dev", "--json", cwd=installed.elsewhere)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    document = json.loads(plan.stdout)
    assert document["stack"] == "dev"
    assert document["resource_count"] == 29
    assert document["security"]["passed"] is True
    # The wheel's node agent is this checkout's, byte for byte: installing changes no digest,
    # so upgrading to a release whose node code is the same rolls no fleet.
    from graviton_llm.node.agent_archive import agent_archive

    assert document["user_data"]["node_agent"]["sha256"] == agent_archive().sha256


def test_every_package_folder_is_in_the_wheel():
    # pyproject.toml lists the packages (graviton_llm.stacks lives outside the package folder,
    # where `packages.find` cannot see it): a new subpackage must be listed too, and so must a
    # folder of data files (setuptools warns about one it does not list).
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    folders = [
        p for p in (ROOT / "graviton_llm").rglob("*")
        if p.is_dir() and p.name != "__pycache__" and any(f.is_file() for f in p.iterdir())
    ]  # fmt: skip
    found = {".".join(p.relative_to(ROOT).parts) for p in folders}
    assert found | {"graviton_llm", "graviton_llm.stacks"} == listed
    # Each data folder says which of its files ship.
    data = {name for name in found if not (ROOT / name.replace(".", "/") / "__init__.py").exists()}
    assert data <= set(setuptools["package-data"])


def test_the_wheel_carries_the_one_copy_of_the_shipped_stacks(installed):
    shipped = Path(installed.site, "graviton_llm", "stacks")
    assert sorted(p.name for p in shipped.glob("Pulumi.*.yaml")) == sorted(
        p.name for p in (ROOT / "stacks").glob("Pulumi.*.yaml")
    )
    assert not (ROOT / "graviton_llm" / "stacks").exists()


def test_a_team_project_from_the_wheel_gets_a_new_environment_plans_it_and_passes_its_tests(
    installed,
):
    project = installed.elsewhere / "search-llm"
    created = run(str(installed.cli), "new", str(project), cwd=installed.elsewhere)
    assert created.returncode == 0, created.stdout + created.stderr
    staging = run(
        str(installed.cli), "init-env", "staging", "--from", "dev", "--region", "us-west-2",
        "--vpc-id", "vpc-0a000000000000001", "--subnet-id", "subnet-0a00000000000000a",
        "--subnet-id", "subnet-0a00000000000000b", "--min-size", "2", "--max-size", "2",
        "--desired-capacity", "2", cwd=project,
    )  # fmt: skip
    assert staging.returncode == 0, staging.stdout + staging.stderr
    assert "security checks passed" in staging.stdout

    # The plan and the scaffold's own tests (run by the fresh environment's Python against the
    # wheel) read the same files: run them side by side.
    plan, tests = run_together(
        [str(installed.cli), "plan", "--stack", "staging", "--json"],
        [str(installed.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
    )
    assert plan.returncode == 0, plan.stdout + plan.stderr
    document = json.loads(plan.stdout)
    assert (document["project"], document["stack"], document["region"]) == (
        "search-llm",
        "staging",
        "us-west-2",
    )
    (cluster,) = document["clusters"]
    assert cluster["nodes"] == 2 and document["security"]["passed"] is True
    assert tests.returncode == 0, tests.stdout + tests.stderr
    # The commands that read a stack's cluster work on the team's own stack file.
    cost = run(str(installed.cli), "cost", "--stack", "staging", cwd=project)
    assert cost.returncode == 0, cost.stdout + cost.stderr
    job = run(str(installed.cli), "compile", "--stack", "staging", cwd=project)
    assert job.returncode == 0, job.stdout + job.stderr
    assert (project / "compile-staging.user-data.sh").is_file()
    assert "5 passed" in tests.stdout  # dev, prod, staging plan clean; prod stricter; secret key


def test_a_platform_teams_folders_install_their_own_venv_and_serve_from_it(installed):
    """The policy pack and the component package as a platform team keeps them (their files,
    copied out of this repository): each folder's venv made and its requirements.txt installed
    as `pulumi install` does, from the package source the test provides, then started from that
    venv as the engine starts it."""
    from google.protobuf import empty_pb2, struct_pb2
    from pulumi.runtime.proto import (
        analyzer_pb2,
        analyzer_pb2_grpc,
        provider_pb2,
        provider_pb2_grpc,
    )

    from support_folder_venv import install_folder
    from support_process import plugin_channel

    dependencies = dependencies_without_us(installed.elsewhere / "dependencies")
    pythons = {}
    for folder in ("policy-pack", "component-package"):
        copy = installed.elsewhere / folder
        shutil.copytree(ROOT / folder, copy)
        pythons[folder] = install_folder(copy, installed.wheels, dependencies)
        where = run(str(pythons[folder]), "-c", "import graviton_llm; print(graviton_llm.__file__)",
                    cwd=installed.elsewhere)  # fmt: skip
        assert where.stdout.startswith(str(copy / "venv")), where.stdout + where.stderr

    pack = installed.elsewhere / "policy-pack"
    with plugin_channel(["-u", "-m", "pulumi.policy", "127.0.0.1:1", str(pack)], pack,
                        str(pythons["policy-pack"])) as channel:  # fmt: skip
        analyzer = analyzer_pb2_grpc.AnalyzerStub(channel)
        info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
        props = struct_pb2.Struct()
        props.update({"metadataOptions": {"httpTokens": "optional"}})
        request = analyzer_pb2.AnalyzeRequest(
            urn="urn:pulumi:dev::web::aws:ec2/launchTemplate:LaunchTemplate::web",
            type="aws:ec2/launchTemplate:LaunchTemplate", name="web", properties=props,
        )  # fmt: skip
        answer = analyzer.Analyze(request)
    assert info.name == "graviton-llm" and len(info.policies) == 13
    assert [(d.policyName, d.enforcementLevel) for d in answer.diagnostics] == [
        ("imdsv1", analyzer_pb2.MANDATORY)
    ]
    package = installed.elsewhere / "component-package"
    with plugin_channel([str(package), "127.0.0.1:1"], package,
                        str(pythons["component-package"])) as channel:  # fmt: skip
        provider = provider_pb2_grpc.ResourceProviderStub(channel)
        schema = json.loads(provider.GetSchema(provider_pb2.GetSchemaRequest()).schema)
    assert sorted(schema["resources"]) == [
        "graviton-llm:index:NeuronServingCluster", "graviton-llm:index:ReservedCapacity",
        "graviton-llm:index:StateBackend",
    ]  # fmt: skip


def readme_commands(readme: str) -> list[str]:
    """The commands of the scaffold README's "Check it offline" block, in order; `a && b` is two."""
    section = readme.split("## Check it offline", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [part.strip() for line in block.splitlines() for part in line.split("&&")
            if part.strip()]  # fmt: skip


def test_a_team_follows_the_scaffold_readme_with_the_virtualenv_inside_the_project(installed):
    """Issue 22, items 1 and 2: the README's commands as written, its pip command included, the
    package coming from the wheel (`new --requirement`, the source a team chooses) and the
    dependencies from a folder this test provides; the virtualenv is `.venv` inside the project,
    as Pulumi.yaml says, and the scaffold's tests pass there."""
    project = installed.elsewhere / "readme-llm"
    created = run(str(installed.cli), "new", str(project), "--requirement", str(installed.wheel),
                  cwd=installed.elsewhere)  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr
    commands = readme_commands((project / "README.md").read_text())
    assert commands[0] == "python -m venv .venv"
    assert commands[1] == ".venv/bin/pip install -r requirements.txt"
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
                   "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}  # fmt: skip
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=project, capture_output=True,
                              text=True, timeout=600, env=environment)  # fmt: skip
        assert done.returncode == 0, f"{command}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        if command == "python -m venv .venv":  # the dependencies' source, before pip runs
            site = run(".venv/bin/python", "-c",
                       "import sysconfig; print(sysconfig.get_path('purelib'))",
                       cwd=project).stdout.strip()  # fmt: skip
            Path(site, "dependencies.pth").write_text(f"{installed.dependencies}\n")
        if command.startswith(".venv/bin/python -m pytest"):
            assert " passed" in done.stdout and "failed" not in done.stdout, done.stdout
    where = run(".venv/bin/python", "-c", "import graviton_llm; print(graviton_llm.__file__)",
                cwd=project).stdout  # fmt: skip
    assert where.startswith(str(project / ".venv")), where  # the wheel, in the project's venv
    assert (project / "Pulumi.staging.yaml").is_file()

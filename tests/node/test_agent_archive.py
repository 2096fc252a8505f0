"""The node agent's archive: its bytes depend on the agent's files alone (two builds, a build
with no zlib at all, the same bytes), it runs on a bare python3 as the AMI's does, its code is
Python 3.9 code, and its digest changes with node code and with nothing else."""

from __future__ import annotations

import ast
import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from agent_support import args_for
from graviton_llm.node import agent_archive as archive
from graviton_llm.node.user_data import render_user_data

AGENT_DIR = Path(archive.__file__).parents[1] / "node_agent"
# Another process whose zlib refuses every call (grpc needs the module to import): the bytes
# cannot have gone through any zlib build.
RENDER = """
import sys, zlib
sys.path.insert(0, "tests")
from agent_support import args_for
from graviton_llm.node.agent_archive import agent_archive
from graviton_llm.node.user_data import render_user_data

def refused(*args, **kwargs):
    raise AssertionError("zlib was called")

for name in ("compress", "compressobj", "decompress", "decompressobj", "crc32", "adler32"):
    setattr(zlib, name, refused)
sys.stdout.buffer.write(agent_archive().data + render_user_data(args_for()).encode())
"""


@pytest.mark.slow
def test_two_builds_are_byte_identical_and_need_no_zlib():
    """Stored entries: no compressor whose build could change the bytes (before, gzip'd user
    data differed between zlib and zlib-ng, so who deployed decided whether the fleet rolled)."""
    first = archive.zip_bytes(archive.agent_files())
    assert first == archive.zip_bytes(archive.agent_files()) == archive.agent_archive().data
    built = subprocess.run(
        [sys.executable, "-c", RENDER], capture_output=True, check=True, timeout=120
    ).stdout
    assert built == first + render_user_data(args_for()).encode()


def test_the_archive_is_a_plain_zip_with_fixed_names_times_and_modes():
    data = archive.agent_archive().data
    assert data.startswith(archive.SHEBANG)
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        assert zipped.testzip() is None
        infos = zipped.infolist()
        names = [info.filename for info in infos]
        assert names == sorted(names) and "__main__.py" in names
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.external_attr >> 16 for info in infos} == {0o100644}
        assert {info.compress_type for info in infos} == {zipfile.ZIP_STORED}
        expected = {
            f"node_agent/{p.name}" for p in AGENT_DIR.iterdir() if p.suffix in (".py", ".json")
        }
        assert set(names) == expected | {"__main__.py"}


def test_it_runs_on_a_bare_python3_outside_any_virtualenv(tmp_path):
    """The AMI's python3 has nothing but the standard library: neither has /usr/bin/python3
    here (the shebang's), which the boot sandbox runs the agent on too."""
    agent = tmp_path / "graviton-llm-agent"
    agent.write_bytes(archive.agent_archive().data)
    agent.chmod(0o755)
    assert subprocess.run(["/usr/bin/python3", "-c", "import pydantic"], check=False,
                          capture_output=True).returncode != 0  # fmt: skip
    missing = subprocess.run(
        [str(agent), "check-config", str(tmp_path / "none.json")],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert missing.returncode == 1 and "cannot read it" in missing.stderr, missing.stderr


@pytest.mark.slow
def test_the_agent_is_python_3_9_code():
    """AL2023's python3, and the Neuron base DLAMI's (AL2023), is 3.9 (docs/sources.md). vermin
    names the minimum version each construct needs; a 3.10 one (match, zip(strict=...), an
    evaluated X | Y) fails here."""
    vermin = Path(sys.executable).with_name("vermin")
    checked = subprocess.run(
        [str(vermin), "-q", "-t=3.9-", "--violations", "--no-tips", "--eval-annotations",
         str(AGENT_DIR)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout
    for module in AGENT_DIR.glob("*.py"):
        ast.parse(module.read_text(), feature_version=(3, 9))
        assert "from __future__ import annotations" in module.read_text() or module.stem == (
            "__init__"
        ), module


def test_the_agent_imports_nothing_but_the_standard_library_and_itself():
    for module in AGENT_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                top = (node.module or "").split(".")[0]
            elif isinstance(node, ast.Import):
                top = node.names[0].name.split(".")[0]
            else:
                continue
            assert top in sys.stdlib_module_names or top == "__future__", (module.name, top)


def test_a_change_to_node_code_is_a_new_digest_and_nothing_else_is():
    files = archive.agent_files()
    digest = hashlib.sha256(archive.zip_bytes(files)).hexdigest()
    changed = {**files, "node_agent/boot.py": files["node_agent/boot.py"] + b"\n"}
    assert hashlib.sha256(archive.zip_bytes(changed)).hexdigest() != digest
    # Only the agent's own files go in: the renderer, the args, the CLI are not node code.
    assert all(name == "__main__.py" or name.startswith("node_agent/") for name in files)


@pytest.mark.parametrize(
    "unrelated",
    [{"tags": {"team": "search"}}, {"max_size": 4}, {"monitoring": {"alarm_topic": True}}],
    ids=["tags", "max_size", "alarm_topic"],
)
def test_a_stack_that_changes_no_node_setting_gets_the_same_user_data(unrelated):
    """Same user data, so the same launch template: no new version, nothing rolls."""
    assert render_user_data(args_for()) == render_user_data(args_for())
    assert render_user_data(args_for(**unrelated)) == render_user_data(args_for())


def test_new_node_code_changes_the_user_data(monkeypatch):
    before = render_user_data(args_for())
    other = archive.AgentArchive(archive.agent_archive().data + b"\n")
    monkeypatch.setattr("graviton_llm.node.agent_location.agent_archive", lambda: other)
    after = render_user_data(args_for())
    assert after != before and other.sha256 in after and archive.agent_archive().sha256 in before

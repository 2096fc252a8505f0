"""Pinning a stack's AMI: a reviewable upgrade instead of the latest image at every deploy.

Without `ami_id` the cluster resolves the newest image from an SSM public parameter at each
`pulumi up`, so an unrelated change after an AMI release rolls the whole fleet onto a new image
(and a new host driver beside the pinned container). `graviton-llm ami --stack S` shows the
pinned image against the latest; `--write` puts the latest into the stack file as `ami_id`,
where `plan --against` shows the rollout it causes before anyone deploys it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..args.identifiers import ec2_id_problems
from ..facts import images
from ..facts.catalog import InstanceSpec
from ..safeio.files import InputFileError, read_text, replace_text
from .stack_files import MAX_STACK_FILE_BYTES, ConfigError


def load_text(path: Path) -> str:
    try:
        return read_text(path, limit=MAX_STACK_FILE_BYTES, what="a stack file")
    except InputFileError as error:
        raise ConfigError(str(error)) from None


@dataclass(frozen=True)
class Ami:
    image_id: str
    name: str | None = None
    created: str | None = None
    root_device: str | None = None


def describe(ec2: Any, image_id: str) -> Ami:
    found = ec2.describe_images(ImageIds=[image_id]).get("Images", [])
    if not found:
        return Ami(image_id)
    image = found[0]
    return Ami(image_id, image.get("Name"), image.get("CreationDate"), image.get("RootDeviceName"))


def latest(ssm: Any, ec2: Any, spec: InstanceSpec) -> tuple[str, Ami]:
    """The SSM public parameter the cluster would resolve, and the image it names today."""
    parameter = images.ami_parameter(spec)
    value = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
    return parameter, describe(ec2, value)


def write_pin(path: Path, image_id: str, key: str = "graviton-llm:cluster") -> None:
    """Set `ami_id` in the stack file's cluster mapping (``key``: `graviton-llm:cluster`, or a
    team project's `<project>:cluster`), keeping every other line (comments included) as it
    is. ``image_id`` comes from an SSM parameter: it is written only when it is an AMI id and
    nothing more (a value with a newline would add keys to the stack file)."""
    if not isinstance(image_id, str) or ec2_id_problems("ami_id", image_id, "ami"):
        raise ConfigError(
            f"the image id from AWS, {image_id!r}, is not an AMI id (ami- and 8 or 17 hex "
            f"digits); {path} is left as it is"
        )
    # In a stack file the project's own namespace may be left out (`cluster:`).
    bare = key.partition(":")[2]
    block = re.compile(rf"^(\s*)({re.escape(key)}|{re.escape(bare)}):\s*$")
    lines = load_text(path).splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if block.match(line)), None)
    if start is None:
        raise ConfigError(f"{path}: no `{key}:` block to pin an AMI in")
    indent = None
    for i in range(start + 1, len(lines)):
        text = lines[i]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        width = len(text) - len(text.lstrip())
        if indent is None:
            indent = width
        if width < indent:
            break
        if width == indent and text.lstrip().startswith("ami_id:"):
            lines[i] = f"{' ' * indent}ami_id: {image_id}\n"
            replace_text(path, "".join(lines))
            return
    if indent is None:
        raise ConfigError(f"{path}: the `{key}:` block is empty")
    lines.insert(start + 1, f"{' ' * indent}ami_id: {image_id}  # pinned by graviton-llm ami\n")
    replace_text(path, "".join(lines))

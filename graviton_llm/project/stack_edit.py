"""Rewrite one key of a stack file and nothing else: `init-env NAME --force` changes the cluster
(and `aws:region` when asked), and keeps every other key, `secure:` value, the secrets provider's
`encryptionsalt`/`encryptedkey`/`secretsprovider` and the comments outside that key, so that
rewriting prod never drops its API key parameter or its ability to decrypt.

The key is found by the YAML parser's marks (the line and column where each node starts and
ends), and its lines are replaced by the new mapping, dumped at the key's indentation.
"""

from __future__ import annotations

from typing import Any

import yaml

from .stack_files import ConfigError


def _config_node(root: yaml.Node, where: str) -> tuple[yaml.Node, yaml.MappingNode] | None:
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{where}: a stack file is a mapping with a `config:` key")
    for key, value in root.value:
        if key.value == "config":
            if not isinstance(value, yaml.MappingNode):
                raise ConfigError(f"{where}: `config:` must be a mapping of `namespace:key: value`")
            return key, value
    return None


def _end_line(lines: list[str], value: yaml.Node) -> int:
    """The first line after ``value`` (exclusive), comments and blank lines before the next key
    left where they are."""
    end = value.end_mark
    at_next_key = end.line >= len(lines) or not lines[end.line][: end.column].strip()
    stop = end.line if at_next_key else end.line + 1
    while stop - 1 > value.start_mark.line and lines[stop - 1].strip()[:1] in ("", "#"):
        stop -= 1
    return stop


def replace_key(text: str, key: str, value: Any, where: str) -> str:
    """``text`` with `config.<key>` set to ``value`` (added at the end of `config:` when the
    file has none)."""
    lines = text.splitlines()
    found = _config_node(yaml.compose(text) or yaml.MappingNode("tag", []), where)
    dumped = yaml.safe_dump({key: value}, sort_keys=False, width=100).splitlines()
    if found is None:
        return "\n".join([*lines, "config:", *("  " + line for line in dumped)]) + "\n"
    config_key, config = found
    if not config.value:  # `config: {}` or `config:` alone: the mapping starts here
        first, stop = config_key.start_mark.line, _end_line(lines, config)
        lines[first:stop] = ["config:", *("  " + line for line in dumped)]
        return "\n".join(lines) + "\n"
    for node_key, node_value in config.value:
        if node_key.value == key:
            indent = " " * node_key.start_mark.column
            first, stop = node_key.start_mark.line, _end_line(lines, node_value)
            lines[first:stop] = [indent + line for line in dumped]
            return "\n".join(lines) + "\n"
    indent = " " * config.value[0][0].start_mark.column
    stop = _end_line(lines, config.value[-1][1])
    lines[stop:stop] = [indent + line for line in dumped]
    return "\n".join(lines) + "\n"

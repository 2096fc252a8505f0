"""The node agent as one archive: an executable zip application of graviton_llm/node_agent
whose bytes depend on the package's files alone, so its SHA-256 (pinned in the user data) changes
exactly when node code does, whoever builds it.

The zip is written here, not by the zipfile module: stored entries (no compression, so no zlib
whose builds differ), names sorted, every timestamp 1980-01-01 00:00, every mode 0644, no extra
fields; the layout is PKWARE's APPNOTE.TXT (local file header 4.3.7, central directory header
4.3.12, end of central directory record 4.3.16). A `#!/usr/bin/python3` line before it makes it
a program Python runs as it is (zipapp: "Python can execute zip files which contain a __main__.py
file"; zipimport finds the archive past the line by its end record)."""

from __future__ import annotations

import binascii
import hashlib
import struct
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

PACKAGE = "graviton_llm.node_agent"
INSIDE = "node_agent"  # the package's name inside the archive
SHEBANG = b"#!/usr/bin/python3\n"
MAIN = b"import sys\n\nfrom node_agent.main import main\n\nsys.exit(main())\n"
_DOS_DATE = (1 << 5) | 1  # 1980-01-01: year 0 from 1980, month 1, day 1 (MS-DOS date)
_VERSION = 20  # 2.0: stored files and directories
_MADE_BY = (3 << 8) | _VERSION  # UNIX, so external attributes carry the file mode
_MODE = 0o100644 << 16


@dataclass(frozen=True)
class AgentArchive:
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def agent_files() -> dict[str, bytes]:
    """Archive path -> bytes: the agent's modules and its config schema, and __main__.py."""
    root = resources.files(PACKAGE)
    files = {"__main__.py": MAIN}
    for entry in root.iterdir():
        if entry.name.endswith((".py", ".json")) and entry.is_file():
            files[f"{INSIDE}/{entry.name}"] = entry.read_bytes()
    return files


def zip_bytes(files: dict[str, bytes], prefix: bytes = SHEBANG) -> bytes:
    """``prefix`` then a zip of ``files`` (stored, sorted, fixed time and mode); offsets count
    from the start of the file, prefix included."""
    out, central = bytearray(prefix), bytearray()
    for name in sorted(files):
        data, encoded = files[name], name.encode("ascii")
        sizes = (binascii.crc32(data), len(data), len(data), len(encoded), 0)
        offset = len(out)
        out += struct.pack("<IHHHHH", 0x04034B50, _VERSION, 0, 0, 0, _DOS_DATE)
        out += struct.pack("<IIIHH", *sizes) + encoded + data
        central += struct.pack("<IHHHHHH", 0x02014B50, _MADE_BY, _VERSION, 0, 0, 0, _DOS_DATE)
        central += struct.pack("<IIIHHHHHII", *sizes, 0, 0, 0, _MODE, offset) + encoded
    start, count = len(out), len(files)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), start, 0)
    return bytes(out)


@lru_cache(maxsize=1)
def agent_archive() -> AgentArchive:
    """This package's node agent (built once per process)."""
    return AgentArchive(zip_bytes(agent_files()))

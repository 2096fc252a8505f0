"""Undo what Pulumi's provider pickling leaves behind in a long-lived process.

``pulumi.dynamic.dynamic.serialize_provider`` (called for every dynamic resource a program
registers) sorts dictionaries by wrapping ``pickle._Pickler._batch_setitems`` in a new function
and never puts the original back: each call wraps the previous wrapper (pulumi 3.272,
sdk/python/lib/pulumi/dynamic/dynamic.py). A `pulumi up` registers a handful of dynamic
resources and exits, but a test process runs hundreds of programs: the chain grows by one call
per registration until pickling raises RecursionError. The harness restores the original after
each program and each provider it pickles.
"""

from __future__ import annotations

import pickle
from typing import Any

from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider

_PICKLER: Any = pickle._Pickler
_ORIGINAL = {name: _PICKLER.__dict__[name] for name in ("_batch_setitems", "save_dict")}


def restore_pickler() -> None:
    """Put back the pickler methods Pulumi's provider pickling replaced."""
    for name, method in _ORIGINAL.items():
        setattr(_PICKLER, name, method)


def pickled_provider(provider: ResourceProvider) -> str:
    """``provider`` as a resource's inputs carry it, leaving the pickler as it was."""
    try:
        return str(serialize_provider(provider))
    finally:
        restore_pickler()

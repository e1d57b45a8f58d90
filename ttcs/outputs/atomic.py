"""Outputs written whole or not at all: to a temporary file beside the target, then renamed over
it, so a reader (or a run killed mid-write) never leaves or sees half a file. A killed run may
leave the temporary file; :func:`remove_leftovers` removes those of the named outputs only,
since another command may be writing its own in the same folder."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


def temporary_path(path: Path) -> Path:
    """".<name>.<pid>.tmp" beside ``path`` (a hidden name keeps its one leading dot)."""
    return path.with_name(f".{path.name.lstrip('.')}.{os.getpid()}.tmp")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield the temporary path to write; on success it replaces ``path``. Either way no
    temporary file is left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(path)
    try:
        yield temporary
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def remove_leftovers(folder: Path, names: Iterable[str]) -> list[Path]:
    """Remove the temporary files killed runs left for the outputs ``names`` in ``folder``;
    those removed."""
    found = [path for name in names for path in folder.glob(f".{name.lstrip('.')}.*.tmp")]
    for path in found:
        path.unlink(missing_ok=True)
    return found

"""Progress of long work, reported to whoever listens (the CLI draws rich progress bars).

The domain and the tasks call :func:`advance`; nothing is shown unless a listener is set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Listener = Callable[[str, int, int], None]  # (stage, done, total)
_listeners: list[Listener] = []


def advance(stage: str, done: int, total: int) -> None:
    for listener in list(_listeners):
        listener(stage, done, total)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)

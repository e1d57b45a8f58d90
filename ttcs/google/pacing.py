"""Staying within Google's quota: a sliding-window limiter and a capped retry policy.

Google counts requests per user per minute (60 reads, 60 writes) and answers 429 beyond that.
We pace requests so that no window ever holds more than the quota, instead of provoking 429s,
and retry what still fails (429, 5xx, timeouts) with capped exponential backoff and jitter,
honouring Retry-After. Everything scales with ``window_s`` so a benchmark can shrink a minute.
"""

from __future__ import annotations

import random
import threading
import time
from bisect import insort
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TypeVar

from ttcs.errors import RunFailed

T = TypeVar("T")


class SlidingWindowLimiter:
    """At most ``limit`` requests in any ``window_s``-second window (thread-safe).

    A request holds its slot from before it is sent until its answer is back (:meth:`slot`):
    the server saw it somewhere in between, so the window is counted from the later time and
    the server's own window can never hold more than ``limit``.
    """

    def __init__(self, limit: int, window_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._sleep = sleep
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited_s = 0.0

    def _wait_for_slot(self, take: bool) -> float:
        while True:
            with self._lock:
                now = self._clock()
                while self._stamps and now - self._stamps[0] >= self.window_s:
                    self._stamps.popleft()
                if len(self._stamps) < self.limit:
                    if take:
                        self._stamps.append(now)
                    return now
                wait = self.window_s - (now - self._stamps[0])
            self.waited_s += wait
            self._sleep(wait)

    def acquire(self) -> float:
        """Wait for a free slot and take it; returns the slot's stamp."""
        return self._wait_for_slot(take=True)

    def wait_free(self) -> None:
        """Wait until a slot is free, without taking it: the next :meth:`acquire` by this
        thread then goes through at once (when no other thread takes the slot meanwhile)."""
        self._wait_for_slot(take=False)

    def finish(self, stamp: float) -> None:
        """Move a slot's stamp to now: the request is answered, the server has counted it."""
        with self._lock:
            with suppress(ValueError):
                self._stamps.remove(stamp)
            insort(self._stamps, self._clock())

    @contextmanager
    def slot(self) -> Iterator[None]:
        stamp = self.acquire()
        try:
            yield
        finally:
            self.finish(stamp)


class Retryable(Exception):
    """A failure worth retrying; ``retry_after`` is the server's hint in seconds, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(Retryable, RunFailed):
    """A service still unreachable or failing after the capped retries (or a write that must not
    be repeated): the run failed, not its input. Its message is one line for a person."""


@dataclass
class RetryPolicy:
    """Google's recommended backoff: min(2^n + jitter, cap), for at most ``max_retries``."""

    max_retries: int = 5
    base_s: float = 1.0
    cap_s: float = 32.0
    jitter_s: float = 1.0
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep
    retries: int = 0  # how many retries this policy has made, for the benchmark

    def delay(self, attempt: int, retry_after: float | None) -> float:
        backoff = min(self.base_s * 2 ** attempt + self.rng.uniform(0, self.jitter_s), self.cap_s)
        return max(backoff, retry_after or 0.0)

    def call(self, action: Callable[[], T]) -> T:
        """Run ``action``; retry on :class:`Retryable`; re-raise after ``max_retries``."""
        attempt = 0
        while True:
            try:
                return action()
            except Retryable as exc:
                if attempt >= self.max_retries:
                    raise
                self.sleep(self.delay(attempt, exc.retry_after))
                attempt += 1
                self.retries += 1

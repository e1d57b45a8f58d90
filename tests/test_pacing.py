"""Pacing and retries, with a clock of the test's own (no real sleeping)."""

from __future__ import annotations

import random

import pytest

from ttcs.google.pacing import Retryable, RetryPolicy, SlidingWindowLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_no_window_ever_holds_more_than_the_limit() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(3, window_s=60, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(10):
        with limiter.slot():
            sent.append(clock.now)
            clock.now += 0.5  # the request takes half a second
    ends = [t + 0.5 for t in sent]
    for start in sent:
        assert sum(start <= t < start + 60 for t in sent) <= 3
    assert sent[3] >= ends[0] + 60  # the 4th waits a full window after the 1st was answered
    assert limiter.waited_s == pytest.approx(sum(clock.slept))


def test_retry_honours_retry_after_caps_backoff_and_gives_up() -> None:
    clock = Clock()
    policy = RetryPolicy(max_retries=4, base_s=1, cap_s=5, jitter_s=0.5,
                         rng=random.Random(1), sleep=clock.sleep)
    calls = []

    def always_busy() -> None:
        calls.append(clock.now)
        raise Retryable("429", retry_after=7 if len(calls) == 1 else None)

    with pytest.raises(Retryable):
        policy.call(always_busy)
    assert len(calls) == 5  # the first try and 4 retries, never forever
    assert clock.slept[0] == 7  # Retry-After beats a shorter backoff
    assert all(1 <= s <= 5 for s in clock.slept[1:])
    assert clock.slept[-1] == 5  # capped
    assert policy.retries == 4


def test_retry_returns_once_the_call_succeeds() -> None:
    clock = Clock()
    policy = RetryPolicy(max_retries=3, sleep=clock.sleep, rng=random.Random(0))
    answers = iter([Retryable("503"), Retryable("timeout"), "ok"])

    def flaky() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert policy.call(flaky) == "ok"
    assert len(clock.slept) == 2

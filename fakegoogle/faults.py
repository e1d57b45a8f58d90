"""What makes the fake hard to talk to, and what it counts.

- :class:`Quota`: per-user read and write limits over a sliding window (60 s like Google, or
  shorter for benchmarks); a request over the limit is answered 429 and does not use quota.
- :class:`Faults`: a seeded random fraction of requests fails with 429, 500, 503, a timeout
  (the server holds the request longer than the client waits, then drops it) or a reset
  (the connection is closed without an answer).
- :class:`Stats`: requests by kind, by spreadsheet, by HTTP status, and a log with times.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = ("429", "500", "503", "timeout", "reset")


class Quota:
    def __init__(self, read: int | None = 60, write: int | None = 60, window_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = {"read": read, "write": write}
        self.window_s = window_s
        self.clock = clock
        self._stamps: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, user: str, bucket: str) -> bool:
        """True and counted when ``user`` still has ``bucket`` quota in the window."""
        limit = self.limits.get(bucket)
        if limit is None:
            return True
        now = self.clock()
        with self._lock:
            stamps = self._stamps.setdefault((user, bucket), deque())
            while stamps and stamps[0] <= now - self.window_s:
                stamps.popleft()
            if len(stamps) >= limit:
                return False
            stamps.append(now)
            return True

    def retry_after(self, user: str, bucket: str) -> float:
        """Seconds until the oldest request leaves the window."""
        with self._lock:
            stamps = self._stamps.get((user, bucket))
            if not stamps:
                return 0.0
            return max(0.0, stamps[0] + self.window_s - self.clock())

    def reset(self) -> None:
        with self._lock:
            self._stamps.clear()


@dataclass
class Faults:
    """``fraction`` of eligible requests fail; ``kinds`` maps a fault to its weight."""

    fraction: float = 0.0
    kinds: dict[str, float] = field(default_factory=lambda: {"429": 1.0, "500": 1.0,
                                                             "503": 1.0, "timeout": 1.0})
    seed: int = 0
    timeout_s: float = 30.0
    only: frozenset[str] | None = None  # request kinds eligible (None: all but "token")
    retry_after_s: float | None = None
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        self._rng = random.Random(self.seed)

    def pick(self, kind: str) -> str | None:
        if self.fraction <= 0:
            return None
        if self.only is not None:
            if kind not in self.only:
                return None
        elif kind == "token":
            return None
        with self._lock:
            if self._rng.random() >= self.fraction:
                return None
            names = list(self.kinds)
            return self._rng.choices(names, weights=[self.kinds[n] for n in names])[0]


@dataclass
class Latency:
    """Seconds added to each request: fixed, or uniform in [low, high] (seeded)."""

    low: float = 0.0
    high: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self) -> float:
        if self.high <= self.low:
            return self.low
        with self._lock:
            return self._rng.uniform(self.low, self.high)


@dataclass(slots=True)
class Record:
    """One request the fake received (status and user are filled in once answered)."""

    at: float  # time.monotonic()
    method: str
    kind: str
    spreadsheet_id: str | None
    user: str | None
    status: int  # 0 when the connection was dropped (timeout, reset)
    fault: str | None


class Stats:
    """Counted on arrival, so a request the client gave up on is counted too."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.by_kind: Counter[str] = Counter()
            self.by_sheet: dict[str, Counter[str]] = {}
            self.log: list[Record] = []

    def record(self, rec: Record) -> None:
        with self._lock:
            self.by_kind[rec.kind] += 1
            if rec.spreadsheet_id:
                self.by_sheet.setdefault(rec.spreadsheet_id, Counter())[rec.kind] += 1
            self.log.append(rec)

    def counts(self, spreadsheet_id: str | None = None) -> dict[str, int]:
        with self._lock:
            if spreadsheet_id is None:
                return dict(self.by_kind)
            return dict(self.by_sheet.get(spreadsheet_id, Counter()))

    def total(self, kinds: Iterable[str] | None = None, exclude: Iterable[str] = ("token",),
              spreadsheet_ids: Iterable[str] | None = None) -> int:
        wanted = set(kinds) if kinds is not None else None
        skip = set(exclude)
        ids = set(spreadsheet_ids) if spreadsheet_ids is not None else None
        with self._lock:
            return sum(1 for r in self.log
                       if (wanted is None or r.kind in wanted) and r.kind not in skip
                       and (ids is None or r.spreadsheet_id in ids))

    def records(self) -> list[Record]:
        with self._lock:
            return list(self.log)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"by_kind": dict(self.by_kind),
                    "by_spreadsheet": {k: dict(v) for k, v in self.by_sheet.items()},
                    "by_status": dict(Counter(r.status for r in self.log)),
                    "faults": dict(Counter(r.fault for r in self.log if r.fault)),
                    "requests": len(self.log)}


def max_in_window(stamps: Iterable[float], window_s: float) -> int:
    """The most requests any ``window_s``-long window holds (to check pacing)."""
    times = sorted(stamps)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window_s:
            lo += 1
        best = max(best, hi - lo + 1)
    return best

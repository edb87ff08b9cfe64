"""Fault injection for chaos tests: REST errors/latency and webhook misdelivery.

Every rate is a probability in [0, 1] drawn from one seeded RNG, so a run
with the same seed and the same request sequence fails the same way. The
`*_next` counters fail exactly the next N matching calls, for tests that
need "two failures, then success". REST faults can be narrowed to some
methods and a path pattern (a regex searched in the path below wc/v3/).

The 429 storm and the HTML page stand in for what sits in front of a real
store (a host's rate limiter, a WAF's captcha, a maintenance page): WordPress
never sees those requests, so nothing is applied and WP-Cron does not run.
"""
from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Faults:
    rest_5xx_rate: float = 0.0
    rest_5xx_status: int = 503
    # "before": rejected, nothing applied; "after": applied, then the answer is lost
    rest_5xx_mode: str = "before"
    rest_5xx_next: int = 0
    rest_429_rate: float = 0.0
    rest_429_next: int = 0
    retry_after: int = 1  # seconds, sent in Retry-After with a 429
    # a storm: every matching call for this many seconds from now gets 429, with
    # Retry-After saying how long the storm still lasts
    rest_429_storm_seconds: float = 0.0
    # an HTML page (a captcha or maintenance page) where JSON was expected
    rest_html_rate: float = 0.0
    rest_html_next: int = 0
    rest_html_status: int = 200  # 200 (captcha, maintenance plugin) or 503 (WAF, host)
    rest_methods: list[str] | None = None  # e.g. ["POST"]; None: every method
    rest_path: str | None = None  # e.g. r"^orders/\d+/refunds$"; None: every path
    latency_rate: float = 1.0  # share of calls that get latency_ms (0 ms by default)
    latency_ms: int = 0
    webhook_drop_rate: float = 0.0
    webhook_duplicate_rate: float = 0.0
    webhook_reorder_rate: float = 0.0
    webhook_delay_ms: int = 0
    seed: int | None = None

    def validate(self) -> "Faults":
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_rate") and not (isinstance(value, (int, float)) and 0 <= value <= 1):
                raise ValueError(f"{f.name} must be a number in [0, 1]")
            if f.name.endswith(("_next", "_ms", "_seconds")) or f.name == "retry_after":
                if not (isinstance(value, (int, float)) and 0 <= value <= 3600_000):
                    raise ValueError(f"{f.name} must be a non-negative number")
            if f.name.endswith("_status") and not (isinstance(value, int) and 200 <= value <= 599):
                raise ValueError(f"{f.name} must be an HTTP status in [200, 599]")
        if self.rest_5xx_mode not in ("before", "after"):
            raise ValueError("rest_5xx_mode must be 'before' or 'after'")
        if self.rest_path is not None:
            try:
                re.compile(self.rest_path)
            except (re.error, TypeError) as exc:
                raise ValueError(f"rest_path is not a regular expression: {exc}") from None
        return self


class FaultInjector:
    def __init__(self, faults: Faults | None = None):
        self._lock = threading.Lock()
        self.faults = (faults or Faults()).validate()
        self._rng = random.Random(self.faults.seed)
        self._storm_until = time.monotonic() + self.faults.rest_429_storm_seconds

    def update(self, changes: dict[str, Any]) -> Faults:
        names = {f.name for f in fields(Faults)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown fault option(s): {', '.join(sorted(unknown))}")
        with self._lock:
            self.faults = Faults(**{**asdict(self.faults), **changes}).validate()
            if "seed" in changes:
                self._rng = random.Random(self.faults.seed)
            if "rest_429_storm_seconds" in changes:
                self._storm_until = time.monotonic() + self.faults.rest_429_storm_seconds
            return self.faults

    def reset(self) -> Faults:
        with self._lock:
            self.faults = Faults()
            self._storm_until = 0.0
            return self.faults

    def storm_left(self) -> float:
        """Seconds the 429 storm still lasts; 0 when there is none."""
        return max(0.0, self._storm_until - time.monotonic())

    def hit(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def matches(self, method: str, path: str) -> bool:
        f = self.faults
        if f.rest_methods and method.upper() not in [m.upper() for m in f.rest_methods]:
            return False
        return not f.rest_path or re.search(f.rest_path, path) is not None

    def take(self, counter: str, rate: float) -> bool:
        """True if this call fails: a pending `*_next` count first, else the rate."""
        with self._lock:
            left = getattr(self.faults, counter)
            if left > 0:
                setattr(self.faults, counter, left - 1)
                return True
        return self.hit(rate)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self.faults)

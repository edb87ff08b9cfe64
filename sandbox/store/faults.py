"""Fault injection for chaos tests: REST errors/latency and webhook misdelivery.

Every rate is a probability in [0, 1] drawn from one seeded RNG, so a run
with the same seed and the same request sequence fails the same way.
"""
from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Faults:
    rest_5xx_rate: float = 0.0
    rest_5xx_status: int = 503
    # "before": rejected, nothing applied; "after": applied, then the answer is lost
    rest_5xx_mode: str = "before"
    rest_429_rate: float = 0.0
    retry_after: int = 1  # seconds, sent in Retry-After with a 429
    latency_rate: float = 1.0  # share of calls that get latency_ms (0 ms by default)
    latency_ms: int = 0
    webhook_drop_rate: float = 0.0
    webhook_duplicate_rate: float = 0.0
    webhook_reorder_rate: float = 0.0
    webhook_delay_ms: int = 0
    seed: int | None = None


class FaultInjector:
    def __init__(self, faults: Faults | None = None):
        self._lock = threading.Lock()
        self.faults = faults or Faults()
        self._rng = random.Random(self.faults.seed)

    def update(self, changes: dict[str, Any]) -> Faults:
        names = {f.name for f in fields(Faults)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown fault option(s): {', '.join(sorted(unknown))}")
        with self._lock:
            self.faults = Faults(**{**asdict(self.faults), **changes})
            if "seed" in changes:
                self._rng = random.Random(self.faults.seed)
            return self.faults

    def reset(self) -> Faults:
        with self._lock:
            self.faults = Faults()
            return self.faults

    def hit(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def as_dict(self) -> dict[str, Any]:
        return asdict(self.faults)

"""A store client's calls at a chosen pace: a token bucket of `rate` requests
per second, and bounded, classified waiting on what hosts put in front of a
store (429 with Retry-After, 503, an HTML page where JSON was expected).

The client itself never retries (Temporal owns retries); a long-running
caller that reads many pages, the backfill, waits here instead, so a storm
of 429s slows it down rather than burning its activity attempts.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from systems.woocommerce.errors import WooRetryableError

T = TypeVar("T")
MAX_WAIT = 120.0  # seconds: a Retry-After beyond this is capped
FIRST_BACKOFF, MAX_BACKOFF = 1.0, 30.0


class TokenBucket:
    """At most `rate` takes per second on average, bursts of `burst`."""

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        if not 0 < rate <= 1000:
            raise ValueError("rate must be in (0, 1000] requests per second")
        self.rate, self.burst = rate, max(1.0, burst)
        self._tokens, self._at = self.burst, time.monotonic()
        self._lock = asyncio.Lock()

    async def take(self) -> float:
        """Wait for a token; the seconds waited."""
        async with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            wait = (1 - self._tokens) / self.rate
            await asyncio.sleep(wait)
            self._tokens, self._at = 0.0, time.monotonic()
            return wait


class Throttled:
    """Runs a blocking store call in a thread at the bucket's pace, waiting
    out retryable answers up to `attempts` times before giving up with the
    last error (the caller's retry policy takes it from there)."""

    def __init__(self, bucket: TokenBucket, attempts: int = 8,
                 on_wait: Callable[[float, str], None] | None = None) -> None:
        self.bucket, self.attempts = bucket, max(1, attempts)
        self.slept = 0.0
        self._on_wait = on_wait

    async def __call__(self, fn: Callable[[], T]) -> T:
        backoff = FIRST_BACKOFF
        for attempt in range(1, self.attempts + 1):
            await self.bucket.take()
            try:
                return await asyncio.to_thread(fn)
            except WooRetryableError as exc:
                if attempt == self.attempts:
                    raise
                if exc.status == 429 and exc.retry_after is not None:
                    wait = min(MAX_WAIT, max(0.1, exc.retry_after))
                else:  # 503, an HTML page, a timeout: back off, doubling
                    wait, backoff = backoff, min(MAX_BACKOFF, backoff * 2)
                if self._on_wait:
                    self._on_wait(wait, str(exc))
                self.slept += wait
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")

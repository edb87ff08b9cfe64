"""How many refused deliveries the ingress writes down, per source address.

A refused delivery (bad or missing signature) is worth recording: it is how
an operator notices a rotated secret or someone probing. But nobody vouched
for it, so its storage is bounded twice: each row keeps only a digest and a
prefix of the body (Inbox.reject), and the number of rows is rate-limited,
per source address and overall, with token buckets. What is not recorded is
still counted (metrics.REFUSALS_NOT_RECORDED), so a flood shows up on a
dashboard instead of on the disk.

The overall bucket matters as much as the per-source one: sources are easy
to multiply (and the table of them is bounded, so a forgotten source starts
afresh), the overall rate is not.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable


class _Bucket:
    __slots__ = ("tokens", "stamp")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens, self.stamp = tokens, stamp

    def take(self, now: float, burst: float, rate: float) -> bool:
        self.tokens = min(burst, self.tokens + (now - self.stamp) * rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class RecordingBudget:
    """Token buckets: `burst` rows at once, then `per_second` on average.

    Defaults: a source may have 20 refusals recorded at once and one every
    10 s after that; all sources together 100 at once and one a second.
    A refusal row is about 1 KB (a 256-byte prefix, bounded headers), so
    one flooding source adds at most ~9 MB a day and any number of sources
    together at most ~90 MB a day, against 141 MiB in 2.3 s before. A
    sustained flood shows in wooerp_webhook_refusals_not_recorded_total.
    """

    def __init__(self, *, burst: int = 20, per_second: float = 0.1,
                 total_burst: int = 100, total_per_second: float = 1.0,
                 max_sources: int = 4096,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._burst, self._rate = burst, per_second
        self._total_burst, self._total_rate = total_burst, total_per_second
        self._max_sources, self._clock = max_sources, clock
        self._sources: OrderedDict[str, _Bucket] = OrderedDict()
        self._total = _Bucket(total_burst, clock())

    def take(self, source: str) -> bool:
        """True if a refusal from `source` may be recorded now."""
        now = self._clock()
        bucket = self._sources.pop(source, None) or _Bucket(self._burst, now)
        self._sources[source] = bucket  # most recently seen last
        while len(self._sources) > self._max_sources:
            self._sources.popitem(last=False)
        # Check the source first: a flooding source must not spend the shared budget.
        return (bucket.take(now, self._burst, self._rate)
                and self._total.take(now, self._total_burst, self._total_rate))

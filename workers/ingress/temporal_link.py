"""A Temporal client that may not be there yet: the ingress must keep taking
webhooks while Temporal is down, so it connects lazily and again after errors."""
from __future__ import annotations

import time

import structlog
from temporalio.client import Client

from workers.settings import TemporalSettings
from workers.temporal_client import connect

log = structlog.get_logger("wooerp.ingress")


class TemporalLink:
    def __init__(self, cfg: TemporalSettings, *, backoff_seconds: float = 2.0) -> None:
        self._cfg, self._backoff = cfg, backoff_seconds
        self._client: Client | None = None
        self._next_try = 0.0

    async def get(self) -> Client | None:
        if self._client is not None:
            return self._client
        if time.monotonic() < self._next_try:
            return None
        try:
            self._client = await connect(self._cfg, timeout=3.0)
        except ConnectionError as exc:
            log.warning("temporal unreachable", error=str(exc))
            self._next_try = time.monotonic() + self._backoff
        return self._client

    def reset(self) -> None:
        self._client = None
        self._next_try = time.monotonic() + self._backoff

    @property
    def connected(self) -> bool:
        return self._client is not None

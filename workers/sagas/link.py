"""A saga client that may not be there yet: the ingress must keep taking
webhooks while Temporal is down, so it connects lazily and again after errors."""
from __future__ import annotations

import time

import structlog

from workers.config.settings import Settings
from workers.sagas.client import SagaClient
from workers.sagas.outcomes import SagaCallError

log = structlog.get_logger("wooerp.ingress")


class SagaLink:
    def __init__(self, settings: Settings, *, backoff_seconds: float = 2.0) -> None:
        self._settings, self._backoff = settings, backoff_seconds
        self._sagas: SagaClient | None = None
        self._next_try = 0.0

    async def get(self) -> SagaClient | None:
        """The client, or None while Temporal is unreachable (tried again after a pause)."""
        if self._sagas is not None:
            return self._sagas
        if time.monotonic() < self._next_try:
            return None
        try:
            self._sagas = await SagaClient.connect(self._settings, timeout=3.0)
        except SagaCallError as exc:
            log.warning("temporal unreachable", error=str(exc))
            self._next_try = time.monotonic() + self._backoff
        return self._sagas

    def reset(self) -> None:
        """Forget the client after it failed: the next `get` reconnects."""
        self._sagas = None
        self._next_try = time.monotonic() + self._backoff

    @property
    def connected(self) -> bool:
        return self._sagas is not None

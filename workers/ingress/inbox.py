"""The webhook inbox: every delivery is stored (raw body kept) before it is
forwarded, so a delivery survives Temporal being down, a crash, or a bug in
mapping. Entries go received → forwarded, or to rejected / dead with a reason.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable

import structlog
from pydantic import ValidationError

from systems.ledger.models import InboxStatus
from systems.ledger.store import Ledger
from systems.woocommerce import mapping
from systems.woocommerce.webhooks import ORDER_TOPICS, Topic, WebhookHeaders
from workers.config.settings import Settings
from workers.ingress import metrics
from workers.sagas.client import SagaClient
from workers.sagas.link import SagaLink
from workers.sagas.outcomes import SagaCallError

log = structlog.get_logger("wooerp.ingress")


class Inbox:
    def __init__(self, settings: Settings, ledger: Ledger, sagas: SagaLink) -> None:
        self._settings, self._ledger, self._sagas = settings, ledger, sagas

    def webhook_secret(self, store: str) -> str | None:
        cfg = self._settings.stores.get(store)
        if cfg is None or cfg.webhook_secret is None:
            return None
        return cfg.webhook_secret.get_secret_value()

    async def _add(self, store: str, meta: WebhookHeaders, headers: dict[str, str],
                   body: bytes, status: str, error: str | None = None) -> int:
        return await asyncio.to_thread(
            self._ledger.inbox_add, store=store, delivery_id=meta.delivery_id,
            topic=meta.topic or "", headers=_safe_headers(headers), body=body,
            status=InboxStatus(status), error=error)

    async def keep(self, store, meta, headers, body) -> int:
        return await self._add(store, meta, headers, body, "received")

    async def reject(self, store, meta, headers, body, reason: str) -> int:
        return await self._add(store, meta, headers, body, "rejected", reason)

    async def dead(self, store, meta, headers, body, reason: str) -> int:
        return await self._add(store, meta, headers, body, "dead", reason)

    async def forward(self, entry_id: int) -> bool:
        """Forward one received entry; False leaves it for the relay."""
        entry = await asyncio.to_thread(self._ledger.inbox_get, entry_id)
        if entry.topic not in ORDER_TOPICS:
            await self._mark(entry_id, "forwarded", f"topic {entry.topic!r} needs no saga")
            return True
        try:
            send = self._sender(entry.topic, entry.store, json.loads(entry.body))
        except (ValidationError, ValueError, KeyError, TypeError) as exc:
            await self._mark(entry_id, "dead", f"cannot map the order: {exc}")
            metrics.DEAD_LETTERS.inc()
            return True
        sagas = await self._sagas.get()
        if sagas is None:
            await self._mark(entry_id, "received", "Temporal unreachable; the relay will retry")
            return False
        try:
            note = await asyncio.wait_for(send(sagas), timeout=10)
        except (SagaCallError, asyncio.TimeoutError) as exc:
            self._sagas.reset()
            await self._mark(entry_id, "received", f"Temporal refused: {exc}; will retry")
            return False
        await self._mark(entry_id, "forwarded", str(note))
        return True

    def _sender(self, topic: str, store: str, doc: Any
                ) -> Callable[[SagaClient], Awaitable[str]]:
        """What forwarding this delivery does; raises when the body cannot say."""
        if topic == Topic.ORDER_DELETED:  # the body is only {"id": N}
            woo_id = int(doc["id"])
            return lambda sagas: sagas.order_trashed(store, woo_id)
        order = mapping.order_from_woo(doc, store=store)
        return lambda sagas: sagas.forward_order(order)

    async def _mark(self, entry_id: int, status: str, note: str) -> None:
        await asyncio.to_thread(self._ledger.inbox_mark, entry_id, InboxStatus(status),
                                error=note)

    async def relay_once(self, limit: int = 100) -> int:
        """Forward what is still waiting; returns how many went through."""
        pending = await asyncio.to_thread(self._ledger.inbox_pending, limit=limit)
        sent = 0
        for entry in pending:
            if not await self.forward(entry.id):
                break  # Temporal is still down: try again on the next tick
            sent += 1
        metrics.INBOX_PENDING.set(len(pending) - sent)
        return sent


_DROP = {"authorization", "cookie", "x-wc-webhook-signature"}


def _safe_headers(headers: dict[str, Any]) -> dict[str, Any]:
    """Headers worth keeping for replay and audit, minus credentials."""
    return {k: v for k, v in headers.items() if k not in _DROP}

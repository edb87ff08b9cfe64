"""The webhook inbox: every delivery is stored (raw body kept) before it is
forwarded, so a delivery survives Temporal being down, a crash, or a bug in
mapping. Entries go received → forwarded, or to rejected / dead with a reason.

One entry can never hold up the others. A body that cannot be mapped is a
dead letter at once (the same bytes fail the same way every time); a forward
that fails for this entry alone is retried a bounded number of times and
then dead; only "Temporal cannot be reached" leaves the entry waiting and
ends the relay's tick, because then every later entry would fail too.
"""
from __future__ import annotations

import asyncio
from enum import Enum
from typing import Any, Awaitable, Callable

import structlog

from systems.erp.notifications import ErpNotification
from systems.ledger.models import InboxStatus
from systems.ledger.store import InboxItem, Ledger
from systems.woocommerce import mapping
from systems.woocommerce.webhooks import ORDER_TOPICS, Topic, WebhookHeaders
from workers.config.settings import Settings
from workers.ingress import metrics, payload
from workers.ingress.budget import RecordingBudget
from workers.sagas.client import SagaClient
from workers.sagas.link import SagaLink
from workers.sagas.outcomes import SagaCallError

log = structlog.get_logger("wooerp.ingress")

MAX_ATTEMPTS = 5  # forwards of one entry that Temporal refused, before it is dead
FORWARD_TIMEOUT = 10.0  # seconds for everything one delivery sends to Temporal
UNSIGNED_PREFIX = 256  # bytes kept of a body nobody vouched for
ERP_TOPIC = "erp."  # ERP notifications are kept as topic "erp.<kind>", store = the ERP's code
# Store statuses in which WooCommerce took (or gave back) the order's stock:
# the inventory sync looks at its SKUs again once the saga holds them.
STOCK_MOVING = ("processing", "on-hold", "completed", "cancelled", "refunded", "failed")


class Outcome(Enum):
    """What handling one entry came to."""

    FORWARDED = "forwarded"  # handed to Temporal (or needs no saga)
    DEAD = "dead_letter"  # unusable; kept with its reason for a person
    RETRY = "retry"  # Temporal refused this entry; the relay tries again, bounded
    UNREACHABLE = "unreachable"  # Temporal is down: the entry waits, the tick ends

    @property
    def label(self) -> str:
        """The webhook's answer and metric label: both retries are "queued"."""
        return "queued" if self in (Outcome.RETRY, Outcome.UNREACHABLE) else self.value


class Inbox:
    def __init__(self, settings: Settings, ledger: Ledger, sagas: SagaLink,
                 budget: RecordingBudget | None = None) -> None:
        self._settings, self._ledger, self._sagas = settings, ledger, sagas
        self._budget = budget or RecordingBudget()

    def webhook_secret(self, store: str) -> str | None:
        cfg = self._settings.stores.get(store)
        if cfg is None or cfg.webhook_secret is None:
            return None
        return cfg.webhook_secret.get_secret_value()

    async def _add(self, store: str, meta: WebhookHeaders, headers: dict[str, str],
                   body: bytes, status: str, error: str | None = None,
                   keep_bytes: int | None = None) -> int:
        # Headers are not covered by the signature: bound them like any input.
        return await asyncio.to_thread(
            self._ledger.inbox_add, store=store, delivery_id=_cut(meta.delivery_id, 64),
            topic=_cut(meta.topic or "", 128), headers=_safe_headers(headers), body=body,
            status=InboxStatus(status), error=_note(error) if error else None,
            keep_bytes=keep_bytes)

    async def keep(self, store, meta, headers, body) -> int:
        return await self._add(store, meta, headers, body, "received")

    def erp_secret(self) -> str | None:
        secret = self._settings.erp.notify_secret
        return secret.get_secret_value() if secret is not None else None

    async def seen(self, source: str, delivery_id: str, topic: str) -> int | None:
        """The entry already kept for this delivery id (an ERP event id), if any."""
        return await asyncio.to_thread(self._ledger.inbox_find, store=source,
                                       delivery_id=delivery_id, topic=topic)

    async def reject(self, store, meta, headers, body, reason: str, *,
                     source: str = "unknown") -> int | None:
        """Record refused unauthenticated input: a digest and a prefix, within
        the source's budget. None when it was only counted."""
        if not self._budget.take(source):
            metrics.REFUSALS_NOT_RECORDED.inc()
            return None
        return await self._add(store, meta, headers, body, "rejected", reason,
                               keep_bytes=UNSIGNED_PREFIX)

    async def dead(self, store, meta, headers, body, reason: str) -> int:
        metrics.DEAD_LETTERS.inc()
        return await self._add(store, meta, headers, body, "dead", reason)

    async def reason(self, entry_id: int) -> str | None:
        """The entry's note: why it is dead, or what forwarding did."""
        entry = await asyncio.to_thread(self._ledger.inbox_get, entry_id)
        return entry.error if entry else None

    async def forward(self, entry_id: int) -> bool:
        """Forward one received entry; False leaves it for the relay."""
        return await self.handle(entry_id) in (Outcome.FORWARDED, Outcome.DEAD)

    async def handle(self, entry_id: int) -> Outcome:
        """Forward one received entry, or decide it is dead. Raises only when
        the ledger itself fails."""
        entry = await asyncio.to_thread(self._ledger.inbox_get, entry_id)
        if entry is None:
            raise KeyError(f"no inbox entry {entry_id}")
        if entry.topic not in ORDER_TOPICS and not entry.topic.startswith(ERP_TOPIC):
            await self._mark(entry_id, "forwarded", f"topic {entry.topic!r} needs no saga")
            return Outcome.FORWARDED
        try:
            send = self._sender(entry)
        except Exception as exc:  # noqa: BLE001 - any failure to map is this body's
            await self._mark(entry_id, "dead", f"cannot map the order: {_reason(exc)}")
            metrics.DEAD_LETTERS.inc()
            log.warning("webhook dead letter", entry=entry_id, error=_reason(exc))
            return Outcome.DEAD
        sagas = await self._sagas.get()
        if sagas is None:
            await self._mark(entry_id, "received", "Temporal unreachable; the relay will retry")
            return Outcome.UNREACHABLE
        try:
            note = await asyncio.wait_for(send(sagas), timeout=FORWARD_TIMEOUT)
        except asyncio.TimeoutError as exc:
            return await self._unreachable(entry_id, exc)
        except SagaCallError as exc:
            # Temporal could not be reached or asked us to back off: the entry
            # is fine, so it waits (no attempt counted) and the tick ends. Any
            # other answer is about this request, so it counts against the entry.
            if exc.transient:
                return await self._unreachable(entry_id, exc)
            return await self._failed(entry_id, f"Temporal refused it: {_reason(exc)}")
        except Exception as exc:  # noqa: BLE001 - a bug for one entry must not stop the rest
            log.exception("forwarding failed", entry=entry_id)
            return await self._failed(entry_id, _reason(exc))
        await self._mark(entry_id, "forwarded", str(note))
        return Outcome.FORWARDED

    def _sender(self, entry: InboxItem) -> Callable[[SagaClient], Awaitable[str]]:
        """What forwarding this delivery does; raises when the body cannot say."""
        if not entry.body_complete:
            raise ValueError("only a prefix of the body was kept")
        if entry.topic.startswith(ERP_TOPIC):
            event = ErpNotification.parse(entry.body)
            return lambda sagas: sagas.relay_erp_event(event)
        doc = payload.parse(entry.body)
        store = entry.store
        if entry.topic == Topic.ORDER_DELETED:  # the body is only {"id": N}
            woo_id = mapping.order_id_from_woo(doc)
            return lambda sagas: sagas.order_trashed(store, woo_id)
        order = mapping.order_from_woo(doc, store=store)

        async def forward(sagas: SagaClient) -> str:
            note = await sagas.forward_order(order)
            skus = sorted({line.sku for line in order.lines if line.sku})
            if skus and order.woo_status in STOCK_MOVING:
                try:  # a hint only: the full comparison covers a lost one
                    await sagas.inventory_changed(store, skus)
                except Exception as exc:  # noqa: BLE001 - never fails the delivery itself
                    log.warning("inventory hint not sent", store=store, error=_reason(exc))
            return note
        return forward

    async def _unreachable(self, entry_id: int, exc: BaseException) -> Outcome:
        self._sagas.reset()
        await self._mark(entry_id, "received", f"Temporal unreachable: {_reason(exc)}; will retry")
        return Outcome.UNREACHABLE

    async def _failed(self, entry_id: int, reason: str) -> Outcome:
        status = await asyncio.to_thread(self._ledger.inbox_attempt_failed, entry_id,
                                         _note(reason), max_attempts=MAX_ATTEMPTS)
        log.warning("forwarding failed", entry=entry_id, error=reason, status=status.value)
        if status is InboxStatus.DEAD:
            metrics.DEAD_LETTERS.inc()
            return Outcome.DEAD
        return Outcome.RETRY

    async def _mark(self, entry_id: int, status: str, note: str) -> None:
        await asyncio.to_thread(self._ledger.inbox_mark, entry_id, InboxStatus(status),
                                error=_note(note))

    async def relay_once(self, limit: int = 100) -> int:
        """Forward what is still waiting; returns how many went through."""
        pending = await asyncio.to_thread(self._ledger.inbox_pending, limit=limit)
        sent = 0
        for entry in pending:
            outcome = await self.handle(entry.id)
            if outcome is Outcome.UNREACHABLE:
                break  # Temporal is still down: try again on the next tick
            sent += outcome is Outcome.FORWARDED
        metrics.INBOX_PENDING.set(await asyncio.to_thread(self._ledger.inbox_count))
        return sent


_DROP = {"authorization", "cookie", "x-wc-webhook-signature", "x-wooerp-signature"}
_MAX_HEADERS, _MAX_HEADER_NAME, _MAX_HEADER_VALUE = 40, 64, 512


def _cut(text: str | None, limit: int) -> str | None:
    return None if text is None else text.replace("\x00", "")[:limit]


def _note(text: str, limit: int = 1000) -> str:
    """A stored reason: bounded, and without NUL (PostgreSQL text refuses it)."""
    text = text.replace("\x00", "\\x00")
    return text if len(text) <= limit else f"{text[:limit]}..."


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, (payload.BodyRefused, mapping.WooMappingError)):
        return _note(text, 300)
    return _note(f"{type(exc).__name__}: {text}", 300)


def _safe_headers(headers: dict[str, Any]) -> dict[str, Any]:
    """Headers worth keeping for replay and audit, minus credentials, bounded."""
    kept = {}
    for k, v in headers.items():
        if k in _DROP or len(kept) >= _MAX_HEADERS:
            continue
        kept[_cut(k, _MAX_HEADER_NAME)] = _cut(str(v), _MAX_HEADER_VALUE)
    return kept

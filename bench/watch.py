"""When each order was accepted, read from the product's own ledger.

t0: `received_at` of the order's first webhook delivery in the ingress inbox
    (stored before the ingress answers 200: the webhook is accepted).
t1: `recorded_at` of the saga's OrderAccepted event, which the saga records
    as soon as the ERP accept activity returns a confirmed sale.

Both clocks are this machine's wall clock (ingress and Temporal server).
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from systems.ledger import Ledger
from systems.ledger.models import BusinessEventRow, InboxRow

ORDER_PREFIX = "order:default:"


@dataclass(frozen=True)
class Accepted:
    woo_id: int
    webhook_at: datetime  # t0
    accepted_at: datetime  # t1

    @property
    def latency(self) -> float:
        return (self.accepted_at - self.webhook_at).total_seconds()


class OrderRejected(Exception):
    pass


class AcceptanceWatch:
    """Polls the ledger (read-only) and resolves one future per awaited order."""

    def __init__(self, ledger: Ledger, every: float = 0.05) -> None:
        self.ledger, self.every = ledger, every
        self._first_delivery: dict[int, datetime] = {}
        self._accepted: dict[int, datetime] = {}
        self._rejected: dict[int, str] = {}
        self._waiting: dict[int, asyncio.Future[Accepted]] = {}
        self._inbox_seen = self._event_seen = 0

    async def run(self) -> None:
        while True:
            await asyncio.to_thread(self._scan)
            self._settle()
            await asyncio.sleep(self.every)

    async def accepted(self, woo_id: int, timeout: float) -> Accepted:
        future = self._waiting.setdefault(woo_id, asyncio.get_running_loop().create_future())
        self._settle()
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"order {woo_id} not accepted within {timeout:.0f} s "
                               f"(webhook seen: {woo_id in self._first_delivery})") from None

    def _settle(self) -> None:
        for woo_id, future in list(self._waiting.items()):
            if future.done():
                continue
            if woo_id in self._rejected:
                future.set_exception(OrderRejected(f"order {woo_id}: {self._rejected[woo_id]}"))
            elif woo_id in self._accepted and woo_id in self._first_delivery:
                future.set_result(Accepted(woo_id, self._first_delivery[woo_id],
                                           self._accepted[woo_id]))

    def _scan(self) -> None:
        with self.ledger.engine.connect() as db:
            inbox = db.execute(
                select(InboxRow.id, InboxRow.topic, InboxRow.body, InboxRow.received_at)
                .where(InboxRow.id > self._inbox_seen).order_by(InboxRow.id)).all()
            events = db.execute(
                select(BusinessEventRow.seq, BusinessEventRow.type, BusinessEventRow.correlation_id,
                       BusinessEventRow.recorded_at, BusinessEventRow.payload)
                .where(BusinessEventRow.seq > self._event_seen,
                       BusinessEventRow.type.in_(("OrderAccepted", "OrderRejected")))
                .order_by(BusinessEventRow.seq)).all()
        for row in inbox:
            self._inbox_seen = row.id
            if row.topic.startswith("order."):
                woo_id = int(json.loads(row.body)["id"])
                self._first_delivery.setdefault(woo_id, row.received_at)
        for row in events:
            self._event_seen = row.seq
            if not row.correlation_id.startswith(ORDER_PREFIX):
                continue
            woo_id = int(row.correlation_id[len(ORDER_PREFIX):])
            if row.type == "OrderAccepted":
                self._accepted.setdefault(woo_id, row.recorded_at)
            else:
                self._rejected[woo_id] = str(row.payload.get("reason"))

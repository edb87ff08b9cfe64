"""The seed's KPIs, folded from the business event log of one store over a
window: what the variance page shows next to the reconciliation.

* order acceptance latency: OrderAccepted recorded − OrderCaptured occurred
  (the store's order date), for orders accepted in the window;
* refund completion cycle time: RefundCompleted recorded − RefundRequested
  occurred, for refunds completed in the window;
* shipment-to-invoice correlation: orders shipped (ShipmentConfirmed) with no
  InvoicePosted yet, and how long the oldest has waited;
* inventory synchronization accuracy: at the store's latest full comparison
  (InventorySync, before it repaired anything), the share of SKUs where the
  store showed exactly what the ERP can sell (`inventory_checks`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from systems.ledger.inventory import CheckRecord
from systems.ledger.models import BusinessEventRow
from systems.ledger.store import Ledger

TYPES = ("OrderCaptured", "OrderAccepted", "ShipmentConfirmed", "InvoicePosted",
         "RefundRequested", "RefundCompleted")
LOOKBACK = timedelta(days=31)  # how far before the window a saga's first event may lie


@dataclass(frozen=True)
class Latency:
    count: int
    p50_seconds: float | None
    p95_seconds: float | None


@dataclass(frozen=True)
class Kpis:
    acceptance: Latency
    refund_cycle: Latency
    shipped_not_invoiced: int
    oldest_uninvoiced_seconds: float | None
    inventory: CheckRecord | None = None  # the latest full comparison, if any

    @property
    def inventory_accuracy(self) -> float | None:
        return self.inventory.accuracy if self.inventory else None


def _latency(samples: list[float]) -> Latency:
    if not samples:
        return Latency(0, None, None)
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return Latency(len(ordered), pick(0.5), pick(0.95))


def kpis(ledger: Ledger, store: str, start: datetime, end: datetime, now: datetime) -> Kpis:
    first: dict[tuple[str, str], datetime] = {}  # (saga, type) -> occurred or recorded
    with Session(ledger.engine) as s:
        rows = s.execute(
            select(BusinessEventRow.correlation_id, BusinessEventRow.type,
                   BusinessEventRow.occurred_at, BusinessEventRow.recorded_at)
            .where(or_(BusinessEventRow.correlation_id.like(f"order:{store}:%"),
                       BusinessEventRow.correlation_id.like(f"refund:{store}:%")),
                   BusinessEventRow.type.in_(TYPES),
                   BusinessEventRow.recorded_at >= start - LOOKBACK,
                   BusinessEventRow.recorded_at < end))
        for saga, kind, occurred, recorded in rows:
            moment = occurred if kind in ("OrderCaptured", "RefundRequested") else recorded
            first.setdefault((saga, kind), moment)
    accepted, refunds, waiting = [], [], []
    for (saga, kind), moment in first.items():
        if kind == "OrderAccepted" and start <= moment < end:
            captured = first.get((saga, "OrderCaptured"))
            if captured is not None:
                accepted.append((moment - captured).total_seconds())
        elif kind == "RefundCompleted" and start <= moment < end:
            requested = first.get((saga, "RefundRequested"))
            if requested is not None:
                refunds.append((moment - requested).total_seconds())
        elif kind == "ShipmentConfirmed" and (saga, "InvoicePosted") not in first:
            waiting.append((now - moment).total_seconds())
    check = ledger.inventory_latest(store, "full")
    return Kpis(acceptance=_latency(accepted), refund_cycle=_latency(refunds),
                shipped_not_invoiced=len(waiting),
                oldest_uninvoiced_seconds=max(waiting) if waiting else None,
                inventory=check if check is not None and check.checked_at < end else None)

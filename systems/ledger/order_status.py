"""An order's status as finance sees it: the status model folded over every
event the ledger holds for the order, its refunds included.

The OrderSaga closes once invoiced, but refunds come later, from other
sagas; folding the ledger is how the order's status follows them to
`partially_refunded` and `refunded` without keeping the saga open.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from canonical.status import IllegalTransition, OrderStatus, advance
from systems.ledger.store import Ledger


@dataclass
class LedgerStatus:
    status: OrderStatus | None
    events: int
    anomalies: list[str] = field(default_factory=list)  # events the model refused


def ledger_status(ledger: Ledger, store: str, woo_order_id: int) -> LedgerStatus:
    status: OrderStatus | None = None
    events = ledger.events_of_order(store, woo_order_id)
    anomalies = []
    for e in events:
        try:
            status = advance(status, e.type,
                             fully_refunded=bool(e.payload.get("fully_refunded", False)))
        except IllegalTransition as exc:
            anomalies.append(f"{e.event_id}: {exc}")
    return LedgerStatus(status, len(events), anomalies)

"""What the reconciliation compares: compact snapshots of each side.

A day can hold 100,000 orders, so these are slotted dataclasses holding
Decimal amounts in one currency each (already quantized to its minor unit
by the Money they were made from), not full entities: the compare keeps one
side in memory and streams the other. Each is built from the canonical
model (`of(...)`) and travels through the ledger's staging area as a plain
JSON row (`row()` / `from_row()`).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Iterable, Mapping

from canonical.entities import Order, WooOrderStatus
from canonical.erp import CreditNote, ErpSale
from canonical.money import total

ZERO = Decimal(0)
# Store statuses whose order is no demand (any more): nothing should be booked.
NOT_DEMAND = frozenset({WooOrderStatus.CANCELLED, WooOrderStatus.FAILED, WooOrderStatus.TRASH,
                        WooOrderStatus.CHECKOUT_DRAFT})
ERP_DOCUMENT_META = "_wooerp_erp_document"  # written back by the OrderSaga
ACCEPTED_STATES = frozenset({"confirmed", "processing", "done"})


# A day's amounts repeat (0.00, the shipping rate, popular totals): one shared,
# immutable Decimal per text keeps 100,000 snapshots well inside memory.
_decimal = lru_cache(maxsize=1 << 16)(Decimal)
_datetime = lru_cache(maxsize=1 << 16)(datetime.fromisoformat)


def _dump(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class _Row:
    """JSON-able dict round trip for a slotted dataclass."""

    _DECIMALS: frozenset[str] = frozenset()
    _DATES: frozenset[str] = frozenset()

    def row(self) -> dict[str, Any]:
        return {f.name: _dump(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_row(cls, row: Mapping[str, Any]):  # noqa: ANN206 (returns cls)
        values = dict(row)
        for name in cls._DECIMALS:
            if values.get(name) is not None:
                values[name] = _decimal(values[name])
        for name in cls._DATES:
            if values.get(name) is not None:
                values[name] = _datetime(values[name])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class StoreOrder(_Row):
    """A store order as commerce reports it."""

    store: str
    woo_id: int
    status: str
    currency: str
    created_at: datetime
    modified_at: datetime
    paid: bool
    items: Decimal  # line totals: after coupons, excluding tax
    shipping: Decimal
    fees: Decimal
    tax: Decimal
    total: Decimal  # the store's own total (items + shipping + fees + tax when sound)
    refunded: Decimal  # money given back, positive
    refunds: int
    item_lines: int  # line counts bound the rounding the ERP may do
    other_lines: int  # shipping and fee lines
    erp_document: str | None = None  # written back by the saga once the ERP accepted
    number: str = ""

    _DECIMALS = frozenset({"items", "shipping", "fees", "tax", "total", "refunded"})
    _DATES = frozenset({"created_at", "modified_at"})

    @classmethod
    def of(cls, order: Order) -> StoreOrder:
        cur = order.currency
        document = order.meta.get(ERP_DOCUMENT_META)
        return cls(
            store=order.store, woo_id=order.woo_id, status=order.woo_status, currency=cur,
            created_at=order.date_created, modified_at=order.date_modified,
            paid=order.is_paid,
            items=total((l.total for l in order.lines), cur).amount,
            shipping=total((s.total for s in order.shipping_lines), cur).amount,
            fees=total((f.total for f in order.fee_lines), cur).amount,
            tax=order.total_tax.amount, total=order.total.amount,
            refunded=order.refunded_total().amount, refunds=len(order.refunds),
            item_lines=len(order.lines),
            other_lines=len(order.shipping_lines) + len(order.fee_lines),
            erp_document=str(document) if isinstance(document, (str, int)) and document != ""
            else None,
            number=order.number)

    @property
    def demand(self) -> bool:
        """Is this order demand the ERP should book (not cancelled, failed, trashed)?"""
        return self.status not in NOT_DEMAND

    @property
    def net(self) -> Decimal:
        """What finance should see booked for it: the total less refunds (0 if no demand)."""
        return self.total - self.refunded if self.demand else ZERO


@dataclass(frozen=True, slots=True)
class ErpDocument(_Row):
    """A wooerp sale in the ERP with its credit notes, as finance reads it."""

    ref: str  # the wooerp reference: woo:{store}:{woo order id}
    woo_id: int | None
    erp_id: int
    document: str
    state: str
    cancelled: bool
    shipped: bool
    currency: str
    items: Decimal
    shipping: Decimal
    fees: Decimal
    tax: Decimal
    total: Decimal
    invoiced: Decimal  # posted invoices
    invoices: int
    credited: Decimal  # credit notes booked (not cancelled), positive
    credit_notes: int
    credited_posted: Decimal
    item_lines: int
    other_lines: int
    created_at: datetime | None = None

    _DECIMALS = frozenset({"items", "shipping", "fees", "tax", "total", "invoiced", "credited",
                           "credited_posted"})
    _DATES = frozenset({"created_at"})

    @classmethod
    def of(cls, sale: ErpSale, credit_notes: Iterable[CreditNote] = ()) -> ErpDocument:
        cur = sale.total.currency
        parts = {"items": ZERO, "shipping": ZERO, "fees": ZERO}
        counts = {"items": 0, "shipping": 0, "fees": 0}
        for line in sale.lines:
            parts[line.component] += line.amount.amount
            counts[line.component] += 1
        tax = sale.tax.amount if sale.tax is not None else ZERO
        if not sale.lines:  # read without its lines: everything net is "items"
            parts["items"] = (sale.untaxed.amount if sale.untaxed is not None
                              else sale.total.amount - tax)
        live_notes = [c for c in credit_notes if c.state != "cancelled"]
        posted = [i for i in sale.live_invoices if i.posted]
        return cls(
            ref=sale.external_ref, woo_id=woo_id_of(sale.external_ref), erp_id=sale.erp_id,
            document=sale.document, state=sale.state, cancelled=sale.cancelled,
            shipped=sale.shipped, currency=cur, items=parts["items"],
            shipping=parts["shipping"], fees=parts["fees"], tax=tax, total=sale.total.amount,
            invoiced=sum((i.total.amount for i in posted), ZERO), invoices=len(posted),
            credited=-sum((c.total.amount for c in live_notes), ZERO),
            credit_notes=len(live_notes),
            credited_posted=-sum((c.total.amount for c in live_notes if c.posted), ZERO),
            item_lines=counts["items"], other_lines=counts["shipping"] + counts["fees"],
            created_at=sale.created_at)

    @property
    def live(self) -> bool:
        return not self.cancelled

    @property
    def accepted(self) -> bool:
        """Booked: confirmed (or further) and not called off."""
        return self.live and self.state in ACCEPTED_STATES

    @property
    def net(self) -> Decimal:
        return self.total - self.credited if self.live else ZERO


@dataclass(frozen=True, slots=True)
class SagaState(_Row):
    """A saga as Temporal's visibility lists it."""

    workflow_id: str
    woo_id: int
    kind: str  # "order" or "refund"
    stage: str | None
    reason: str | None
    since: datetime | None
    running: bool

    _DATES = frozenset({"since"})


@dataclass(frozen=True, slots=True)
class LedgerFacts(_Row):
    """What the ledger's events say about one order: the baseline at acceptance."""

    woo_id: int
    captured_at: datetime | None = None  # the store's date_created
    captured_total: Decimal | None = None
    paid_amount: Decimal | None = None
    accepted_at: datetime | None = None  # when the saga recorded the ERP's acceptance
    accepted_total: Decimal | None = None  # the ERP's total when it accepted
    erp_document: str | None = None
    cancelled: bool = False

    _DECIMALS = frozenset({"captured_total", "paid_amount", "accepted_total"})
    _DATES = frozenset({"captured_at", "accepted_at"})

    @classmethod
    def fold(cls, woo_id: int, events: Iterable[tuple[str, Mapping[str, Any], datetime]]
             ) -> LedgerFacts:
        """From (type, payload, recorded_at) of the order saga's events, in order."""
        values: dict[str, Any] = {}
        for kind, payload, recorded_at in events:
            if kind == "OrderCaptured":
                values["captured_at"] = datetime.fromisoformat(payload["occurred_at"])
                values["captured_total"] = Decimal(payload["total"]["amount"])
            elif kind == "PaymentAuthorized":
                values["paid_amount"] = Decimal(payload["amount"]["amount"])
            elif kind == "OrderAccepted":
                values["accepted_at"] = recorded_at
                values["accepted_total"] = Decimal(payload["erp_total"]["amount"])
                values["erp_document"] = payload.get("erp_document")
            elif kind == "OrderCancelled":
                values["cancelled"] = True
        return cls(woo_id=woo_id, **values)


@dataclass(frozen=True, slots=True)
class Recovery(_Row):
    """This run handed a store order to its saga (signal-with-start)."""

    woo_id: int
    workflow_id: str
    known: bool  # the saga existed already: nothing was recovered
    note: str

    @property
    def started_refunds(self) -> bool:
        return "started refund:" in self.note


def woo_id_of(ref: str) -> int | None:
    """The order id in `woo:{store}:{id}` (workflows/order_types.erp_reference)."""
    head, _, tail = ref.rpartition(":")
    if not head.startswith("woo:"):
        return None
    try:
        return int(tail)
    except ValueError:
        return None

"""What the ERP says about a wooerp sale: the one read model of ERP documents.

The ERP port returns these, activities hand them to the sagas unchanged, and
reconciliation compares them with the store. The rules finance relies on
("shipped", "invoiced", "called off") are defined here once.

State words are the ERP's own (Tryton's): a sale is draft, quotation,
confirmed, processing, done or cancelled; a shipment draft, waiting,
assigned, picked, packed, shipped, done or cancelled (returns: draft,
received, done, cancelled); an invoice draft, validated, posted, paid or
cancelled.

Cancelling a sale (the OrderSaga's compensation when the store cancels an
order before it ships) depends on how far the ERP got:

* draft, quoted, or confirmed but not yet processed: the sale is cancelled
  outright and ends in state `cancelled`;
* processing, with no shipment gone out and no invoice posted: the ERP's
  shipments and draft invoices are cancelled and the sale ends with nothing
  to ship and nothing invoiced. Tryton has no way from `processing` back to
  `cancelled`, so such a sale ends `done` with every document cancelled:
  `voided`. Read `cancelled`, true for both routes, to know a sale was
  called off; `state` alone says `done` for a voided sale;
* anything shipped or posted: it cannot be undone (compensate by a return);
  `cancel_blockers()` names the documents in the way.

Field names match the activity results recorded before this model existed
(`erp_id`, `total`), so the sagas' recorded histories still replay.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from canonical.entities import Entity
from canonical.money import Money

# Sale states from which the sale itself can still be cancelled (a confirmed
# sale goes back to draft first; processing ones are voided instead).
CANCELLABLE_STATES = frozenset({"draft", "quotation", "confirmed", "cancelled"})
# Outgoing shipments still in the warehouse: the ERP can cancel them and put
# the stock back. `shipped` (with the carrier) and `done` cannot be undone.
UNSHIPPED_STATES = frozenset({"draft", "waiting", "assigned", "picked", "packed", "cancelled"})
# Invoices with no accounting move yet.
UNPOSTED_STATES = frozenset({"draft", "validated", "cancelled"})
POSTED_STATES = frozenset({"posted", "paid"})


class Shipment(Entity):
    erp_id: int
    number: str | None = None
    state: str
    tracking_number: str | None = None
    carrier: str | None = None
    shipped_at: datetime | None = None


class Invoice(Entity):
    erp_id: int
    number: str | None = None
    state: str
    kind: Literal["invoice", "credit_note"] = "invoice"
    total: Money  # signed as in the ERP: negative for a credit note
    posted_at: datetime | None = None

    @property
    def posted(self) -> bool:
        return self.state in POSTED_STATES


class ErpSaleLine(Entity):
    """One priced line of a sale, as the ERP holds it (read for reconciliation)."""

    component: Literal["items", "shipping", "fees"]  # what the store line was
    sku: str | None = None
    quantity: Decimal
    amount: Money  # net of tax, after discounts, as the ERP computed it


class ErpSale(Entity):
    erp_id: int
    number: str | None = None
    external_ref: str  # the wooerp reference (unique in the ERP)
    state: str
    shipment_state: str = "none"
    invoice_state: str = "none"
    shipments: list[Shipment] = Field(default_factory=list)
    return_shipments: list[Shipment] = Field(default_factory=list)
    invoices: list[Invoice] = Field(default_factory=list)  # credit notes included
    total: Money
    untaxed: Money | None = None  # None in results recorded before they were read
    tax: Money | None = None
    # Read only when listing sales for reconciliation (empty otherwise).
    lines: list[ErpSaleLine] = Field(default_factory=list)
    created_at: datetime | None = None  # when the ERP recorded the sale, UTC

    @property
    def document(self) -> str:
        """The number finance sees, written back to the store order."""
        return self.number or str(self.erp_id)

    # shipped ----------------------------------------------------------------
    @property
    def live_shipments(self) -> list[Shipment]:
        return [s for s in self.shipments if s.state != "cancelled"]

    @property
    def shipped(self) -> bool:
        """Every shipment that is not cancelled is done (and there is one)."""
        live = self.live_shipments
        return bool(live) and all(s.state == "done" for s in live)

    @property
    def shipment(self) -> Shipment | None:
        """The shipment to report to the store, once shipped."""
        return self.live_shipments[0] if self.shipped else None

    # invoiced ---------------------------------------------------------------
    @property
    def live_invoices(self) -> list[Invoice]:
        return [i for i in self.invoices if i.kind == "invoice" and i.state != "cancelled"]

    @property
    def invoiced(self) -> bool:
        """Every invoice that is not cancelled is posted (and there is one)."""
        live = self.live_invoices
        return bool(live) and all(i.posted for i in live)

    @property
    def invoice(self) -> Invoice | None:
        """The invoice to record as posted, once invoiced."""
        return self.live_invoices[0] if self.invoiced else None

    # called off ---------------------------------------------------------------
    @property
    def voided(self) -> bool:
        """A processing sale undone in the ERP: every document cancelled, so
        Tryton closed it as `done` with nothing shipped and nothing invoiced.
        A really fulfilled sale is `done` only once its invoice is paid."""
        documents = [*self.shipments, *self.return_shipments, *self.invoices]
        return (self.state == "done" and self.shipment_state == "none"
                and self.invoice_state == "none" and bool(documents)
                and all(d.state == "cancelled" for d in documents))

    @property
    def cancelled(self) -> bool:
        """Called off in the ERP: cancelled outright, or voided after processing."""
        return self.state == "cancelled" or self.voided

    def cancel_blockers(self) -> list[str]:
        """Why the sale can no longer be called off (empty when it can)."""
        if self.cancelled or self.state in CANCELLABLE_STATES:
            return []
        blockers = [f"shipment {s.number or s.erp_id} is {s.state}" for s in self.shipments
                    if s.state not in UNSHIPPED_STATES]
        blockers += [f"return shipment {s.number or s.erp_id} is {s.state}"
                     for s in self.return_shipments if s.state != "cancelled"]
        blockers += [f"invoice {i.number or i.erp_id} is {i.state}" for i in self.invoices
                     if i.state not in UNPOSTED_STATES]
        if self.state == "done" and not blockers:  # e.g. a service-only sale paid
            blockers.append("the sale is done")
        return blockers

    @property
    def cancellable(self) -> bool:
        return not self.cancel_blockers()


class CreditNote(Entity):
    """A refund booked in the ERP: a return sale, its credit note and any return shipment."""

    refund_ref: str  # the wooerp reference of the refund (unique in the ERP)
    number: str  # what finance sees: the credit note's number, else the return sale's
    state: str  # the credit note's state, else the return sale's
    total: Money  # negative, as booked
    erp_id: int = 0  # the return sale; 0 in results recorded before it was kept
    sale_external_ref: str = ""
    invoice: Invoice | None = None
    return_shipments: list[Shipment] = Field(default_factory=list)
    restocked: bool = False  # the goods are back in stock

    @property
    def posted(self) -> bool:
        return self.invoice is not None and self.invoice.posted

"""The ERP port: what the sagas need from an ERP, in canonical terms.

Adapters (systems/erp/tryton/) implement `ErpPort`; activities depend only on
this module and on systems/erp/errors.py. Every write is idempotent by an
external reference the caller derives from its business key, so a retried
activity reads the document it already made instead of making a second one.

Cancelling a sale (the OrderSaga's compensation when WooCommerce cancels an
order before it ships) depends on how far the ERP got:

* draft, quoted, or confirmed but not yet processed: the sale is cancelled
  outright and ends in state `cancelled`;
* processing, with no shipment gone out (Tryton: not `shipped`/`done`) and no
  invoice posted: the ERP's shipments and draft invoices are cancelled and
  the sale ends with nothing to ship and nothing invoiced. Tryton has no way
  from `processing` back to `cancelled`, so such a sale ends in state `done`
  with shipment and invoice state `none` (every cancelled document ignored):
  `ErpSale.voided`. Read `ErpSale.cancelled`, true for both routes, to know a
  sale was called off; `state` alone says `done` for a voided sale;
* anything shipped or posted: `ErpCannotCancel` (compensate with a return);
  `ErpSale.cancel_blockers()` names the documents in the way.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Literal, Protocol, Sequence, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from canonical.entities import Address, Customer, Order, RefundLine
from canonical.money import Money

# The port keeps the ERP's own state words (Tryton's).
# Sale states from which the sale itself can still be cancelled (a confirmed
# sale goes back to draft first; processing ones are voided instead).
CANCELLABLE_STATES = frozenset({"draft", "quotation", "confirmed", "cancelled"})
# Outgoing shipments still in the warehouse: Tryton can cancel them and put the
# stock back. `shipped` (with the carrier) and `done` cannot be undone by us.
UNSHIPPED_STATES = frozenset({"draft", "waiting", "assigned", "picked", "packed", "cancelled"})
# Invoices with no accounting move yet.
UNPOSTED_STATES = frozenset({"draft", "validated", "cancelled"})


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErpProduct(_Model):
    id: int
    sku: str
    name: str
    kind: Literal["goods", "assets", "service"]
    list_price: Money | None = None


class ErpShipment(_Model):
    id: int
    number: str | None = None
    state: str  # draft, waiting, assigned, picked, packed, shipped, done, cancelled
    #             (returns: draft, received, done, cancelled)


class ErpInvoice(_Model):
    id: int
    number: str | None = None
    state: str  # draft, validated, posted, paid, cancelled
    kind: Literal["invoice", "credit_note"]
    total: Money  # signed as in the ERP: negative for a credit note


class ErpSale(_Model):
    id: int
    number: str | None = None
    external_ref: str
    state: str  # draft, quotation, confirmed, processing, done, cancelled
    shipment_state: str = "none"
    invoice_state: str = "none"
    shipments: list[ErpShipment] = Field(default_factory=list)
    return_shipments: list[ErpShipment] = Field(default_factory=list)
    invoices: list[ErpInvoice] = Field(default_factory=list)
    untaxed_amount: Money
    tax_amount: Money
    total_amount: Money

    @property
    def voided(self) -> bool:
        """A processing sale undone in the ERP: every shipment and invoice
        cancelled and ignored, so Tryton closed it as `done` with nothing
        shipped (shipment_state `none`) and nothing invoiced (invoice_state
        `none`). A really fulfilled sale is `done` only once its invoice is paid."""
        documents = [*self.shipments, *self.return_shipments, *self.invoices]
        return (self.state == "done" and self.shipment_state == "none"
                and self.invoice_state == "none" and bool(documents)
                and all(d.state == "cancelled" for d in documents))

    @property
    def cancelled(self) -> bool:
        """Called off in the ERP: cancelled outright, or voided after processing."""
        return self.state == "cancelled" or self.voided

    def cancel_blockers(self) -> list[str]:
        """Why `cancel_sale` can no longer undo this sale (empty when it can)."""
        if self.cancelled or self.state in CANCELLABLE_STATES:
            return []
        blockers = [f"shipment {s.number or s.id} is {s.state}" for s in self.shipments
                    if s.state not in UNSHIPPED_STATES]
        blockers += [f"return shipment {s.number or s.id} is {s.state}"
                     for s in self.return_shipments if s.state != "cancelled"]
        blockers += [f"invoice {i.number or i.id} is {i.state}" for i in self.invoices
                     if i.state not in UNPOSTED_STATES]
        if self.state == "done" and not blockers:  # e.g. a service-only sale paid
            blockers.append("the sale is done")
        return blockers

    @property
    def cancellable(self) -> bool:
        return not self.cancel_blockers()

    @property
    def shipped(self) -> bool:
        live = [s for s in self.shipments if s.state != "cancelled"]
        return bool(live) and all(s.state == "done" for s in live)

    @property
    def invoiced(self) -> bool:
        live = [i for i in self.invoices if i.state != "cancelled"]
        return bool(live) and all(i.state in ("posted", "paid") for i in live)


class ErpCreditNote(_Model):
    """A refund booked in the ERP: a return sale, its credit note and any return shipment."""

    id: int  # the return sale
    number: str | None = None
    refund_ref: str
    sale_external_ref: str
    state: str
    invoice: ErpInvoice | None = None
    return_shipments: list[ErpShipment] = Field(default_factory=list)
    restocked: bool  # the goods are back in stock
    total: Money  # negative, as booked

    @property
    def posted(self) -> bool:
        return self.invoice is not None and self.invoice.state in ("posted", "paid")


@runtime_checkable
class ErpPort(Protocol):
    async def ensure_party(
        self, customer: Customer, billing_address: Address,
        shipping_address: Address | None = None,
    ) -> int:
        """The ERP party id for this customer, created once (keyed by e-mail)."""

    async def product_by_sku(self, sku: str) -> ErpProduct | None: ...

    async def create_sale(self, order: Order, external_ref: str) -> ErpSale:
        """A quoted sale for the order; returns the existing one on a repeat.

        Raises ErpUnknownSku for an unmapped SKU, ErpRejectedError otherwise.
        """

    async def confirm_sale(self, external_ref: str) -> ErpSale:
        """Confirm (the ERP then creates shipments and the draft invoice); idempotent."""

    async def cancel_sale(self, external_ref: str) -> ErpSale:
        """Call the sale off (see the module docstring); returns it with `cancelled` true.

        Cancels a draft, quoted or unprocessed confirmed sale; voids a
        processing one whose goods are still in the warehouse and whose
        invoices are unposted. Idempotent: a cancelled or voided sale is
        returned as it is. Raises ErpCannotCancel once anything shipped or an
        invoice is posted (nothing is changed then), ErpNotFound for an
        unknown reference.
        """

    async def get_sale(self, external_ref: str) -> ErpSale | None: ...

    async def create_credit_note(
        self, sale_external_ref: str, refund_ref: str, lines: Sequence[RefundLine],
        restock: bool, amount: Money | None = None,
    ) -> ErpCreditNote:
        """Book a refund: a posted credit note, and the goods back in stock if `restock`.

        `lines` carry net amounts and tax per refunded order line. With no
        lines, `amount` (tax included) is booked as one untaxed adjustment.
        Idempotent by `refund_ref`.
        """

    async def stock_levels(self, skus: Iterable[str]) -> dict[str, Decimal]:
        """Quantity on hand per SKU in the warehouse; unknown SKUs are left out."""

    async def aclose(self) -> None: ...

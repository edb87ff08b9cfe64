"""The ERP port: what the sagas need from an ERP, in canonical terms.

Adapters (systems/erp/tryton/) implement `ErpPort`; activities depend only on
this module and on systems/erp/errors.py. Every write is idempotent by an
external reference the caller derives from its business key, so a retried
activity reads the document it already made instead of making a second one.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Literal, Protocol, Sequence, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from canonical.entities import Address, Customer, Order, RefundLine
from canonical.money import Money

# Tryton's sale states; the port keeps the ERP's own words.
CANCELLABLE_STATES = frozenset({"draft", "quotation", "cancelled"})


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
    state: str  # draft, waiting, assigned, picked, packed, done, cancelled (returns: received)


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
    def cancellable(self) -> bool:
        return self.state in CANCELLABLE_STATES

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
        """Cancel a draft or quoted sale; ErpCannotCancel once confirmed."""

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

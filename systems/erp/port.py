"""The ERP port: what the sagas need from an ERP, in canonical terms.

Adapters (systems/erp/tryton/) implement `ErpPort`; activities depend only on
this module and on systems/erp/errors.py. Every write is idempotent by an
external reference the caller derives from its business key, so a retried
activity reads the document it already made instead of making a second one.

The documents themselves (sales, shipments, invoices, credit notes) and the
rules read from them are the canonical read model in `canonical/erp.py`.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Iterable, Literal, Protocol, Sequence, runtime_checkable

from pydantic import BaseModel, ConfigDict

from canonical.entities import Address, Customer, Order, RefundLine
from canonical.erp import CreditNote, ErpSale
from canonical.money import Money


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErpProduct(_Model):
    id: int
    sku: str
    name: str
    kind: Literal["goods", "assets", "service"]
    list_price: Money | None = None


class ProductIds(Protocol):
    """Where an adapter keeps SKU -> ERP product id beyond its own process
    (the worker gives it the ledger's id map), so that every worker and every
    restart finds a product by id instead of searching it by code, and so a
    person can invalidate a SKU (`wooerp erp forget-products`). The adapter
    checks what it reads and drops what has gone stale."""

    def ids_for(self, skus: Iterable[str]) -> dict[str, int]: ...

    def remember(self, sku: str, product_id: int) -> None: ...

    def forget(self, skus: Iterable[str] | None = None) -> int: ...


class SaleToLink(_Model):
    """A store order whose ERP sale another connector may have made."""

    number: str
    external_ref: str
    total: Money


class ErpSalesPage(_Model):
    """A page of wooerp sales, each with its lines, and the credit notes booked
    against them (for reconciliation: read-only)."""

    sales: list[ErpSale]
    credit_notes: list[CreditNote]
    next_offset: int | None  # None: this was the last page


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

    async def accept_sale(self, order: Order, external_ref: str,
                          party_id: int | None = None) -> ErpSale:
        """Create (idempotent by external ref), quote and confirm the sale in
        one step; `party_id` is the party validation already resolved. A
        repeat returns the sale the first call made, confirmed."""

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

    async def link_sales(self, wanted: Sequence[SaleToLink]) -> list[str]:
        """Sales another connector made for these store orders (no wooerp
        reference; the order number as their reference; the order's currency
        and total) get the order's wooerp reference; returns the references
        linked. A number two such sales share is not linked."""

    async def list_sales(
        self, *, prefix: str | None = None, refs: Sequence[str] | None = None,
        created_from: datetime | None = None, created_to: datetime | None = None,
        offset: int = 0, limit: int = 500,
    ) -> ErpSalesPage:
        """Sales whose external reference starts with `prefix` (created in
        [created_from, created_to) if given), or whose reference is one of
        `refs`; oldest first, with lines, documents and credit notes, read in
        a few batched calls per page. Read-only."""

    async def create_credit_note(
        self, sale_external_ref: str, refund_ref: str, lines: Sequence[RefundLine],
        restock: bool, amount: Money | None = None,
    ) -> CreditNote:
        """Book a refund: a posted credit note, and the goods back in stock if `restock`.

        `lines` carry net amounts and tax per refunded order line. With no
        lines, `amount` (tax included) is booked as one untaxed adjustment.
        Idempotent by `refund_ref`.
        """

    async def stock_levels(self, skus: Iterable[str]) -> dict[str, Decimal]:
        """Quantity on hand per SKU in the warehouse; unknown SKUs are left out."""

    async def available_stock(self, skus: Iterable[str] | None) -> dict[str, Decimal]:
        """What the warehouse can still promise per SKU: on hand minus what
        confirmed sales reserved; `None`: every stocked product. Unknown SKUs
        and services are left out."""

    async def aclose(self) -> None: ...

"""TrytonErp: the ErpPort over Tryton JSON-RPC.

Writes are create-first: the database's unique `wooerp_ref` (our wooerp_link
module) lets exactly one of several racing creators win; the others get a
UserError, search by the reference and carry on with the winner's document.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Sequence

from canonical.entities import Address, Customer, Order, RefundLine
from canonical.erp import CreditNote, ErpSale
from canonical.money import Money
from systems.erp.errors import ErpNotFound, ErpRejectedError, ErpUnknownSku
from systems.erp.port import ErpProduct, ErpSalesPage, ProductIds, SaleToLink
from systems.erp.tryton import accept
from systems.erp.tryton.cancellation import SaleCancellation
from systems.erp.tryton.documents import Documents
from systems.erp.tryton.listing import SaleListing
from systems.erp.tryton.parties import Parties
from systems.erp.tryton.linking import link_by_number
from systems.erp.tryton.products import Products
from systems.erp.tryton.refunds import Refunds
from systems.erp.tryton.rpc import DEFAULT_TIMEOUT_S, ErpMethodRefused, TrytonRpc

SHIPPING_SKU, FEE_SKU = "SHIPPING", "FEE"
PRICE_DIGITS = Decimal("0.0001")  # sale.line unit_price digits


class TrytonErp:
    def __init__(self, rpc: TrytonRpc, *, warehouse: int | None = None,
                 one_call: bool = True, product_ids: ProductIds | None = None):
        self.rpc = rpc
        self._product_ids = product_ids
        self._one_call = one_call  # try wooerp_link's one-call acceptance first
        self.parties = Parties(rpc)
        self.documents = Documents(rpc)
        self.listing = SaleListing(rpc, self.documents)
        self._warehouse = warehouse
        self._products: Products | None = None

    @classmethod
    def connect(cls, url: str, database: str, user: str, password: str, *,
                timeout: float = DEFAULT_TIMEOUT_S, warehouse: int | None = None,
                one_call: bool = True, product_ids: ProductIds | None = None) -> TrytonErp:
        """Build an adapter; it logs in lazily on its first call."""
        return cls(TrytonRpc(url, database, user, password, timeout=timeout),
                   warehouse=warehouse, one_call=one_call, product_ids=product_ids)

    @classmethod
    def from_password_file(cls, url: str, database: str, user: str, password_file: str | Path,
                           **kwargs) -> TrytonErp:
        return cls.connect(url, database, user, Path(password_file).read_text().strip(), **kwargs)

    async def aclose(self) -> None:
        await self.rpc.aclose()

    # parties and products ---------------------------------------------------------
    async def ensure_party(self, customer: Customer, billing_address: Address,
                           shipping_address: Address | None = None) -> int:
        return await self.parties.ensure(customer, billing_address, shipping_address)

    async def product_by_sku(self, sku: str) -> ErpProduct | None:
        info = await (await self.products()).by_sku(sku)
        return info.product if info else None

    async def stock_levels(self, skus: Iterable[str], forecast: bool = False) -> dict[str, Decimal]:
        return await (await self.products()).stock(skus, forecast=forecast)

    async def available_stock(self, skus: Iterable[str] | None) -> dict[str, Decimal]:
        return await (await self.products()).available(skus)

    async def products(self) -> Products:
        if self._products is None:
            await self.rpc.ensure_login()
            company, = await self.rpc.read("company.company", [self.rpc.context["company"]],
                                          ["currency"])
            currency = await self.documents.currency_code(company["currency"])
            self._products = Products(self.rpc, currency, self._warehouse, self._product_ids)
        return self._products

    # sales ---------------------------------------------------------------------------
    async def get_sale(self, external_ref: str) -> ErpSale | None:
        sale_id = await self.documents.find_sale(external_ref)
        return await self.documents.read_sale(sale_id) if sale_id else None

    async def link_sales(self, wanted: Sequence[SaleToLink]) -> list[str]:
        return await link_by_number(self.rpc, self.documents, wanted)

    async def list_sales(self, *, prefix: str | None = None, refs: Sequence[str] | None = None,
                         created_from: datetime | None = None,
                         created_to: datetime | None = None, offset: int = 0,
                         limit: int = 500) -> ErpSalesPage:
        return await self.listing.page(prefix=prefix, refs=refs, created_from=created_from,
                                       created_to=created_to, offset=offset, limit=limit)

    async def create_sale(self, order: Order, external_ref: str,
                          party_id: int | None = None) -> ErpSale:
        sale_id = await self.documents.find_sale(external_ref)
        if sale_id is None:
            sale_id = await self._create_sale(order, external_ref, party_id)
        await self.documents.advance("sale.sale", sale_id, "quote", {"draft"})
        return await self.documents.read_sale(sale_id)

    async def accept_sale(self, order: Order, external_ref: str,
                          party_id: int | None = None) -> ErpSale:
        """One ERP transaction where the wooerp_link module offers it
        (accept.py); else as few calls as the ERP allows."""
        if self._one_call:
            try:
                result = await self.rpc.execute("sale.sale", accept.METHOD, external_ref,
                                                accept.accept_payload(order))
            except ErpMethodRefused:
                self._one_call = False  # a Tryton without the module: for good
            except ErpRejectedError as exc:
                mapped = accept.classified(exc)
                if mapped is exc:
                    raise  # not `raise exc from exc`: an error its own cause recurses
                raise mapped from exc
            else:
                return accept.sale_from_result(result)
        return await self._accept_in_calls(order, external_ref, party_id)

    async def _accept_in_calls(self, order: Order, external_ref: str,
                               party_id: int | None) -> ErpSale:
        """A sale this call created is known to be a draft, so it is quoted
        and confirmed without reading its state first, and read once at the end."""
        sale_id = await self.documents.find_sale(external_ref)
        if sale_id is not None:  # a retry, or a racer's sale: take it from where it is
            return await self.confirm_sale(external_ref)
        sale_id, created = await self._create_or_find(order, external_ref, party_id)
        if not created:
            return await self.confirm_sale(external_ref)
        await self.rpc.button("sale.sale", "quote", [sale_id])
        await self.rpc.button("sale.sale", "confirm", [sale_id])
        return await self.documents.read_sale(sale_id)

    async def confirm_sale(self, external_ref: str) -> ErpSale:
        sale_id = await self._require(external_ref)
        state = await self.documents.sale_state(sale_id)
        # A voided sale is `done` in Tryton, but it was called off all the same.
        if state == "cancelled" or (
                state == "done" and (await self.documents.read_sale(sale_id)).voided):
            raise ErpRejectedError(f"Sale {external_ref!r} is cancelled and cannot be confirmed")
        await self.documents.advance("sale.sale", sale_id, "quote", {"draft"})
        await self.documents.advance("sale.sale", sale_id, "confirm", {"quotation"})
        return await self.documents.read_sale(sale_id)

    async def cancel_sale(self, external_ref: str) -> ErpSale:
        sale_id = await self._require(external_ref)
        return await SaleCancellation(self.rpc, self.documents).cancel(sale_id, external_ref)

    async def create_credit_note(self, sale_external_ref: str, refund_ref: str,
                                 lines: Sequence[RefundLine], restock: bool,
                                 amount: Money | None = None) -> CreditNote:
        refunds = Refunds(self.rpc, self.documents, await self.products())
        return await refunds.create(sale_external_ref, refund_ref, lines, restock, amount)

    async def _require(self, external_ref: str) -> int:
        sale_id = await self.documents.find_sale(external_ref)
        if sale_id is None:
            raise ErpNotFound(f"No ERP sale has the reference {external_ref!r}")
        return sale_id

    async def _create_sale(self, order: Order, external_ref: str,
                           party_id: int | None = None) -> int:
        sale_id, _ = await self._create_or_find(order, external_ref, party_id)
        return sale_id

    async def _create_or_find(self, order: Order, external_ref: str,
                              party_id: int | None) -> tuple[int, bool]:
        """(sale id, whether this call created it). `party_id`, when the caller
        has already resolved the customer (validation does), saves doing it twice."""
        party = party_id or await self.ensure_party(order.customer, order.billing,
                                                     order.shipping)
        values = {
            "party": party,
            "invoice_address": await self.parties.address(party, order.billing),
            "shipment_address": await self.parties.address(party, order.shipping or order.billing),
            "currency": await self.documents.currency_id(order.currency),
            "wooerp_ref": external_ref,
            "reference": order.number,
            "description": f"WooCommerce order {order.number} ({order.store})",
            "invoice_method": "order",
            "shipment_method": "order",
            "lines": [["create", await self._sale_lines(order)]],
        }
        try:
            sale_id, = await self.rpc.create("sale.sale", [values])
            return sale_id, True
        except ErpRejectedError:
            # A concurrent caller won the unique wooerp_ref: use its sale.
            existing = await self.documents.find_sale(external_ref)
            if existing is None:
                raise
            return existing, False

    async def _sale_lines(self, order: Order) -> list[dict]:
        """One sale line per order, shipping and fee line; every value explicit
        because on_change (units, prices, taxes) does not run over RPC."""
        products = await self.products()
        skus = [line.sku for line in order.lines]
        if order.shipping_lines:
            skus.append(SHIPPING_SKU)
        if order.fee_lines:
            skus.append(FEE_SKU)
        infos = await products.by_skus(s for s in skus if s)
        for sku in skus:
            if sku not in infos:
                raise ErpUnknownSku(sku)
        lines = [_line(infos[l.sku], l.quantity, l.total, l.total_tax, l.name)
                 for l in order.lines]
        lines += [_line(infos[SHIPPING_SKU], 1, s.total, s.total_tax, s.method_title or "Shipping")
                  for s in order.shipping_lines]
        lines += [_line(infos[FEE_SKU], 1, f.total, f.total_tax, f.name)
                  for f in order.fee_lines]
        return lines


def _line(info, quantity: int, net_total: Money, tax: Money, description: str) -> dict:
    # The ERP line carries the price after discounts, excluding tax; the ERP
    # recomputes the tax from its own tax table when the store charged any.
    line = {
        "type": "line",
        "product": info.product.id,
        "description": description,
        "quantity": float(quantity),
        "unit": info.unit,
        "unit_price": (net_total.amount / quantity).quantize(PRICE_DIGITS),
    }
    if not tax.is_zero() and info.taxes:
        line["taxes"] = [["add", list(info.taxes)]]
    return line

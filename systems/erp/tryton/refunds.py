"""Refunds as Tryton return sales.

The Tryton-native way to book a refund is a return sale (RECIPE.md 4.2): a
sale with negative quantities and `origin` pointing at the original sale.
Confirming it makes the credit note (invoice_method "order") and, for goods,
a customer return shipment. Restocked refunds keep shipment_method "order"
and the return shipment is received and done here, so the goods are back in
stock when the call returns; refunds without a restock use shipment_method
"manual", so no goods move. Amount-only refunds are one product-less line,
booked on the default revenue account.

The return sale's `wooerp_ref` is the refund reference: unique, so a
retried or raced call finishes the same document instead of making another.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from canonical.entities import RefundLine
from canonical.money import Money
from systems.erp.errors import ErpNotFound, ErpRejectedError, ErpUnknownSku
from canonical.erp import CreditNote
from systems.erp.tryton.documents import Documents
from systems.erp.tryton.products import Products
from systems.erp.tryton.rpc import TrytonRpc

PRICE_DIGITS = Decimal("0.0001")  # sale.line unit_price digits
_ORIGINAL_FIELDS = ["party", "invoice_address", "shipment_address", "currency", "lines",
                    "wooerp_ref"]


class Refunds:
    def __init__(self, rpc: TrytonRpc, documents: Documents, products: Products):
        self.rpc, self.documents, self.products = rpc, documents, products

    async def create(self, sale_ref: str, refund_ref: str, lines: Sequence[RefundLine],
                     restock: bool, amount: Money | None) -> CreditNote:
        return_id = await self.documents.find_sale(refund_ref)
        if return_id is None:
            return_id = await self._create(sale_ref, refund_ref, lines, restock, amount)
        await self.documents.advance("sale.sale", return_id, "quote", {"draft"})
        await self.documents.advance("sale.sale", return_id, "confirm", {"quotation"})
        sale = await self.documents.read_sale(return_id)
        for invoice in sale.invoices:
            await self.documents.advance("account.invoice", invoice.erp_id, "post",
                                         {"draft", "validated"})
        for shipment in sale.return_shipments:  # only restocked refunds have one
            await self.documents.advance("stock.shipment.out.return", shipment.erp_id, "receive",
                                         {"draft"})
            await self.documents.advance("stock.shipment.out.return", shipment.erp_id, "do",
                                         {"received"})
        sale = await self.documents.read_sale(return_id)
        invoice = sale.invoices[0] if sale.invoices else None
        return CreditNote(
            erp_id=sale.erp_id, refund_ref=refund_ref, sale_external_ref=sale_ref,
            number=invoice.number if invoice and invoice.number else sale.document,
            state=invoice.state if invoice else sale.state, invoice=invoice,
            return_shipments=sale.return_shipments,
            restocked=bool(sale.return_shipments)
            and all(s.state == "done" for s in sale.return_shipments),
            total=sale.total)

    async def _create(self, sale_ref: str, refund_ref: str, lines: Sequence[RefundLine],
                      restock: bool, amount: Money | None) -> int:
        original_id = await self.documents.find_sale(sale_ref)
        if original_id is None:
            raise ErpNotFound(f"No ERP sale has the reference {sale_ref!r}")
        original, = await self.rpc.read("sale.sale", [original_id], _ORIGINAL_FIELDS)
        values = {
            "party": original["party"],
            "invoice_address": original["invoice_address"],
            "shipment_address": original["shipment_address"],
            "currency": original["currency"],
            "origin": f"sale.sale,{original_id}",
            "wooerp_ref": refund_ref,
            "reference": refund_ref,
            "description": f"Refund {refund_ref} of {sale_ref}",
            "invoice_method": "order",
            "shipment_method": "order" if restock else "manual",
            "lines": [["create", await self._lines(original["lines"], lines, amount)]],
        }
        try:
            return_id, = await self.rpc.create("sale.sale", [values])
            return return_id
        except ErpRejectedError:
            existing = await self.documents.find_sale(refund_ref)
            if existing is None:
                raise
            return existing

    async def _lines(self, original_lines: list[int], lines: Sequence[RefundLine],
                     amount: Money | None) -> list[dict]:
        if not lines:
            if amount is None or amount.is_zero():
                raise ErpRejectedError("A refund needs lines or a non-zero amount")
            return [_adjustment("Refund", abs(amount.amount), ())]
        taxes_by_product = await self._original_taxes(original_lines)
        infos = await self.products.by_skus(l.sku for l in lines if l.sku)
        result = []
        for line in lines:
            info = infos.get(line.sku) if line.sku else None
            if info is None:
                raise ErpUnknownSku(line.sku)
            taxed = not line.tax.is_zero()
            taxes = taxes_by_product.get(info.product.id, info.taxes) if taxed else ()
            net = abs(line.amount.amount)
            if line.quantity == 0:  # money back on a line without goods coming back
                result.append(_adjustment(f"Refund on {line.sku}", net, taxes))
                continue
            values = {
                "type": "line", "product": info.product.id, "unit": info.unit,
                "description": f"Return of {line.sku}",
                "quantity": -float(line.quantity),
                "unit_price": (net / line.quantity).quantize(PRICE_DIGITS),
            }
            if taxes:
                values["taxes"] = [["add", list(taxes)]]
            result.append(values)
        return result

    async def _original_taxes(self, line_ids: list[int]) -> dict[int, tuple[int, ...]]:
        """Refund with the taxes the sale was booked with, not today's product taxes."""
        if not line_ids:
            return {}
        rows = await self.rpc.read("sale.line", line_ids, ["product", "taxes"])
        return {r["product"]: tuple(r["taxes"]) for r in rows if r["product"]}


def _adjustment(description: str, net, taxes) -> dict:
    values = {"type": "line", "description": description, "quantity": -1.0,
              "unit_price": net.quantize(PRICE_DIGITS)}
    if taxes:
        values["taxes"] = [["add", list(taxes)]]
    return values


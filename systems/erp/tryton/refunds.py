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

The credit note carries the tax the store actually refunded, which is the
merchant's choice, not always the sale's: a line refunded with its full tax
keeps the sale's taxes; a line refunded without tax (WooCommerce lets the
merchant do that) has none; a line refunded with part of its tax has none
either, and the refunded amount is booked as a manual tax line of the sale's
tax on the credit note. Tryton then warns that the credit note "does not have
the default taxes" (the `invoice_taxes` UserWarning): the taxes are chosen on
purpose, so the adapter acknowledges that one warning (res.user.warning) and
posts. Any other warning still stops the post as ErpWarning.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from canonical.entities import RefundLine
from canonical.money import Money
from systems.erp.errors import ErpNotFound, ErpRejectedError, ErpUnknownSku, ErpWarning
from canonical.erp import CreditNote
from systems.erp.tryton.documents import Documents
from systems.erp.tryton.products import ProductInfo, Products
from systems.erp.tryton.rpc import TrytonRpc

PRICE_DIGITS = Decimal("0.0001")  # sale.line unit_price digits
CENT = Decimal("0.01")
_ORIGINAL_FIELDS = ["party", "invoice_address", "shipment_address", "currency", "lines",
                    "wooerp_ref"]
# account_invoice's "does not have the default taxes" warning (Warning.format
# names it "<hash>.invoice_taxes"): the one the adapter answers for the store.
TAXES_WARNING = ".invoice_taxes"


@dataclass(frozen=True)
class ManualTax:
    """Part of a line's tax refunded: booked as it was, not as the rate says."""

    tax: int
    base: Decimal  # the refunded net, positive
    amount: Decimal  # the refunded tax, positive


@dataclass(frozen=True)
class LinePlan:
    """How one refund line is booked: the product (None: a money-only line),
    the taxes on its sale line, and any manual tax for the credit note."""

    line: RefundLine
    info: ProductInfo | None
    taxes: tuple[int, ...]
    manual: ManualTax | None = None


class Refunds:
    def __init__(self, rpc: TrytonRpc, documents: Documents, products: Products):
        self.rpc, self.documents, self.products = rpc, documents, products

    async def create(self, sale_ref: str, refund_ref: str, lines: Sequence[RefundLine],
                     restock: bool, amount: Money | None) -> CreditNote:
        original_id = await self.documents.find_sale(sale_ref)
        if original_id is None:
            raise ErpNotFound(f"No ERP sale has the reference {sale_ref!r}")
        plans = await self._plans(original_id, lines)
        return_id = await self.documents.find_sale(refund_ref)
        if return_id is None:
            return_id = await self._create(original_id, sale_ref, refund_ref, plans, restock,
                                           amount)
        await self.documents.advance("sale.sale", return_id, "quote", {"draft"})
        await self.documents.advance("sale.sale", return_id, "confirm", {"quotation"})
        sale = await self.documents.read_sale(return_id)
        for invoice in sale.invoices:
            await self._add_manual_taxes(invoice.erp_id, plans)
            await self._post(invoice.erp_id)
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
            # the credit note's total: manual taxes are on it, not on the return sale
            total=invoice.total if invoice else sale.total)

    async def _post(self, invoice_id: int) -> None:
        """Post, answering Tryton's "not the default taxes" warning: wooerp chose
        the credit note's taxes to be what the store refunded."""
        try:
            await self.documents.advance("account.invoice", invoice_id, "post",
                                         {"draft", "validated"})
        except ErpWarning as warning:
            if not warning.name.endswith(TAXES_WARNING):
                raise
            await self.rpc.acknowledge_warning(warning.name)
            await self.documents.advance("account.invoice", invoice_id, "post",
                                         {"draft", "validated"})

    async def _add_manual_taxes(self, invoice_id: int, plans: Sequence[LinePlan]) -> None:
        """The refunded part of a tax, as a manual tax line on the draft credit
        note (once: a retry finds the ones it made)."""
        manual = [p.manual for p in plans if p.manual is not None]
        if not manual:
            return
        row, = await self.rpc.read("account.invoice", [invoice_id], ["state", "taxes"])
        if row["state"] not in ("draft", "validated"):
            return
        if row["taxes"]:
            existing = await self.rpc.read("account.invoice.tax", row["taxes"], ["manual"])
            if any(t["manual"] for t in existing):
                return
        taxes = await self.rpc.read("account.tax", sorted({m.tax for m in manual}),
                                    ["name", "credit_note_account"])
        by_id = {t["id"]: t for t in taxes}
        await self.rpc.create("account.invoice.tax", [{
            "invoice": invoice_id, "manual": True, "tax": m.tax,
            "account": by_id[m.tax]["credit_note_account"],
            "description": f"{by_id[m.tax]['name']} (as refunded)",
            "base": -m.base, "amount": -m.amount} for m in manual])

    async def _plans(self, original_id: int, lines: Sequence[RefundLine]) -> list[LinePlan]:
        if not lines:
            return []
        original, = await self.rpc.read("sale.sale", [original_id], ["lines"])
        taxes_by_product = await self._original_taxes(original["lines"])
        infos = await self.products.by_skus(l.sku for l in lines if l.sku)
        plans = []
        for line in lines:
            info = infos.get(line.sku) if line.sku else None
            if info is None:
                raise ErpUnknownSku(line.sku)
            plans.append(await self._plan(line, info,
                                          taxes_by_product.get(info.product.id, info.taxes)))
        return plans

    async def _plan(self, line: RefundLine, info: ProductInfo,
                    taxes: tuple[int, ...]) -> LinePlan:
        """The sale's taxes if the store refunded what they come to; none if it
        refunded no tax; else none on the line and the refunded tax as is."""
        refunded = abs(line.tax.amount)
        if refunded == 0 or not taxes:
            return LinePlan(line, info, ())
        net = abs(line.amount.amount)
        if abs(await self._tax_of(taxes, net) - refunded) <= CENT:
            return LinePlan(line, info, taxes)
        return LinePlan(line, info, (), ManualTax(taxes[0], net, refunded))

    async def _tax_of(self, taxes: tuple[int, ...], net: Decimal) -> Decimal:
        """What the ERP's percentage taxes come to on `net` (fixed taxes count
        their amount once): enough to tell a full tax from a partial one."""
        rows = await self.rpc.read("account.tax", list(taxes), ["type", "rate", "amount"])
        total = Decimal(0)
        for row in rows:
            if row["type"] == "percentage":
                total += net * Decimal(str(row["rate"] or 0))
            elif row["type"] == "fixed":
                total += Decimal(str(row["amount"] or 0))
        return total.quantize(CENT)

    async def _create(self, original_id: int, sale_ref: str, refund_ref: str,
                      plans: Sequence[LinePlan], restock: bool, amount: Money | None) -> int:
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
            "lines": [["create", self._lines(plans, amount)]],
        }
        try:
            return_id, = await self.rpc.create("sale.sale", [values])
            return return_id
        except ErpRejectedError:
            existing = await self.documents.find_sale(refund_ref)
            if existing is None:
                raise
            return existing

    @staticmethod
    def _lines(plans: Sequence[LinePlan], amount: Money | None) -> list[dict]:
        if not plans:
            if amount is None or amount.is_zero():
                raise ErpRejectedError("A refund needs lines or a non-zero amount")
            return [_adjustment("Refund", abs(amount.amount), ())]
        result = []
        for plan in plans:
            line, info, taxes = plan.line, plan.info, plan.taxes
            assert info is not None
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


"""ERP activities: thin, idempotent calls through the ErpPort."""
from __future__ import annotations

from collections import Counter

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import (AcceptOrderInput, Act, CreditNoteInput, CreditNoteView,
                                  ErpSaleView, ErrorType, InvoiceView, ShipmentView,
                                  ValidateOrderInput, ValidationReport)
from activities.errors import classified
from canonical.entities import Order
from canonical.money import Money, total
from systems.erp.port import ErpPort, ErpSale


def sale_view(sale: ErpSale) -> ErpSaleView:
    return ErpSaleView(
        external_ref=sale.external_ref, erp_id=sale.id, number=sale.number or str(sale.id),
        # A processing sale undone in Tryton ends `done` with nothing shipped
        # or invoiced; the saga must read it as cancelled, not as finished.
        state="cancelled" if sale.cancelled else sale.state, total=sale.total_amount,
        shipments=[ShipmentView(erp_id=s.id, state=s.state) for s in sale.shipments
                   if s.state != "cancelled"],
        invoices=[InvoiceView(erp_id=i.id, number=i.number, state=i.state, total=i.total)
                  for i in sale.invoices if i.kind == "invoice" and i.state != "cancelled"])


def total_problems(order: Order, tolerance: Money) -> list[str]:
    """Totals and tax must re-add within the tolerance, or finance will not agree."""
    problems = []
    readd = order.computed_total()
    if abs((readd - order.total).amount) > tolerance.amount:
        problems.append(f"lines re-add to {readd}, WooCommerce says {order.total}")
    parts = [*order.lines, *order.shipping_lines, *order.fee_lines]
    tax = total((p.total_tax for p in parts), order.currency)
    if abs((tax - order.total_tax).amount) > tolerance.amount:
        problems.append(f"line taxes re-add to {tax}, WooCommerce says {order.total_tax}")
    return problems


class ErpActivities:
    def __init__(self, erp: ErpPort) -> None:
        self._erp = erp

    @activity.defn(name=Act.ERP_VALIDATE_ORDER)
    @classified
    async def validate_order(self, inp: ValidateOrderInput) -> ValidationReport:
        order = inp.order
        problems = total_problems(order, inp.total_tolerance or Money.zero(order.currency))
        needed: Counter[str] = Counter()
        for line in order.lines:
            if not line.sku:
                problems.append(f"line {line.line_id} ({line.name!r}) has no SKU")
            elif await self._erp.product_by_sku(line.sku) is None:
                problems.append(f"SKU {line.sku} is not mapped to an ERP product")
            else:
                needed[line.sku] += line.quantity
        levels = await self._erp.stock_levels(list(needed)) if needed else {}
        for sku, qty in needed.items():
            if levels.get(sku, 0) < qty:
                problems.append(f"insufficient stock for {sku}: need {qty}, ERP has "
                                f"{levels.get(sku, 0)}")
        if problems:
            return ValidationReport(problems=problems)
        party = await self._erp.ensure_party(order.customer, order.billing, order.shipping)
        return ValidationReport(erp_party_id=party)

    @activity.defn(name=Act.ERP_ACCEPT_ORDER)
    @classified
    async def accept_order(self, inp: AcceptOrderInput) -> ErpSaleView:
        """Create (idempotent by external ref) and confirm the sale."""
        await self._erp.create_sale(inp.order, inp.external_ref)
        return sale_view(await self._erp.confirm_sale(inp.external_ref))

    @activity.defn(name=Act.ERP_GET_SALE)
    @classified
    async def get_sale(self, external_ref: str) -> ErpSaleView:
        sale = await self._erp.get_sale(external_ref)
        if sale is None:
            raise ApplicationError(f"no ERP sale has the reference {external_ref!r}",
                                   type=ErrorType.ERP_NOT_FOUND, non_retryable=True)
        return sale_view(sale)

    @activity.defn(name=Act.ERP_CANCEL_SALE)
    @classified
    async def cancel_sale(self, external_ref: str) -> None:
        await self._erp.cancel_sale(external_ref)

    @activity.defn(name=Act.ERP_CREDIT_NOTE)
    @classified
    async def credit_note(self, inp: CreditNoteInput) -> CreditNoteView:
        note = await self._erp.create_credit_note(
            inp.sale_external_ref, inp.refund_ref, inp.refund.lines, inp.restock,
            amount=None if inp.refund.lines else inp.refund.amount)
        invoice = note.invoice
        return CreditNoteView(refund_ref=inp.refund_ref,
                              number=(invoice.number if invoice and invoice.number
                                      else note.number or str(note.id)),
                              state=invoice.state if invoice else note.state, total=note.total)

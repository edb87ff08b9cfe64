"""ERP activities: thin, idempotent calls through the ErpPort."""
from __future__ import annotations

from collections import Counter

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import refs
from activities.contracts import (AcceptOrderInput, CreditNoteInput, ValidateOrderInput,
                                  ValidationReport)
from activities.errors import classified
from canonical.checks import total_problems
from canonical.erp import CreditNote, ErpSale
from canonical.errors import ErrorType
from canonical.money import Money
from systems.erp.port import ErpPort


class ErpActivities:
    def __init__(self, erp: ErpPort) -> None:
        self._erp = erp

    @activity.defn(name=refs.ERP_VALIDATE_ORDER.name)
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
        if not inp.check_stock:
            needed.clear()
        levels = await self._erp.stock_levels(list(needed)) if needed else {}
        for sku, qty in needed.items():
            if levels.get(sku, 0) < qty:
                problems.append(f"insufficient stock for {sku}: need {qty}, ERP has "
                                f"{levels.get(sku, 0)}")
        if problems:
            return ValidationReport(problems=problems)
        party = await self._erp.ensure_party(order.customer, order.billing, order.shipping)
        return ValidationReport(erp_party_id=party)

    @activity.defn(name=refs.ERP_ACCEPT_ORDER.name)
    @classified
    async def accept_order(self, inp: AcceptOrderInput) -> ErpSale:
        """Create (idempotent by external ref) and confirm the sale, for the
        party validation found: the sale created is the sale confirmed."""
        return await self._erp.accept_sale(inp.order, inp.external_ref,
                                           party_id=inp.erp_party_id or None)

    @activity.defn(name=refs.ERP_GET_SALE.name)
    @classified
    async def get_sale(self, external_ref: str) -> ErpSale:
        sale = await self._erp.get_sale(external_ref)
        if sale is None:
            raise ApplicationError(f"no ERP sale has the reference {external_ref!r}",
                                   type=ErrorType.ERP_NOT_FOUND, non_retryable=True)
        return sale

    @activity.defn(name=refs.ERP_CANCEL_SALE.name)
    @classified
    async def cancel_sale(self, external_ref: str) -> None:
        await self._erp.cancel_sale(external_ref)

    @activity.defn(name=refs.ERP_CREDIT_NOTE.name)
    @classified
    async def credit_note(self, inp: CreditNoteInput) -> CreditNote:
        return await self._erp.create_credit_note(
            inp.sale_external_ref, inp.refund_ref, inp.refund.lines, inp.restock,
            amount=None if inp.refund.lines else inp.refund.amount)

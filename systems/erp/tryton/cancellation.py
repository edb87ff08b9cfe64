"""Calling a Tryton sale off, as far as Tryton's own workflows allow.

Tryton's sale workflow (trytond 8.2, modules/sale/sale.py) only cancels a
draft or quoted sale; a confirmed one goes back to draft first. Once
processed (shipments and invoice created) there is no transition back to
`cancelled`, only `processing -> done`. So a processing sale is undone the way
a Tryton user would do it by hand:

1. cancel its draft/validated invoices (the `cancel` button),
2. cancel its outgoing shipments that are still in the warehouse,
3. handle the resulting shipment and invoice exceptions with Tryton's
   `sale.handle.shipment.exception` / `sale.handle.invoice.exception`
   wizards, ignoring every cancelled move and invoice,
4. `process` the sale, which closes it as `done` with nothing to ship and
   nothing invoiced (`ErpSale.voided`).

Each step reads before it writes, so a retried call picks up where an
interrupted one stopped. One window is left between reading a shipment as
`packed` and pressing `cancel`: Tryton itself refuses to cancel a `done`
shipment unless the user is an administrator or in "Stock Cancellation", so
the integration user should be in neither (the sandbox's admin is).
"""
from __future__ import annotations

from systems.erp.errors import ErpCannotCancel, ErpRejectedError
from canonical.erp import ErpSale
from systems.erp.tryton.documents import Documents
from systems.erp.tryton.rpc import TrytonRpc

# The states Tryton's `cancel` buttons accept that we are willing to undo.
# Shipments: Tryton also cancels `shipped` and (for stock admins) `done`
# ones, but those goods have left the building. Invoices: `posted` ones are
# only cancelled with a reversing move, if the company allows it at all.
SHIPMENT_CANCEL_FROM = frozenset({"draft", "waiting", "assigned", "picked", "packed"})
INVOICE_CANCEL_FROM = frozenset({"draft", "validated"})

# (wizard, its field listing the cancelled documents, field to ignore, field to recreate)
EXCEPTION_WIZARDS = (
    ("sale.handle.invoice.exception", "domain_invoices", "ignore_invoices",
     "recreate_invoices"),
    ("sale.handle.shipment.exception", "domain_moves", "ignore_moves", "recreate_moves"),
)


class SaleCancellation:
    def __init__(self, rpc: TrytonRpc, documents: Documents):
        self.rpc, self.documents = rpc, documents

    async def cancel(self, sale_id: int, external_ref: str) -> ErpSale:
        sale = await self.documents.read_sale(sale_id)
        if sale.cancelled:
            return sale
        if sale.state == "confirmed":
            # Not processed yet (e.g. `sale_process_after`, or processing
            # failed): Tryton's way back is draft, then cancel.
            await self._press(sale, "sale.sale", sale_id, "draft", {"confirmed"})
            sale = await self.documents.read_sale(sale_id)
        if sale.state in ("draft", "quotation"):
            await self._press(sale, "sale.sale", sale_id, "cancel", {"draft", "quotation"})
        else:
            if blockers := sale.cancel_blockers():
                raise ErpCannotCancel(external_ref, sale.state, "; ".join(blockers))
            await self._void(sale)
        sale = await self.documents.read_sale(sale_id)
        if not sale.cancelled:  # someone moved it on while we were at it
            raise ErpCannotCancel(external_ref, sale.state,
                                  "; ".join(sale.cancel_blockers()) or "it moved on meanwhile")
        return sale

    async def _void(self, sale: ErpSale) -> None:
        # Invoices first: Tryton itself refuses to cancel a posted customer
        # invoice, so if the accountant posts it meanwhile we stop before any
        # shipment is touched.
        for invoice in sale.invoices:
            await self._press(sale, "account.invoice", invoice.erp_id, "cancel", INVOICE_CANCEL_FROM)
        await self._require_cancelled(sale, "account.invoice", [i.erp_id for i in sale.invoices])
        # Cancelling a shipment cancels its moves, which frees the forecast stock.
        for shipment in sale.shipments:
            await self._press(sale, "stock.shipment.out", shipment.erp_id, "cancel",
                              SHIPMENT_CANCEL_FROM)
        await self._require_cancelled(sale, "stock.shipment.out", [s.erp_id for s in sale.shipments])
        for wizard in EXCEPTION_WIZARDS:
            await self._ignore_cancelled(sale.erp_id, *wizard)
        # The wizards queue `process`; with a queue worker that runs later,
        # so process now to close the sale before we read it back.
        if await self.documents.sale_state(sale.erp_id) != "done":
            await self.rpc.button("sale.sale", "process", [sale.erp_id])

    async def _press(self, sale: ErpSale, model: str, record_id: int, button: str,
                     from_states: set[str] | frozenset[str]) -> None:
        try:
            await self.documents.advance(model, record_id, button, from_states)
        except ErpRejectedError as exc:
            raise ErpCannotCancel(sale.external_ref, sale.state,
                                  f"{model} {record_id}: {exc.message}") from exc

    async def _require_cancelled(self, sale: ErpSale, model: str, ids: list[int]) -> None:
        if not ids:
            return
        rows = await self.rpc.read(model, ids, ["number", "state"])
        moved = [f"{model} {r['number'] or r['id']} is {r['state']}"
                 for r in rows if r["state"] != "cancelled"]
        if moved:  # it went past the states we may cancel while we were reading
            raise ErpCannotCancel(sale.external_ref, sale.state, "; ".join(moved))

    async def _ignore_cancelled(self, sale_id: int, wizard: str, domain_field: str,
                                ignore_field: str, recreate_field: str) -> None:
        """Run a handle-exception wizard, ignoring every cancelled document it offers."""
        ctx = {**self.rpc.context, "active_model": "sale.sale", "active_id": sale_id,
               "active_ids": [sale_id]}
        session, _, _ = await self.rpc.call(f"wizard.{wizard}.create", ctx)
        try:
            ask = await self.rpc.call(f"wizard.{wizard}.execute", session, {}, "ask", ctx)
            offered = ask["view"]["defaults"].get(domain_field) or []
            if offered:
                answer = {domain_field: offered, ignore_field: offered, recreate_field: []}
                await self.rpc.call(f"wizard.{wizard}.execute", session, {"ask": answer},
                                    "handle", ctx)
        finally:
            await self.rpc.call(f"wizard.{wizard}.delete", session, ctx)

"""Compensations of the OrderSaga: undo what the saga did, in reverse.

A cancellation in WooCommerce before shipment cancels the ERP sale. An ERP
rejection, under the `cancel_and_refund` policy, cancels the Woo order and
gives the money back; under the default `park` policy a person decides.
"""
from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities import refs
    from activities.contracts import CancelWooOrderInput, CreateWooRefundInput
    from canonical import events as ev
    from workflows.options import call
    from workflows.order_base import OrderSagaBase
    from workflows.order_types import erp_reference
    from workflows.refund_types import refund_marker
    from workflows.stages import Stage


class OrderCompensation(OrderSagaBase):
    async def _cancel_before_erp(self) -> None:
        o = self._current
        await self._record(ev.OrderCancelled, source="woocommerce", occurred_at=o.date_modified,
                           reason=f"cancelled in WooCommerce (status {o.woo_status})")
        self._set_stage(Stage.CANCELLED)

    async def _cancel_erp_sale(self) -> None:
        """Woo cancelled after the ERP accepted, before shipment: cancel the sale.

        An ERP that refuses (the sale is too far along) parks the saga with its
        reason: the goods must then come back through a return.
        """
        o = self._current
        await self._attempt(Stage.CANCELLING, lambda: call(
            refs.ERP_CANCEL_SALE, erp_reference(o.store, o.woo_id), self._policy.max_attempts))
        await self._record(ev.OrderCancelled, source="woocommerce", occurred_at=o.date_modified,
                           reason=f"cancelled in WooCommerce (status {o.woo_status})",
                           erp_sale_cancelled=True)
        self._set_stage(Stage.CANCELLED)

    async def _reject_in_store(self, reason: str) -> None:
        """The `cancel_and_refund` policy: the ERP will not take the order."""
        o = self._current
        self._set_stage(Stage.CANCELLING)
        if o.is_paid and not o.total.is_zero():
            # The marker in the reason is how the refund is known as ours: the
            # activity finds it on a retry instead of refunding again, and the
            # ingress starts no RefundSaga for it when order.updated shows it.
            ref = f"{erp_reference(o.store, o.woo_id)}:rejected"
            await call(refs.WOO_CREATE_REFUND, CreateWooRefundInput(
                store=o.store, woo_order_id=o.woo_id, refund_ref=ref,
                amount=o.remaining_refundable(),
                reason=f"Rejected by the ERP: {reason} {refund_marker(ref)}"),
                self._policy.max_attempts)
        await call(refs.WOO_CANCEL_ORDER, CancelWooOrderInput(
            store=o.store, woo_order_id=o.woo_id, reason=reason), self._policy.max_attempts)
        await self._record(ev.OrderCancelled, reason=f"rejected by the ERP: {reason}")
        self._set_stage(Stage.CANCELLED)

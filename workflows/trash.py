"""A trashed order holds its saga until it is restored or a person resolves it.

WooCommerce's trash is reversible (`order.deleted` then, maybe,
`order.restored`), and a person trashes an order for reasons wooerp cannot
know: spam, a duplicate, a mistake. So the saga neither cancels the ERP sale
nor goes on as if nothing happened: it parks with the reason, and goes on by
itself once the order is restored. The two deliveries arrive unordered, so
the saga asks the store which one holds.
"""
from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import Act, OrderRef, Queue
    from canonical.entities import Order
    from workflows.options import on
    from workflows.order_types import Stage
    from workflows.saga import Interrupted

IN_TRASH = "trash"
TRASHED = ("order is in the WooCommerce trash: restore it there and the saga goes on, "
           "or resolve it here")


class TrashGuard:
    """Mixin for OrderSaga; `_trash_reported` is set by its `woo_order_trashed` signal."""

    _trash_reported: bool

    def _in_trash(self) -> bool:
        return self._current.woo_status == IN_TRASH

    async def _hold_while_trashed(self, stage: Stage) -> None:
        """No-op unless a trash was reported; else park until the store has
        the order out of the trash again (or a person resolves the saga)."""
        parked = False
        while self._trash_reported:
            self._trash_reported = False
            self._take(await self._attempt(stage, self._store_order))
            if not self._in_trash():
                break
            parked = True
            try:
                await self._park(TRASHED, lambda: not self._in_trash())
            except Interrupted:
                break  # a newer payload (order.restored) has it out of the trash
            self._trash_reported = True  # `retry`: ask the store again
        if parked:
            self._last_error = None
            self._set_stage(stage)

    async def _store_order(self) -> Order:
        o = self._current
        return await workflow.execute_activity(
            Act.WOO_GET_ORDER, OrderRef(store=o.store, woo_order_id=o.woo_id), result_type=Order,
            **on(Queue.WOOCOMMERCE, self._policy.max_attempts))

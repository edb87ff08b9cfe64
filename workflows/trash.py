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
    from workflows.order_base import OrderSagaBase
    from workflows.saga import Interrupted
    from workflows.stages import Stage

IN_TRASH = "trash"
TRASHED = ("order is in the WooCommerce trash: restore it there and the saga goes on, "
           "or resolve it here")


class TrashGuard(OrderSagaBase):
    """The OrderSaga's trash handling; `_trash_reported` is set by its
    `woo_order_trashed` signal."""

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

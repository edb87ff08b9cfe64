"""What every part of the OrderSaga shares: the order as last seen, the
saga's policy, and reading the order from the store.

The OrderSaga is assembled from parts (compensation.py, trash.py,
order_saga.py); each part derives from this class, so everything a part
uses is declared here or in `Saga`, where a reader can find it.
"""
from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities import refs
    from activities.contracts import OrderRef
    from canonical.entities import Order, WooOrderStatus
    from workflows.options import call
    from workflows.order_types import OrderSagaInput, SagaPolicy
    from workflows.saga import Saga


class OrderSagaBase(Saga):
    def __init__(self) -> None:
        super().__init__()
        self._inp: OrderSagaInput | None = None
        self._policy = SagaPolicy()  # replaced by the input's at the start of the run
        self._order: Order | None = None
        self._trash_reported = False  # set by the woo_order_trashed signal
        # Runs from before patch TRASH_HOLDS read a payload in the trash as a
        # cancellation; set at the start of the run: workflow.patched(TRASH_HOLDS).
        self._trash_holds = False

    @property
    def _current(self) -> Order:
        """The newest payload of the order (the saga waits for the first one)."""
        assert self._order is not None
        return self._order

    def _take(self, order: Order) -> None:
        """Keep the newest payload by date_modified: deliveries come unordered."""
        if self._order is None or order.date_modified >= self._order.date_modified:
            self._order = order

    def _cancelled(self) -> bool:
        """Called off in the store. The trash is not: it can be undone, so an
        order seen there is held (trash.py), never cancelled in the ERP."""
        if self._trash_holds and self._current.woo_status == WooOrderStatus.TRASH:
            return False
        return self._current.is_cancelled

    async def _store_order(self) -> Order:
        o = self._current
        return await call(refs.WOO_GET_ORDER, OrderRef(store=o.store, woo_order_id=o.woo_id),
                          self._policy.max_attempts)

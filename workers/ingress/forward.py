"""Turn a stored webhook delivery into a saga signal.

Every entry point (webhook, relay, `wooerp order sync`, backfill) ends here,
and always with signal-with-start on the order's business key, so any number
of deliveries of one order become one saga.
"""
from __future__ import annotations

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.contracts import Queue
from canonical.entities import Order
from workflows.order_saga import OrderSaga
from workflows.order_types import OrderSagaInput, SagaPolicy, order_workflow_id

ORDER_TOPICS = {"order.created", "order.updated", "order.deleted", "order.restored"}


class Forwarded(str):
    """What happened to a delivery, kept as the inbox entry's note."""


async def signal_order(client: Client, order: Order, *, policy: SagaPolicy | None = None,
                       task_queue: str = Queue.WORKFLOWS.value) -> Forwarded:
    """Signal-with-start the order's saga with the newest payload."""
    wid = order_workflow_id(order.store, order.woo_id)
    try:
        await client.start_workflow(
            OrderSaga.run,
            OrderSagaInput(store=order.store, woo_order_id=order.woo_id,
                           policy=policy or SagaPolicy()),
            id=wid, task_queue=task_queue,
            start_signal="woo_order_updated", start_signal_args=[order],
            # A closed saga stays closed: a late duplicate delivery must not
            # walk the order again. A failed or terminated one may be restarted.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        )
    except WorkflowAlreadyStartedError:
        return Forwarded(f"{wid} already closed; delivery kept for the record")
    return Forwarded(f"signalled {wid}")

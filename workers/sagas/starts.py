"""Starting and signalling order sagas from store payloads.

Every entry point (webhook, relay, `wooerp order sync`, reconcile, backfill)
ends here through `SagaClient.forward_order`, and always with
signal-with-start on the order's business key, so any number of deliveries
of one order become one saga.
"""
from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.refs import Queue
from canonical.entities import Order
from workflows.order_saga import OrderSaga
from workflows.order_types import OrderSagaInput, SagaPolicy, order_workflow_id
from workflows.refund_saga import RefundSaga
from workflows.refund_types import RefundPolicy, RefundSagaInput, refund_workflow_id


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


def store_refunds(order: Order) -> list[int]:
    """Refunds made in the store itself (admin, gateway), not by a wooerp saga:
    ours carry their saga's reference in the reason."""
    return [r.woo_id for r in order.refunds
            if r.woo_id is not None and "[wooerp " not in r.reason]


async def signal_refunds(client: Client, order: Order, *, policy: RefundPolicy | None = None,
                         task_queue: str = Queue.WORKFLOWS.value) -> list[str]:
    """One RefundSaga per store refund: money already moved in WooCommerce,
    so the saga books the credit note and disposes of the stock."""
    started = []
    for woo_refund_id in store_refunds(order):
        wid = refund_workflow_id(order.store, order.woo_id, woo_refund_id)
        try:
            await client.start_workflow(
                RefundSaga.run, RefundSagaInput(
                    store=order.store, woo_order_id=order.woo_id, key=str(woo_refund_id),
                    origin="woocommerce", woo_refund_id=woo_refund_id,
                    requested_by="woocommerce", policy=policy or RefundPolicy()),
                id=wid, task_queue=task_queue, start_signal="woo_refund_seen",
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        except WorkflowAlreadyStartedError:
            continue  # booked already: every later order.updated repeats the list
        started.append(wid)
    return started


async def signal_trashed(client: Client, store: str, woo_order_id: int) -> Forwarded:
    """order.deleted (trash): tell the order's saga, which asks the store and
    holds until the order is restored. No open saga: nothing to hold."""
    wid = order_workflow_id(store, woo_order_id)
    try:
        await client.get_workflow_handle(wid).signal(OrderSaga.woo_order_trashed,
                                                     rpc_timeout=timedelta(seconds=10))
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        return Forwarded(f"no open saga {wid}; trash kept for the record")
    return Forwarded(f"signalled {wid}: order in trash")


async def hand_over_historical(client: Client, order: Order, *, backfill_id: str,
                               policy: SagaPolicy | None = None,
                               task_queue: str = Queue.WORKFLOWS.value) -> bool:
    """A backfill's signal-with-start: the same business key as a webhook's, so
    an order with a saga (running or closed) never gets a second one; a new
    saga is historical and tells `backfill_id` when its sale is booked.
    True when this call started the saga."""
    wid = order_workflow_id(order.store, order.woo_id)
    try:
        handle = await client.start_workflow(
            OrderSaga.run,
            OrderSagaInput(store=order.store, woo_order_id=order.woo_id,
                           policy=policy or SagaPolicy(), historical=True,
                           backfill_id=backfill_id),
            id=wid, task_queue=task_queue,
            start_signal="woo_order_updated", start_signal_args=[order],
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            rpc_timeout=timedelta(seconds=10))
    except WorkflowAlreadyStartedError:
        return False  # closed already: the order was handled before
    response = getattr(handle, "_start_workflow_response", None)
    return bool(getattr(response, "started", True))

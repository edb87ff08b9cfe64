"""Activities that drive other sagas, for the workflows that need to
(reconcile recovering a lost order, backfill handing over history): they go
through the same saga client API as a webhook, with the worker's own
Temporal client, so every start dedupes on the order's business key."""
from __future__ import annotations

from temporalio import activity

from activities import refs
from activities.contracts import Forwarded
from canonical.entities import Order
from workers.config.settings import Settings
from workers.sagas import starts
from workers.sagas.client import SagaClient
from workers.sagas.policies import refund_policy


class SagaActivities:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @activity.defn(name=refs.SAGAS_FORWARD_ORDER.name)
    async def forward_order(self, order: Order) -> Forwarded:
        sagas = SagaClient(activity.client(), self._settings)
        known = await sagas.has_order_saga(order.store, order.woo_id)
        note = await sagas.forward_order(order)
        return Forwarded(workflow_id=sagas.order_workflow_id(order.store, order.woo_id),
                         known=known, note=note)

    @activity.defn(name=refs.SAGAS_START_REFUNDS.name)
    async def start_refunds(self, order: Order) -> int:
        started = await starts.signal_refunds(
            activity.client(), order, policy=refund_policy(self._settings, order.store),
            task_queue=self._settings.temporal.queue(refs.Queue.WORKFLOWS))
        return len(started)

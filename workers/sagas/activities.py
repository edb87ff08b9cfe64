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
from workers.sagas.client import SagaClient


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

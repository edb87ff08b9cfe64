"""Everything a wooerp worker runs: one list of workflows, the orchestrating
workflows of an activity queue, and per task queue one list of activity
factories.

A factory takes the worker's `Resources` and returns activity callables,
usually the bound methods of an activities class built on those resources:

    Queue.LEDGER: [lambda r: activities_of(LedgerActivities(r.ledger))],
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from activities.refs import Queue
from activities.erp import ErpActivities
from activities.inventory import (InventoryErpActivities, InventoryLedgerActivities,
                                  InventoryStoreActivities)
from activities.ledger import LedgerActivities
from activities.ping import PingActivities
from activities.reconcile import (ReconcileErpActivities, ReconcileLedgerActivities,
                                  ReconcileStoreActivities)
from activities.woocommerce import WooActivities
from workers.sagas.activities import SagaActivities
from workers.sagas.backfill_activities import BackfillActivities
from workers.sagas.inventory import InventorySagaActivities
from workers.sagas.reconcile_activities import ReconcileSagaActivities
from workers.worker.resources import Resources
from workflows.backfill import BackfillWorkflow
from workflows.inventory import InventorySync
from workflows.order_saga import OrderSaga
from workflows.ping import PingWorkflow
from workflows.reconcile import ReconcileTick, ReconcileWorkflow
from workflows.refund_saga import RefundSaga
from workflows.return_saga import ReturnSaga

ActivityFactory = Callable[[Resources], Iterable[Callable[..., Any]]]

WORKFLOWS: list[type] = [
    OrderSaga,
    RefundSaga,
    ReturnSaga,
    PingWorkflow,
    ReconcileWorkflow,
    ReconcileTick,
    InventorySync,
    BackfillWorkflow,
]

# Workflows that start many others run on an activity queue's worker instead:
# a backfill's next page must not queue behind the workflow tasks of the
# thousand sagas it just started (hand-over rate 0.35 -> 0.7 of plain paging).
# BackfillWorkflow stays in WORKFLOWS for runs started on `orders` before.
ORCHESTRATORS: dict[Queue, list[type]] = {
    Queue.SAGAS: [BackfillWorkflow],
}

ACTIVITIES: dict[Queue, list[ActivityFactory]] = {
    Queue.WOOCOMMERCE: [
        lambda r: activities_of(WooActivities(r.woo_clients)),
        lambda r: activities_of(ReconcileStoreActivities(r.woo_clients, r.ledger)),
        lambda r: activities_of(InventoryStoreActivities(r.woo_clients)),
    ],
    Queue.ERP: [
        lambda r: activities_of(ErpActivities(r.erp)),
        lambda r: activities_of(ReconcileErpActivities(r.erp, r.ledger)),
        lambda r: activities_of(InventoryErpActivities(r.erp)),
    ],
    Queue.LEDGER: [
        lambda r: activities_of(LedgerActivities(r.ledger)),
        lambda r: activities_of(PingActivities(r.ledger)),
        lambda r: activities_of(ReconcileLedgerActivities(r.ledger)),
        lambda r: activities_of(InventoryLedgerActivities(r.ledger)),
    ],
    Queue.SAGAS: [
        lambda r: activities_of(SagaActivities(r.settings)),
        lambda r: activities_of(ReconcileSagaActivities(r.settings, r.ledger)),
        lambda r: activities_of(InventorySagaActivities(r.settings)),
        lambda r: activities_of(BackfillActivities(r.settings, r.woo_clients, lambda: r.erp)),
    ],
}


def definition_name(fn: Callable[..., Any]) -> str:
    """The name an activity function is registered under."""
    return fn.__temporal_activity_definition.name  # type: ignore[attr-defined]


def activities_of(instance: object) -> list[Callable[..., Any]]:
    """The @activity.defn methods of an activities object, bound to it."""
    return [
        method for _, method in inspect.getmembers(instance, inspect.ismethod)
        if hasattr(method, "__temporal_activity_definition")
    ]

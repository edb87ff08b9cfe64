"""Store orders the ERP has not accepted yet, and the inventory workflow's
client side (start, signal, query).

WooCommerce takes an order's units off its shelf at checkout; the ERP
reserves them only when it accepts the sale. In between, the units are held
by the order's saga: the inventory sync subtracts them from what the ERP can
sell, or a push would undo the store's own decrement. Which sagas hold
stock is a visibility query (running OrderSagas of the store not yet past
acceptance, including those parked before it and those whose first stage
is not published yet); what each holds is its `store_holds` query.
"""
from __future__ import annotations

import asyncio
from datetime import timedelta

from datetime import datetime

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError

from activities import refs
from activities.heartbeat import heartbeating
from activities.inventory_contracts import Holds
from workers.config.settings import Settings
from workflows.inventory import InventorySync
from workflows.inventory_types import (Changed, InventoryInput, InventoryPolicy, InventoryStatus,
                                       inventory_workflow_id)
from workflows.stages import Stage

# Stages in which a saga may hold store stock the ERP has not reserved.
BEFORE_ACCEPTANCE = (Stage.STARTING, Stage.AWAITING_PAYMENT, Stage.VALIDATING,
                     Stage.AWAITING_ERP, Stage.NEEDS_ATTENTION)
MAX_SAGAS = 2_000  # sagas asked per computation; more is an incident, not a backlog
CONCURRENCY = 16
QUERY_TIMEOUT = timedelta(seconds=5)


def holding_query(task_queue: str) -> str:
    stages = ", ".join(f"'{s.value}'" for s in BEFORE_ACCEPTANCE)
    return (f"WorkflowType = 'OrderSaga' AND ExecutionStatus = 'Running' "
            f"AND TaskQueue = '{task_queue}' AND ErpDocument IS NULL "
            f"AND (SagaStage IS NULL OR SagaStage IN ({stages}))")


async def store_holds(client: Client, task_queue: str, store: str) -> Holds:
    prefix = f"order:{store}:"
    ids = []
    async for w in client.list_workflows(holding_query(task_queue), limit=MAX_SAGAS,
                                         rpc_timeout=timedelta(seconds=10)):
        if w.id.startswith(prefix) and w.status == WorkflowExecutionStatus.RUNNING:
            ids.append(w.id)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def ask(wid: str) -> dict[str, int] | None:
        async with gate:
            try:
                return await client.get_workflow_handle(wid).query(
                    "store_holds", result_type=dict[str, int], rpc_timeout=QUERY_TIMEOUT)
            except RPCError:  # closed meanwhile, or no worker answered: holds nothing known
                return None

    out = Holds()
    for held in await asyncio.gather(*(ask(w) for w in ids)):
        if held is None:
            out.unanswered += 1
            continue
        if held:
            out.orders += 1
        for sku, qty in held.items():
            out.units[sku] = out.units.get(sku, 0) + max(0, int(qty))
    return out


class InventorySagaActivities:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @activity.defn(name=refs.INVENTORY_HOLDS.name)
    @heartbeating
    async def holds(self, store: str) -> Holds:
        queue = self._settings.temporal.queue(refs.Queue.WORKFLOWS)
        return await store_holds(activity.client(), queue, store)


# the workflow's client side ------------------------------------------------------------
def inventory_policy(settings: Settings) -> InventoryPolicy:
    return InventoryPolicy(**settings.inventory.model_dump())


async def signal(client: Client, settings: Settings, store: str, name: str,
                 args: list | None = None) -> str:
    """Signal-with-start `inventory:{store}`: the first signal starts it, so
    no entry point has to know whether it runs."""
    wid = inventory_workflow_id(store)
    await client.start_workflow(
        InventorySync.run, InventoryInput(store=store, policy=inventory_policy(settings)),
        id=wid, task_queue=settings.temporal.queue(refs.Queue.WORKFLOWS),
        start_signal=name, start_signal_args=args or [],
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        rpc_timeout=timedelta(seconds=10))
    return wid


async def changed(client: Client, settings: Settings, store: str, skus: list[str],
                  occurred_at: datetime | None = None) -> str:
    return await signal(client, settings, store, "changed",
                        [Changed(skus=skus, occurred_at=occurred_at)])


async def ensure_running(client: Client, settings: Settings, store: str) -> str:
    """Start the store's sync if it is not running (an empty change does)."""
    return await changed(client, settings, store, [])


async def status(client: Client, store: str) -> InventoryStatus:
    return await client.get_workflow_handle(inventory_workflow_id(store)).query(
        InventorySync.status, rpc_timeout=QUERY_TIMEOUT)

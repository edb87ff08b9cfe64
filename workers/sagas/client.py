"""The saga client API: the one place that starts, signals, updates and
queries sagas, and turns Temporal's errors into outcomes (outcomes.py).

The ingress, the support API, the CLI, and the reconcile and backfill
starters all go through a `SagaClient`, so every entry point dedupes on the
same business keys, uses this deployment's task queue and the policies of
its settings, and fails in the same words:

    sagas = await SagaClient.connect(settings)
    wid = await sagas.request_refund(store="default", order_id=42, lines={7: 1})
    status = await sagas.refund_status(wid)
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities.refs import Queue
from canonical.entities import Disposition, Order, ReturnLine
from canonical.money import Money
from workers.config.settings import Settings
from activities.reconcile_contracts import ReconcileWindow
from systems.erp.notifications import ErpNotification
from workers.sagas import (backfill, erp_events, inventory, reconcile, search_attributes, starts,
                           support)
from workers.sagas.connect import connect
from workers.sagas.outcomes import translated
from workers.sagas.policies import reconcile_policy, refund_policy, saga_policy
from workflows.backfill_types import BackfillInput, BackfillProgress
from workflows.inventory_types import InventoryStatus
from workflows.order_types import SagaStatus, order_workflow_id
from workflows.reconcile_types import ReconcilePolicy, ReconcileProgress, ReconcileResult
from workflows.refund_types import RefundStatus, ReturnStatus

VISIBILITY_TIMEOUT = timedelta(seconds=5)
HEALTH_TIMEOUT = timedelta(seconds=2)


@dataclass(frozen=True)
class SagaRow:
    """One saga as visibility lists it (for `orders stuck` and the Web UI query)."""

    workflow_id: str
    stage: str | None
    since: datetime | None
    reason: str | None
    running: bool | None = None
    workflow_type: str | None = None


@dataclass(frozen=True)
class Poller:
    """A worker process polling a task queue, as Temporal last saw it."""

    identity: str
    last_access: datetime | None


class SagaClient:
    def __init__(self, client: Client, settings: Settings) -> None:
        self._client, self.settings = client, settings

    @classmethod
    async def connect(cls, settings: Settings, *, timeout: float = 10.0) -> SagaClient:
        """Connect to this deployment's Temporal; raises outcomes.Unreachable."""
        with translated():
            return cls(await connect(settings.temporal, timeout=timeout), settings)

    @property
    def temporal(self) -> Client:
        """The Temporal client itself, for the worker and search-attribute set-up."""
        return self._client

    async def healthy(self) -> bool:
        """Does the server answer a health check now (bounded, never raises)?"""
        try:
            return await asyncio.wait_for(
                self._client.service_client.check_health(timeout=HEALTH_TIMEOUT),
                HEALTH_TIMEOUT.total_seconds() + 1)
        except Exception:  # noqa: BLE001 - any failure to answer is "down"
            return False

    @property
    def workflow_queue(self) -> str:
        return self.settings.temporal.queue(Queue.WORKFLOWS)

    # orders -----------------------------------------------------------------------
    @staticmethod
    def order_workflow_id(store: str, woo_order_id: int) -> str:
        return order_workflow_id(store, woo_order_id)

    async def has_order_saga(self, store: str, woo_order_id: int) -> bool:
        """Has this order a saga already (running or ended)?"""
        with translated():
            try:
                await self._client.get_workflow_handle(
                    order_workflow_id(store, woo_order_id)).describe(rpc_timeout=VISIBILITY_TIMEOUT)
            except RPCError as exc:
                if exc.status == RPCStatusCode.NOT_FOUND:
                    return False
                raise
        return True

    async def forward_order(self, order: Order) -> str:
        """Everything one fresh order payload starts or signals: its OrderSaga
        (signal-with-start) and a RefundSaga for each refund made in the store."""
        with translated():
            note = await starts.signal_order(self._client, order,
                                             policy=saga_policy(self.settings),
                                             task_queue=self.workflow_queue)
            refunds = await starts.signal_refunds(self._client, order,
                                                  policy=refund_policy(self.settings, order.store),
                                                  task_queue=self.workflow_queue)
        return f"{note}; started {', '.join(refunds)}" if refunds else str(note)

    async def order_trashed(self, store: str, woo_order_id: int) -> str:
        with translated():
            return await starts.signal_trashed(self._client, store, woo_order_id)

    async def order_status(self, store: str, order_id: int) -> SagaStatus:
        with translated():
            return await support.order_status(self._client, store, order_id)

    async def retry_order(self, store: str, order_id: int) -> None:
        with translated():
            await support.retry_order(self._client, store, order_id)

    async def resolve_order(self, store: str, order_id: int, note: str) -> None:
        with translated():
            await support.resolve_order(self._client, store, order_id, note)

    # refunds and returns ------------------------------------------------------------
    async def request_refund(self, *, store: str, order_id: int, requested_by: str = "support",
                             lines: dict[int, int] | None = None, amount: Money | None = None,
                             reason: str = "", key: str | None = None,
                             disposition: Disposition = Disposition.RESTOCK) -> str:
        with translated():
            return await support.request_refund(
                self._client, store=store, order_id=order_id, requested_by=requested_by,
                lines=lines, amount=amount, reason=reason, key=key, disposition=disposition,
                policy=refund_policy(self.settings, store), task_queue=self.workflow_queue)

    async def approve_refund(self, workflow_id: str, by: str) -> RefundStatus:
        with translated():
            return await support.approve_refund(self._client, workflow_id, by)

    async def reject_refund(self, workflow_id: str, by: str, reason: str) -> RefundStatus:
        with translated():
            return await support.reject_refund(self._client, workflow_id, by, reason)

    async def confirm_money_sent(self, workflow_id: str, by: str, note: str = ""
                                 ) -> RefundStatus:
        """Close a refund's "return the money by hand" action: the money was sent."""
        with translated():
            return await support.confirm_money_sent(self._client, workflow_id, by, note)

    async def refund_status(self, workflow_id: str) -> RefundStatus:
        with translated():
            return await support.refund_status(self._client, workflow_id)

    async def authorize_return(self, *, store: str, rma: str, order_id: int,
                               lines: list[ReturnLine], authorized_by: str = "support",
                               reason: str = "") -> str:
        with translated():
            return await support.authorize_return(
                self._client, store=store, rma=rma, order_id=order_id, lines=lines,
                authorized_by=authorized_by, reason=reason,
                refund_policy=refund_policy(self.settings, store), task_queue=self.workflow_queue)

    async def receive_return(self, store: str, rma: str,
                             quantities: dict[int, int]) -> ReturnStatus:
        with translated():
            return await support.receive_return(self._client, store, rma, quantities)

    async def reject_return(self, store: str, rma: str, by: str, reason: str) -> ReturnStatus:
        with translated():
            return await support.reject_return(self._client, store, rma, by, reason)

    async def return_status(self, store: str, rma: str) -> ReturnStatus:
        with translated():
            return await support.return_status(self._client, store, rma)

    async def register_search_attributes(self) -> list[str]:
        """Add wooerp's search attributes to the namespace; the names added."""
        with translated():
            return await search_attributes.register(self._client, self.settings.temporal.namespace)

    async def missing_search_attributes(self) -> list[str]:
        """wooerp's search attributes the namespace does not have (empty: all there)."""
        with translated():
            return await search_attributes.missing(self._client, self.settings.temporal.namespace)

    async def task_queue_pollers(self, queue: Queue) -> list[Poller]:
        """Who polls this deployment's `queue` (Temporal's DescribeTaskQueue):
        workflow tasks on the workflow queue, activity tasks on the others.
        Temporal keeps listing a poller for a few minutes after it went away;
        `last_access` tells a live one from a gone one."""
        kind = (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW if queue == Queue.WORKFLOWS
                else TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)
        request = DescribeTaskQueueRequest(
            namespace=self.settings.temporal.namespace, task_queue_type=kind,
            task_queue=TaskQueue(name=self.settings.temporal.queue(queue),
                                 kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL))
        with translated():
            answer = await self._client.workflow_service.describe_task_queue(
                request, timeout=VISIBILITY_TIMEOUT)
        return [Poller(identity=p.identity,
                       last_access=p.last_access_time.ToDatetime(tzinfo=timezone.utc)
                       if p.HasField("last_access_time") else None)
                for p in answer.pollers]

    # inventory (workers/sagas/inventory.py) ---------------------------------------------
    async def inventory_changed(self, store: str, skus: list[str],
                                occurred_at: datetime | None = None) -> str:
        """Ask the store's InventorySync to look at these SKUs (signal-with-start)."""
        with translated():
            return await inventory.changed(self._client, self.settings, store, skus,
                                           occurred_at)

    async def inventory_full(self, store: str) -> str:
        with translated():
            return await inventory.signal(self._client, self.settings, store, "sync_full")

    async def relay_erp_event(self, event: ErpNotification) -> str:
        """An ERP notification's signals (workers/sagas/erp_events.py)."""
        with translated():
            return await erp_events.relay(self._client, self.settings, event)

    async def inventory_status(self, store: str) -> InventoryStatus:
        with translated():
            return await inventory.status(self._client, store)

    # visibility -----------------------------------------------------------------------
    async def count(self, query: str) -> int:
        """How many sagas match a visibility query (scope it with `workflow_queue`)."""
        with translated():
            found = await self._client.count_workflows(query, rpc_timeout=VISIBILITY_TIMEOUT)
        return found.count

    async def list(self, query: str, limit: int = 500) -> list[SagaRow]:
        """The sagas that match a visibility query, as the Web UI would list them."""
        with translated():
            return [_row(w) async for w in _listed(self._client, query, limit)]

    async def page(self, query: str, token: bytes | None = None,
                   page_size: int = 1000) -> tuple[list[SagaRow], bytes | None]:
        """One page of a visibility query and the token of the next (None: last)."""
        with translated():
            pages = self._client.list_workflows(query, page_size=page_size,
                                                next_page_token=token,
                                                rpc_timeout=VISIBILITY_TIMEOUT)
            await pages.fetch_next_page()
            return [_row(w) for w in pages.current_page], pages.next_page_token

    # reconciliation ------------------------------------------------------------------
    def saga_query(self, started_after: datetime) -> str:
        """This deployment's order and refund sagas started since a moment."""
        return reconcile.saga_query(self.workflow_queue, started_after)

    async def start_reconcile(self, window: ReconcileWindow,
                              policy: ReconcilePolicy | None = None) -> tuple[str, bool]:
        """Start the window's run, or attach to the one already running:
        (workflow id, attached)."""
        with translated():
            return await reconcile.start_or_attach(
                self._client, window, policy or reconcile_policy(self.settings),
                task_queue=self.workflow_queue)

    async def reconcile_progress(self, workflow_id: str) -> ReconcileProgress:
        with translated():
            return await reconcile.progress(self._client, workflow_id)

    async def reconcile_result(self, workflow_id: str) -> ReconcileResult:
        """Wait for the run to end; its result (raises if it failed)."""
        with translated():
            return await reconcile.result(self._client, workflow_id)

    async def schedule_reconcile(self, store: str, *, every: timedelta | None = None,
                                 daily_at: time | None = None, timezone: str = "UTC",
                                 catchup_window: timedelta | None = None,
                                 trigger: bool = False) -> list[str]:
        """Create or update the store's Schedule(s); the schedule ids."""
        with translated():
            return await reconcile.schedule(
                self._client, store, every=every, daily_at=daily_at, timezone=timezone,
                catchup_window=catchup_window, policy=reconcile_policy(self.settings),
                task_queue=self.workflow_queue, trigger=trigger)

    async def reconcile_schedules(self, store: str) -> list[reconcile.ScheduleInfo]:
        with translated():
            return await reconcile.schedules(self._client, store)

    # backfill -------------------------------------------------------------------------
    async def start_backfill(self, inp: BackfillInput) -> tuple[str, str]:
        """Start the range's backfill, or attach to it: (workflow id, started |
        attached | finished)."""
        with translated():
            # On the sagas queue's worker: see registry.ORCHESTRATORS.
            return await backfill.start_or_attach(
                self._client, inp, task_queue=self.settings.temporal.queue(Queue.SAGAS))

    async def backfill_progress(self, workflow_id: str) -> BackfillProgress:
        with translated():
            return await backfill.progress(self._client, workflow_id)

    async def backfill_control(self, workflow_id: str, action: str) -> BackfillProgress:
        """pause, resume or cancel; raises outcomes.Refused when the backfill says no."""
        with translated():
            return await backfill.control(self._client, workflow_id, action)

    async def backfill_running(self, workflow_id: str) -> bool:
        with translated():
            return await backfill.running(self._client, workflow_id)


async def _listed(client: Client, query: str, limit: int) -> AsyncIterator:
    async for w in client.list_workflows(query, limit=limit, rpc_timeout=VISIBILITY_TIMEOUT):
        yield w


def _row(w) -> SagaRow:  # noqa: ANN001 (temporalio's WorkflowExecution)
    attrs = {pair.key.name: pair.value for pair in w.typed_search_attributes}
    return SagaRow(workflow_id=w.id, stage=attrs.get("SagaStage"),
                   since=attrs.get("StageSince"), reason=attrs.get("StuckReason"),
                   running=w.status == WorkflowExecutionStatus.RUNNING if w.status else None,
                   workflow_type=w.workflow_type)

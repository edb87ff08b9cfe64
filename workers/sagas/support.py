"""Support actions on refunds, returns and parked orders, on a Temporal client.

Reached through `SagaClient` (client.py), so the support API, the CLI and
any other caller share one implementation: a refund requested from a
helpdesk tool and one requested from a terminal are the same saga.
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from activities.refs import Queue
from canonical.entities import Disposition, ReturnLine
from canonical.money import Money
from workers.sagas.outcomes import ENDED, NotFound, Refused
from workflows.order_saga import OrderSaga
from workflows.order_types import SagaStatus, order_workflow_id
from workflows.refund_saga import RefundSaga
from workflows.refund_types import (Decision, LineRequest, MoneySent, RefundPolicy,
                                    RefundSagaInput, RefundStatus, ReturnSagaInput, ReturnStatus,
                                    refund_workflow_id, return_workflow_id)
from workflows.return_saga import ReturnSaga

# Every call has a deadline, so a helpdesk tool asking a saga whose workers
# are down gets "no answer" to show rather than a request that hangs. An
# update waits for a worker to run its validator, hence the longer one.
CALL_TIMEOUT = timedelta(seconds=10)
UPDATE_TIMEOUT = timedelta(seconds=30)


async def _decide(handle: WorkflowHandle, update: Any, arg: Any, verb: str) -> Any:
    """Run a decision update; an ended saga refuses it in words an agent reads
    (Temporal says only "not found: workflow execution already completed", or,
    when the saga ends as the update arrives, "workflow update was aborted by
    closing workflow")."""
    try:
        return await handle.execute_update(update, arg, rpc_timeout=UPDATE_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND and any(w in exc.message for w in ENDED):
            raise Refused(f"cannot {verb}: {handle.id} has already ended") from None
        raise


async def _of_type(handle: WorkflowHandle, workflow_type: str) -> WorkflowHandle:
    """The handle, if the workflow with that id is a `workflow_type` saga:
    a refund id must not answer for an order saga."""
    described = await handle.describe(rpc_timeout=CALL_TIMEOUT)
    if described.workflow_type != workflow_type:
        raise NotFound(f"{handle.id} is not a {workflow_type}")
    return handle


async def request_refund(client: Client, *, store: str, order_id: int, requested_by: str,
                         lines: dict[int, int] | None = None, amount: Money | None = None,
                         reason: str = "", key: str | None = None,
                         disposition: Disposition = Disposition.RESTOCK,
                         policy: RefundPolicy | None = None,
                         task_queue: str = Queue.WORKFLOWS.value) -> str:
    """Start a support-requested refund; the same key twice is the same refund."""
    key = key or f"s-{uuid.uuid4().hex[:8]}"
    wid = refund_workflow_id(store, order_id, key)
    await client.start_workflow(
        RefundSaga.run, RefundSagaInput(
            store=store, woo_order_id=order_id, key=key, origin="support", amount=amount,
            lines=[LineRequest(line_id=l, quantity=q) for l, q in (lines or {}).items()],
            reason=reason, requested_by=requested_by, disposition=disposition,
            policy=policy or RefundPolicy()),
        id=wid, task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, rpc_timeout=CALL_TIMEOUT)
    return wid


async def _refund(client: Client, workflow_id: str) -> WorkflowHandle:
    return await _of_type(client.get_workflow_handle(workflow_id), "RefundSaga")


async def approve_refund(client: Client, workflow_id: str, by: str) -> RefundStatus:
    return await _decide(await _refund(client, workflow_id), RefundSaga.approve, by, "approve")


async def reject_refund(client: Client, workflow_id: str, by: str, reason: str) -> RefundStatus:
    return await _decide(await _refund(client, workflow_id), RefundSaga.reject,
                         Decision(by=by, reason=reason), "reject")


async def confirm_money_sent(client: Client, workflow_id: str, by: str, note: str = ""
                             ) -> RefundStatus:
    """Support sent a by-hand refund's money (bank transfer, cheque, cash)."""
    return await _decide(await _refund(client, workflow_id), RefundSaga.money_sent,
                         MoneySent(by=by, note=note), "confirm")


async def refund_status(client: Client, workflow_id: str) -> RefundStatus:
    return await (await _refund(client, workflow_id)).query(
        RefundSaga.status, rpc_timeout=CALL_TIMEOUT)


async def authorize_return(client: Client, *, store: str, rma: str, order_id: int,
                           lines: list[ReturnLine], authorized_by: str, reason: str = "",
                           refund_policy: RefundPolicy | None = None,
                           task_queue: str = Queue.WORKFLOWS.value) -> str:
    wid = return_workflow_id(store, rma)
    await client.start_workflow(
        ReturnSaga.run, ReturnSagaInput(
            store=store, rma=rma, woo_order_id=order_id, lines=lines, reason=reason,
            authorized_by=authorized_by, refund_policy=refund_policy or RefundPolicy()),
        id=wid, task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, rpc_timeout=CALL_TIMEOUT)
    return wid


async def receive_return(client: Client, store: str, rma: str,
                         quantities: dict[int, int]) -> ReturnStatus:
    return await _decide(client.get_workflow_handle(return_workflow_id(store, rma)),
                         ReturnSaga.receive, quantities, "receive")


async def reject_return(client: Client, store: str, rma: str, by: str, reason: str
                        ) -> ReturnStatus:
    return await _decide(client.get_workflow_handle(return_workflow_id(store, rma)),
                         ReturnSaga.reject, Decision(by=by, reason=reason), "reject")


async def return_status(client: Client, store: str, rma: str) -> ReturnStatus:
    return await client.get_workflow_handle(return_workflow_id(store, rma)).query(
        ReturnSaga.status, rpc_timeout=CALL_TIMEOUT)


async def order_status(client: Client, store: str, order_id: int) -> SagaStatus:
    return await client.get_workflow_handle(order_workflow_id(store, order_id)).query(
        OrderSaga.status, rpc_timeout=CALL_TIMEOUT)


async def retry_order(client: Client, store: str, order_id: int) -> None:
    await client.get_workflow_handle(order_workflow_id(store, order_id)).signal(
        OrderSaga.retry, rpc_timeout=CALL_TIMEOUT)


async def resolve_order(client: Client, store: str, order_id: int, note: str) -> None:
    await client.get_workflow_handle(order_workflow_id(store, order_id)).signal(
        OrderSaga.resolve, note, rpc_timeout=CALL_TIMEOUT)

"""Backfills for the saga client API (SagaClient's backfill methods call
these inside `translated()`).

One backfill per store and range: its id is `backfill:{store}:{from}:{to}`.
Starting a range that is running attaches to it; a range that finished is
reported, not run again (a failed or terminated one may be started anew).
"""
from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from workflows.backfill import BackfillWorkflow
from workflows.backfill_types import BackfillInput, BackfillProgress, backfill_workflow_id

CALL_TIMEOUT = timedelta(seconds=10)
UPDATE_TIMEOUT = timedelta(seconds=30)


async def start_or_attach(client: Client, inp: BackfillInput, *,
                          task_queue: str) -> tuple[str, str]:
    """(workflow id, what happened: started, attached or finished)."""
    wid = backfill_workflow_id(inp.store, inp.first_day, inp.last_day)
    try:
        described = await client.get_workflow_handle(wid).describe(rpc_timeout=CALL_TIMEOUT)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
    else:
        if described.status == WorkflowExecutionStatus.RUNNING:
            return wid, "attached"
        if described.status == WorkflowExecutionStatus.COMPLETED:
            return wid, "finished"
    # Two starters racing share one run (USE_EXISTING); a failed or terminated
    # run may be started again, a completed one is not (reported above).
    await client.start_workflow(
        BackfillWorkflow.run, inp, id=wid, task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, rpc_timeout=CALL_TIMEOUT)
    return wid, "started"


async def progress(client: Client, workflow_id: str) -> BackfillProgress:
    return await client.get_workflow_handle(workflow_id).query(
        BackfillWorkflow.progress, rpc_timeout=CALL_TIMEOUT)


async def control(client: Client, workflow_id: str, action: str) -> BackfillProgress:
    """`pause`, `resume` or `cancel`, as an update (a validator may refuse it)."""
    update = {"pause": BackfillWorkflow.pause, "resume": BackfillWorkflow.resume,
              "cancel": BackfillWorkflow.cancel}[action]
    return await client.get_workflow_handle(workflow_id).execute_update(
        update, rpc_timeout=UPDATE_TIMEOUT)


async def running(client: Client, workflow_id: str) -> bool:
    described = await client.get_workflow_handle(workflow_id).describe(rpc_timeout=CALL_TIMEOUT)
    return described.status == WorkflowExecutionStatus.RUNNING

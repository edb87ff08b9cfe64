"""Run sagas on a real Temporal server with the zero-latency fakes."""
from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any, AsyncIterator

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from sandbox.fake_systems import FakeWorld, local_activities
from workflows.order_saga import OrderSaga
from workflows.refund_saga import RefundSaga
from workflows.return_saga import ReturnSaga

WORKFLOWS = [OrderSaga, RefundSaga, ReturnSaga]


@contextlib.asynccontextmanager
async def fake_workers(client: Client, world: FakeWorld) -> AsyncIterator[str]:
    """Workers on private queues (`orders@x`, `erp@x`, ...); yields the
    workflow queue, so these fakes never take a real worker's tasks."""
    suffix = f"@fake-{uuid.uuid4().hex[:6]}"
    queue = f"orders{suffix}"
    acts = world.activities()
    workers = [Worker(client, task_queue=queue, workflows=WORKFLOWS,
                      activities=local_activities(acts))]
    workers += [Worker(client, task_queue=f"{q}{suffix}", activities=a) for q, a in acts.items()]
    async with contextlib.AsyncExitStack() as stack:
        for w in workers:
            await stack.enter_async_context(w)
        yield queue


async def wait_for(handle: WorkflowHandle, query: Any, predicate, timeout: float = 10.0):
    """Poll a saga's status query until `predicate(status)` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status = await handle.query(query)
        if predicate(status):
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out; last status: {status}")
        await asyncio.sleep(0.05)

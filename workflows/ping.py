"""PingWorkflow: one activity on the ledger queue. Proves a worker is wired up."""
from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.contracts import Queue
    from activities.ping import RECORD_PING, PingInput
    from workflows.options import queue_name


@workflow.defn(name="Ping")
class PingWorkflow:
    @workflow.run
    async def run(self, message: str) -> str:
        new = await workflow.execute_activity(
            RECORD_PING,
            PingInput(message=message, sent_at=workflow.now()),
            result_type=bool,
            task_queue=queue_name(Queue.LEDGER),
            start_to_close_timeout=timedelta(seconds=15),
            retry_policy=RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(seconds=5)),
        )
        return f"pong: {message}" + ("" if new else " (already recorded)")

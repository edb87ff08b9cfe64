"""PingWorkflow: one activity on the ledger queue. Proves a worker is wired up."""
from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities import refs
    from activities.contracts import PingInput
    from workflows.options import call


@workflow.defn(name="Ping")
class PingWorkflow:
    @workflow.run
    async def run(self, message: str) -> str:
        new = await call(refs.PING_RECORD, PingInput(message=message, sent_at=workflow.now()),
                         retry_policy=RetryPolicy(maximum_attempts=5,
                                                  maximum_interval=timedelta(seconds=5)))
        return f"pong: {message}" + ("" if new else " (already recorded)")

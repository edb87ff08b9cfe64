"""The engine-overhead baseline: a workflow that only runs no-op activities,
one after another, on the queues it is given. Kept in its own module with
nothing but temporalio imports, so the workflow sandbox loads it cheaply."""
from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

NOOP = "bench.noop"
LOCAL = "local"  # a step run as a local activity, in the workflow's own worker
LOCAL_MARKER = "core_local_activity"  # how a local activity shows in history


@activity.defn(name=NOOP)
async def noop(step: int) -> int:
    return step


@workflow.defn(name="BenchBareWorkflow")
class BareWorkflow:
    @workflow.run
    async def run(self, queues: list[str]) -> int:
        """One no-op activity per entry, on that task queue (or local);
        returns how many ran."""
        for step, queue in enumerate(queues):
            if queue == LOCAL:
                await workflow.execute_local_activity(
                    NOOP, step, start_to_close_timeout=timedelta(seconds=30))
            else:
                await workflow.execute_activity(NOOP, step, task_queue=queue,
                                                start_to_close_timeout=timedelta(seconds=30))
        return len(queues)

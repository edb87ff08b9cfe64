"""How workflows call activities: every call has a timeout and a bounded,
classified retry. Business rejections are raised non-retryable by the
activities themselves; their types are listed here as well so a mistake in
one activity cannot turn a rejection into a retry storm."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

from activities.refs import NONE, ActivityRef, Queue
from canonical.errors import ErrorType

A = TypeVar("A")
R = TypeVar("R")
DEFAULT_ATTEMPTS = 8
# Sagas started before this patch ran every ledger write as a remote activity
# on the ledger queue (a server round trip each, ~7 per order); they replay so.
LOCAL_WRITES = "ledger-writes-local"


def retry(max_attempts: int) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=20),
        maximum_attempts=max_attempts,
        non_retryable_error_types=ErrorType.non_retryable(),
    )


def queue_name(queue: Queue) -> str:
    """The system's queue in this deployment: `orders@blue` workflows call
    `erp@blue` activities, so two deployments (or test runs) can share a
    cluster without taking each other's tasks."""
    _, at, suffix = workflow.info().task_queue.partition("@")
    return f"{queue.value}{at}{suffix}"


async def call(ref: ActivityRef[A, R], arg: A, max_attempts: int = DEFAULT_ATTEMPTS,
               retry_policy: RetryPolicy | None = None) -> R:
    """Run the activity `ref` names on its system's queue (or, for a local
    one, in this worker); the result comes back decoded as the type the
    activity declares."""
    result_type = None if ref.result is NONE else ref.result
    timeout = timedelta(seconds=ref.timeout_seconds)
    policy = retry_policy or retry(max_attempts)
    if ref.local and workflow.patched(LOCAL_WRITES):
        local: Any = await workflow.execute_local_activity(
            ref.name, arg, result_type=result_type, start_to_close_timeout=timeout,
            retry_policy=policy)
        return local
    heartbeat = timedelta(seconds=ref.heartbeat_seconds) if ref.heartbeat_seconds else None
    result: Any = await workflow.execute_activity(
        ref.name, arg, result_type=result_type, task_queue=queue_name(ref.queue),
        start_to_close_timeout=timeout, retry_policy=policy, heartbeat_timeout=heartbeat)
    return result

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
    """Run the activity `ref` names on its system's queue; the result comes
    back decoded as the type the activity declares."""
    result: Any = await workflow.execute_activity(
        ref.name, arg, result_type=None if ref.result is NONE else ref.result,
        task_queue=queue_name(ref.queue),
        start_to_close_timeout=timedelta(seconds=ref.timeout_seconds),
        retry_policy=retry_policy or retry(max_attempts))
    return result

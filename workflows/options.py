"""Activity options per system: every call has a timeout and a bounded,
classified retry. Business rejections are raised non-retryable by the
activities themselves; the types are listed here as well so a mistake in
one activity cannot turn a rejection into a retry storm."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

from activities.contracts import ErrorType, Queue

NON_RETRYABLE = [t.value for t in ErrorType]


def retry(max_attempts: int) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=20),
        maximum_attempts=max_attempts,
        non_retryable_error_types=NON_RETRYABLE,
    )


def queue_name(queue: Queue) -> str:
    """The system's queue in this deployment: `orders@blue` workflows call
    `erp@blue` activities, so two deployments (or test runs) can share a
    cluster without taking each other's tasks."""
    _, at, suffix = workflow.info().task_queue.partition("@")
    return f"{queue.value}{at}{suffix}"


def on(queue: Queue, max_attempts: int = 8) -> dict[str, Any]:
    """Keyword arguments for workflow.execute_activity on one system's queue."""
    timeout = {Queue.ERP: 60, Queue.WOOCOMMERCE: 30, Queue.LEDGER: 15}.get(queue, 30)
    return {
        "task_queue": queue_name(queue),
        "start_to_close_timeout": timedelta(seconds=timeout),
        "retry_policy": retry(max_attempts),
    }

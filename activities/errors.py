"""Turn system errors into Temporal's terms, once for every activity.

A retryable error is re-raised as a retryable ApplicationError (honouring
the system's Retry-After); a rejection becomes non-retryable with the
system's stable type name, which the saga turns into parking or compensation.
"""
from __future__ import annotations

import functools
import inspect
from datetime import timedelta
from typing import Any, Callable, TypeVar

from temporalio.exceptions import ApplicationError

F = TypeVar("F", bound=Callable[..., Any])


def to_application_error(exc: Exception) -> ApplicationError | None:
    """The ApplicationError for a classified system error, or None if unclassified."""
    type_name = getattr(exc, "type", None)
    retryable = getattr(exc, "retryable", None)
    if isinstance(exc, ValueError) and retryable is None:
        # Bad data from a system (a payload that does not map, a validation
        # error) fails the same way on every attempt: park, don't retry.
        return ApplicationError(str(exc), type=type(exc).__name__, non_retryable=True)
    if not isinstance(type_name, str) or retryable is None:
        return None
    delay = getattr(exc, "retry_after", None)
    return ApplicationError(
        str(exc), type=type_name, non_retryable=not retryable,
        next_retry_delay=timedelta(seconds=delay) if retryable and delay else None)


def classified(fn: F) -> F:
    """Decorator for async and sync activity methods."""
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except Exception as exc:
                raise (to_application_error(exc) or exc) from exc
        return run_async  # type: ignore[return-value]

    @functools.wraps(fn)
    def run_sync(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise (to_application_error(exc) or exc) from exc
    return run_sync  # type: ignore[return-value]

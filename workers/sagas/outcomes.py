"""What a call to a saga came to, in words a person acts on.

Temporal answers in gRPC statuses and SDK exceptions; the CLI turns an
outcome into one line and an exit code, the support API into an HTTP status.
`translated()` is the one place that reads Temporal's errors.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from temporalio.client import RPCTimeoutOrCancelledError, WorkflowUpdateFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

# NOT_FOUND for a workflow that ended: before the call, or while an update was on its way.
ENDED = ("already completed", "aborted by closing workflow")
NO_ANSWER = "no worker answered in time: is `wooerp worker` running for this deployment?"


class SagaCallError(Exception):
    """A saga call that did not go through; `http_status` for the support API.
    `transient`: Temporal could not take the call now (down, overloaded, not
    answering) — the same call may go through later; otherwise it answered
    about this call and a retry would get the same answer."""

    http_status = 502
    transient = False


class Unreachable(SagaCallError):
    """Temporal itself cannot be reached (or will not serve us now)."""

    http_status = 503
    transient = True


class NoAnswer(SagaCallError):
    """Temporal took the call, but no worker answered within the deadline."""

    http_status = 504
    transient = True

    def __init__(self, message: str = NO_ANSWER) -> None:
        super().__init__(message)


class NotFound(SagaCallError):
    """No such saga (or not one of the kind asked for)."""

    http_status = 404


class Refused(SagaCallError):
    """The saga will not take this: a second decision, an ended refund, a validator's no."""

    http_status = 409


class BadRequest(SagaCallError):
    """Temporal refused the call's own shape (an id too long, a bad query)."""

    http_status = 400


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Turn Temporal's errors raised inside the block into outcomes."""
    try:
        yield
    except WorkflowUpdateFailedError as exc:
        raise Refused(str(getattr(exc.cause, "message", exc.cause))) from None
    except RPCTimeoutOrCancelledError:
        raise NoAnswer() from None
    except RPCError as exc:
        raise _from_rpc(exc) from None
    except (ConnectionError, OSError) as exc:
        raise Unreachable(str(exc)) from None
    except WorkflowAlreadyStartedError as exc:  # a reuse policy said no
        raise Refused(str(exc)) from None


_REFUSING = {RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.UNAUTHENTICATED,
             RPCStatusCode.PERMISSION_DENIED}


def _from_rpc(exc: RPCError) -> SagaCallError:
    status, message = exc.status, exc.message
    if status in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
        return NoAnswer()
    if status == RPCStatusCode.NOT_FOUND:
        if any(words in message for words in ENDED):  # Temporal's words for an ended workflow
            return Refused("it has already ended")
        return NotFound(f"not found: {message}")
    if status == RPCStatusCode.INVALID_ARGUMENT:
        return BadRequest(message)
    if status == RPCStatusCode.UNAVAILABLE:
        return Unreachable(f"Temporal is unavailable: {message}")
    if status in _REFUSING:  # overloaded, or our credentials are not (yet) accepted
        return Unreachable(f"Temporal refused to serve the call: {message}")
    return SagaCallError(f"Temporal said: {message}")

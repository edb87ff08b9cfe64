"""What every saga shares: its stage, its business events, parking.

A saga never fails silently. A step that is rejected for good, or whose
retries run out, parks the saga in `needs_attention` with the reason in the
`StuckReason` search attribute; the `retry` signal runs the step again and
`resolve` ends the saga as handled by a person. A step whose retries ran out
on a failure that may pass by itself (a store or ERP down for longer than the
activity's retries last) is also retried by the saga itself, on a growing
schedule (AUTO_RETRY_*), before it waits for a person only.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Awaitable, Callable, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

with workflow.unsafe.imports_passed_through():
    from activities import refs
    from canonical.events import BusinessEvent, SourceSystem, event_id
    from workflows import search
    from workflows.options import call
    from workflows.stages import Stage

T = TypeVar("T")
# Earlier runs re-published the stage on every poll of the same stage, which
# reset StageSince and hid long waits from `wooerp orders stuck --older-than`.
STAGE_SINCE_ON_CHANGE = "stage-since-on-change-only"
# Sagas parked before this patch wait for a person only.
AUTO_RETRY = "park-auto-retry"
AUTO_RETRY_FIRST = timedelta(minutes=5)  # then doubling, up to AUTO_RETRY_MAX
AUTO_RETRY_MAX = timedelta(hours=1)
AUTO_RETRIES = 12  # per step: 5, 10, 20, 40 min, then hourly (~9 h 15 min in all)


class Resolved(Exception):
    """A person resolved the parked saga outside wooerp."""


class Interrupted(Exception):
    """Something the saga must react to arrived while it was parked or waiting."""


def describe(err: BaseException) -> str:
    """The most useful one-line reason in an activity failure chain."""
    cause = err.cause if isinstance(err, ActivityError) and err.cause else err
    if isinstance(cause, ApplicationError):
        prefix = f"{cause.type}: " if cause.type else ""
        return f"{prefix}{cause.message}"
    return str(cause) or type(cause).__name__


def transient(err: BaseException) -> bool:
    """The activity's retries ran out (or its time did) on a failure a retry
    could still change: not a verdict (rejected, unknown SKU, not mapped)."""
    return isinstance(err, ActivityError) and err.retry_state in (
        RetryState.MAXIMUM_ATTEMPTS_REACHED, RetryState.TIMEOUT)


def error_type(err: BaseException) -> str | None:
    cause = err.cause if isinstance(err, ActivityError) else err
    return cause.type if isinstance(cause, ApplicationError) else None


class Saga:
    """Base of every saga: the stage, event and parking machinery of one run."""

    def __init__(self) -> None:
        self._stage: str = Stage.STARTING
        self._events: list[str] = []
        self._last_error: str | None = None
        self._pending_action: str | None = None
        self._retry = False
        self._resolve_note: str | None = None
        self._park_prefix = ""  # a fact every park reason must carry from now on
        # Attributes to publish with the next stage change: each upsert is a
        # history event and a visibility write, so facts ride along with one.
        self._search_pending: list[Any] = []

    # signals every saga answers -------------------------------------------------
    @workflow.signal
    def retry(self) -> None:
        """Run the parked step again (its cause was fixed)."""
        self._retry = True

    @workflow.signal
    def resolve(self, note: str) -> None:
        """End the parked saga as handled by a person outside wooerp."""
        self._resolve_note = note or "resolved"

    # stage ------------------------------------------------------------------
    def _set_stage(self, stage: str, *, reason: str | None = None) -> None:
        parked = stage == Stage.NEEDS_ATTENTION
        if (stage == self._stage and not parked and not self._search_pending
                and workflow.patched(STAGE_SINCE_ON_CHANGE)):
            return  # still in the stage it entered earlier: StageSince stays
        self._stage = stage
        pending, self._search_pending = self._search_pending, []
        workflow.upsert_search_attributes([
            *pending,
            search.SAGA_STAGE.value_set(stage),
            search.STAGE_SINCE.value_set(workflow.now()),
            search.NEEDS_ATTENTION.value_set(parked),
            search.STUCK_REASON.value_set(reason[:1000]) if parked and reason
            else search.STUCK_REASON.value_unset(),
        ])

    # events -----------------------------------------------------------------
    async def _record(self, cls: type[BusinessEvent], *, source: SourceSystem = "wooerp",
                      occurred_at: Any = None, key: str | int = "", **fields: Any) -> None:
        wid = workflow.info().workflow_id
        now = workflow.now()
        event = cls(event_id=event_id(wid, cls.__name__, key), occurred_at=occurred_at or now,
                    recorded_at=now, source_system=source, correlation_id=wid, **fields)
        self._on_event(event)
        await call(refs.LEDGER_RECORD_EVENT, event)
        self._events.append(event.type)

    def _on_event(self, event: BusinessEvent) -> None:
        """Hook: a saga advances its own status model here."""

    async def _on_parked(self, reason: str) -> None:
        """Hook: whoever waits on the saga is told it parked (no command by default)."""

    # parking ------------------------------------------------------------------
    async def _attempt(self, stage: str, step: Callable[[], Awaitable[T]],
                       interrupted: Callable[[], bool] = lambda: False) -> T:
        """Run `step` until it succeeds, parking on failure until told to
        retry (or, for a transient failure, until its next retry is due)."""
        auto_retries = 0
        while True:
            self._set_stage(stage)
            after: timedelta | None = None
            try:
                result = await step()
                self._last_error = None
                return result
            except ActivityError as err:
                reason = describe(err)
                after = self._auto_retry_after(err, auto_retries)
            except ApplicationError as err:  # raised by the saga itself: a business verdict
                reason = describe(err)
            if after is not None:
                auto_retries += 1
            await self._park(reason, interrupted, auto_retry_after=after)

    @staticmethod
    def _auto_retry_after(err: ActivityError, done: int) -> timedelta | None:
        if not transient(err) or done >= AUTO_RETRIES or not workflow.patched(AUTO_RETRY):
            return None
        return min(AUTO_RETRY_FIRST * 2 ** done, AUTO_RETRY_MAX)

    async def _park(self, reason: str, interrupted: Callable[[], bool] = lambda: False, *,
                    auto_retry_after: timedelta | None = None) -> None:
        reason = self._park_prefix + reason
        workflow.logger.warning("saga parked: %s", reason)
        self._last_error = reason
        self._pending_action = "fix the cause, then signal retry (or resolve)"
        if auto_retry_after is not None:
            due = workflow.now() + auto_retry_after
            self._pending_action = (f"retried by itself at {due:%Y-%m-%d %H:%M} UTC; or fix "
                                    "the cause, then signal retry (or resolve)")
        self._set_stage(Stage.NEEDS_ATTENTION, reason=reason)
        await self._on_parked(reason)
        self._retry = False
        try:
            await workflow.wait_condition(
                lambda: self._retry or self._resolve_note is not None or interrupted(),
                timeout=auto_retry_after)
        except TimeoutError:  # the failure may have passed: run the step again
            workflow.logger.info("saga retries its step by itself after %s", auto_retry_after)
            self._retry = True
        self._pending_action = None
        if self._resolve_note is not None:
            raise Resolved(self._resolve_note)
        if not self._retry:
            raise Interrupted()
        self._retry = False

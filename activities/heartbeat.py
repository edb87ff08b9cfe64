"""Heartbeats in the background of a long activity call.

An activity whose worker is killed mid-call is only retried once Temporal
gives up on it: after its heartbeat timeout when it has one (the ref's
`heartbeat_seconds`), else after its whole start-to-close timeout, minutes
for a catalogue scan. One Tryton call or one store batch cannot heartbeat
from inside, so `heartbeating` does it beside the call, every `EVERY`
seconds, for async activities on the event loop and for sync ones from a
helper thread in the activity's own context.
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import threading
from typing import Any, Callable, TypeVar

from temporalio import activity

F = TypeVar("F", bound=Callable[..., Any])
EVERY = 2.0  # seconds; refs give such calls a heartbeat timeout several times this


async def beat_forever(every: float | None = None) -> None:
    while True:
        activity.heartbeat()
        await asyncio.sleep(every or EVERY)


def heartbeating(fn: F) -> F:
    """Decorator for async and sync activity methods (under `@activity.defn`)."""
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            if not activity.in_activity():  # called directly (a test, a script)
                return await fn(*args, **kwargs)
            beat = asyncio.ensure_future(beat_forever())
            try:
                return await fn(*args, **kwargs)
            finally:
                beat.cancel()
        return run_async  # type: ignore[return-value]

    @functools.wraps(fn)
    def run_sync(*args: Any, **kwargs: Any) -> Any:
        if not activity.in_activity():
            return fn(*args, **kwargs)
        done = threading.Event()
        context = contextvars.copy_context()  # the activity's: heartbeat() needs it

        def beat() -> None:
            while not done.is_set():
                context.run(activity.heartbeat)
                done.wait(EVERY)

        beater = threading.Thread(target=beat, name="activity-heartbeat", daemon=True)
        beater.start()
        try:
            return fn(*args, **kwargs)
        finally:
            done.set()
            beater.join(timeout=EVERY)
    return run_sync  # type: ignore[return-value]

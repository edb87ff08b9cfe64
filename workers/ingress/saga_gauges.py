"""Business gauges for /metrics, read from Temporal visibility.

What an on-call alert wants to know without opening the Web UI: how many of
this deployment's sagas wait for a person, and how many sit in the stages
finance cares about (booked in the ERP but not shipped, shipped but not
invoiced, refunds waiting for approval, for their credit note or for their
money to be sent by hand). Temporal counts by a custom search attribute only
with one query per value, so the list below is short on purpose; `wooerp
orders stuck` lists the sagas.

Those are many count queries, so a scrape does not ask them itself: `Cached`
reads at most once per few seconds, and scrapes that arrive meanwhile share
the one refresh in flight (8 concurrent scrapes used to cost 72 queries and
a p99 of 3.5 s).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from prometheus_client import Gauge

from workers.sagas.client import SagaClient
from workflows.stages import Stage

SAGAS = ("OrderSaga", "RefundSaga", "ReturnSaga")
WATCHED = (
    ("OrderSaga", Stage.AWAITING_ERP),
    ("OrderSaga", Stage.AWAITING_SHIPMENT),
    ("OrderSaga", Stage.AWAITING_INVOICE),
    ("RefundSaga", Stage.AWAITING_APPROVAL),
    ("RefundSaga", Stage.POSTING_CREDIT_NOTE),
    ("RefundSaga", Stage.AWAITING_MANUAL_REFUND),  # money to send by hand
    ("ReturnSaga", Stage.AWAITING_RECEIPT),
)

NEEDING_ATTENTION = Gauge("wooerp_sagas_needing_attention",
                          "Open sagas parked in needs_attention, waiting for a person", ["saga"])
IN_STAGE = Gauge("wooerp_sagas_in_stage", "Open sagas in a watched stage", ["saga", "stage"])
VISIBILITY_UP = Gauge("wooerp_saga_gauges_up",
                      "1 if the saga gauges were read from Temporal at the last scrape")


async def refresh(sagas: SagaClient | None) -> None:
    """Update the gauges; on failure keep the last values and say so."""
    if sagas is None:
        VISIBILITY_UP.set(0)
        return
    running = f'TaskQueue = "{sagas.workflow_queue}" AND ExecutionStatus = "Running"'

    async def count(extra: str) -> int:
        return await sagas.count(f"{running} AND {extra}")

    queries = [f'WorkflowType = "{saga}" AND NeedsAttention = true' for saga in SAGAS]
    queries += [f'WorkflowType = "{saga}" AND SagaStage = "{stage.value}"' for saga, stage in WATCHED]
    try:
        counts = await asyncio.gather(*(count(q) for q in queries))
    except Exception:  # a scrape must answer even when Temporal does not
        VISIBILITY_UP.set(0)
        return
    for saga, n in zip(SAGAS, counts):
        NEEDING_ATTENTION.labels(saga).set(n)
    for (saga, stage), n in zip(WATCHED, counts[len(SAGAS):]):
        IN_STAGE.labels(saga, stage).set(n)
    VISIBILITY_UP.set(1)


class Link(Protocol):  # workers/sagas/link.py SagaLink
    async def get(self) -> SagaClient | None: ...


class Cached:
    """`refresh` at most once per `max_age` seconds, one at a time."""

    def __init__(self, link: Link, *, max_age: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._link, self._max_age, self._clock = link, max_age, clock
        self._read_at: float | None = None
        self._running: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        if self._read_at is not None and self._clock() - self._read_at < self._max_age:
            return
        if self._running is None:
            self._running = asyncio.create_task(self._read())
        # shield: a scrape that gives up (client gone) must not cancel the others' read
        await asyncio.shield(self._running)

    async def _read(self) -> None:
        try:
            try:
                sagas = await self._link.get()
            except Exception:  # noqa: BLE001 - no client is "Temporal unreadable", not a 500
                sagas = None
            await refresh(sagas)
        finally:  # a failed read is cached too: a Temporal that is down is not asked 9x per scrape
            self._read_at, self._running = self._clock(), None

"""Business gauges for /metrics, read from Temporal visibility at each scrape.

What an on-call alert wants to know without opening the Web UI: how many of
this deployment's sagas wait for a person, and how many sit in the stages
finance cares about (booked in the ERP but not shipped, shipped but not
invoiced, refunds waiting for approval, for their credit note or for their
money to be sent by hand). Temporal counts by a custom search attribute only
with one query per value, so the list below is short on purpose; `wooerp
orders stuck` lists the sagas.
"""
from __future__ import annotations

import asyncio

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

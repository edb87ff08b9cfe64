"""Business gauges for /metrics, read from Temporal visibility at each scrape.

What an on-call alert wants to know without opening the Web UI: how many of
this deployment's sagas wait for a person, and how many sit in the stages
finance cares about (booked in the ERP but not shipped, shipped but not
invoiced, refunds waiting for approval or for their credit note). Temporal
counts by a custom search attribute only with one query per value, so the
list below is short on purpose; `wooerp orders stuck` lists the sagas.
"""
from __future__ import annotations

import asyncio
from datetime import timedelta

from prometheus_client import Gauge
from temporalio.client import Client

SAGAS = ("OrderSaga", "RefundSaga", "ReturnSaga")
WATCHED = (
    ("OrderSaga", "awaiting_erp"),  # paid, not yet accepted by the ERP
    ("OrderSaga", "awaiting_shipment"),  # booked in the ERP, not shipped
    ("OrderSaga", "awaiting_invoice"),  # shipped, no posted invoice yet
    ("RefundSaga", "awaiting_approval"),
    ("RefundSaga", "posting_credit_note"),  # money back in the store, not yet in the books
    ("ReturnSaga", "awaiting_receipt"),
)
TIMEOUT = timedelta(seconds=5)

NEEDING_ATTENTION = Gauge("wooerp_sagas_needing_attention",
                          "Open sagas parked in needs_attention, waiting for a person", ["saga"])
IN_STAGE = Gauge("wooerp_sagas_in_stage", "Open sagas in a watched stage", ["saga", "stage"])
VISIBILITY_UP = Gauge("wooerp_saga_gauges_up",
                      "1 if the saga gauges were read from Temporal at the last scrape")


async def refresh(client: Client | None, workflow_queue: str) -> None:
    """Update the gauges; on failure keep the last values and say so."""
    if client is None:
        VISIBILITY_UP.set(0)
        return
    running = f'TaskQueue = "{workflow_queue}" AND ExecutionStatus = "Running"'

    async def count(extra: str) -> int:
        found = await client.count_workflows(f"{running} AND {extra}", rpc_timeout=TIMEOUT)
        return found.count

    queries = [f'WorkflowType = "{saga}" AND NeedsAttention = true' for saga in SAGAS]
    queries += [f'WorkflowType = "{saga}" AND SagaStage = "{stage}"' for saga, stage in WATCHED]
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
